import { installPageHook } from '@/lib/page';

// MAIN world, document_start, every frame (about:blank, srcdoc and data: frames by origin fallback): runs
// before any page script. Nothing else may be imported here: it runs inside every page.
export default defineContentScript({
  matches: ['<all_urls>'],
  world: 'MAIN',
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  matchOriginAsFallback: true,
  main() {
    try {
      installPageHook(globalThis);
    } catch {
      // Never throw into the page.
    }
  },
});
