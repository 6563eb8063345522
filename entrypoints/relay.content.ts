import { CaptureRelay } from '@/lib/capture-relay';
import { PORT_EVENT, RELAY_READY_EVENT } from '@/lib/page-hook';
import { PORT_CAPTURE } from '@/lib/protocol';

// Isolated world, document_start, every frame: takes the page hook's private port and relays to the background.
export default defineContentScript({
  matches: ['<all_urls>'],
  runAt: 'document_start',
  allFrames: true,
  matchAboutBlank: true,
  matchOriginAsFallback: true,
  // WXT would otherwise announce each content script with window.postMessage, which page listeners can see.
  noScriptStartedPostMessage: true,
  main() {
    let pagePort: MessagePort | undefined;
    const topLevel = window === window.top;
    const relay = new CaptureRelay({
      connect: () => browser.runtime.connect({ name: PORT_CAPTURE }),
      contextValid: () => {
        try {
          return typeof browser.runtime?.id === 'string';
        } catch {
          return false;
        }
      },
      postToPage: (msg, transfer) => pagePort?.postMessage(msg, transfer ?? []),
      setTimer: (callback, ms) => setTimeout(callback, ms),
      topLevel,
      pageUrl: location.href,
      title: document.title,
      sessionId: topLevel ? crypto.randomUUID() : undefined,
    });

    const onPort = (event: Event) => {
      const ports = (event as MessageEvent).ports;
      if (pagePort || !ports || ports.length !== 1) return;
      event.preventDefault(); // tells the page hook the port was taken
      event.stopImmediatePropagation();
      window.removeEventListener(PORT_EVENT, onPort, true);
      pagePort = ports[0];
      // Firefox: the port belongs to the page, so `e.data` lives in the page's compartment and its ArrayBuffers
      // fail `instanceof ArrayBuffer` here (Xray wrappers); binary frames would stall the relay. A structured
      // clone brings the message into this realm. Chrome shares one realm for JS objects and needs no copy.
      pagePort.onmessage = (e) => relay.acceptPageMessage(import.meta.env.FIREFOX ? structuredClone(e.data) : e.data);
    };
    window.addEventListener(PORT_EVENT, onPort, true);
    window.dispatchEvent(new CustomEvent(RELAY_READY_EVENT));
    if (relay.isStopped) window.removeEventListener(PORT_EVENT, onPort, true);
  },
});
