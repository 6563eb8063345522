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
      pagePort.onmessage = (e) => relay.acceptPageMessage(e.data);
    };
    window.addEventListener(PORT_EVENT, onPort, true);
    window.dispatchEvent(new CustomEvent(RELAY_READY_EVENT));
    if (relay.isStopped) window.removeEventListener(PORT_EVENT, onPort, true);
  },
});
