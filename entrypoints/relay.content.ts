import { startRelay } from '@/lib/relay/start-relay';

// Isolated world, document_start, every frame: takes the page hook's private port and relays to the background
// (lib/relay/start-relay.ts).
export default defineContentScript({
  matches: ['<all_urls>'],
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  matchOriginAsFallback: true,
  // WXT would otherwise announce each content script with window.postMessage, which page listeners can see.
  noScriptStartedPostMessage: true,
  main() {
    startRelay({ browser, window, cloneFromPage: import.meta.env.FIREFOX });
  },
});
