import { CaptureRelay } from '@/lib/relay/capture-relay';
import { RULES_STORAGE_KEY } from '@/lib/shared/intercept-rules';
import { PORT_CAPTURE, PORT_EVENT, RELAY_READY_EVENT, isProtocolMessage, type BackgroundToFrameMessage, type RelayToPageMessage } from '@/lib/shared/protocol';
import { randomId } from '@/lib/shared/random-id';

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
    /** What the relay posts before the hook hands over its port (only the rules can come that early). */
    let early: Array<[RelayToPageMessage, Transferable[]]> = [];
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
      postToPage: (msg, transfer) => (pagePort ? pagePort.postMessage(msg, transfer ?? []) : early.push([msg, transfer ?? []])),
      setTimer: (callback, ms) => setTimeout(callback, ms),
      topLevel,
      pageUrl: location.href,
      title: () => document.title,
      startedAt: Date.now(),
      sessionId: topLevel ? randomId() : undefined,
    });

    // Rules come from storage, so the hook has them before the page's first socket without waking the worker.
    const rulesChanged = (changes: Record<string, { newValue?: unknown }>, area: string) => {
      if (area === 'local' && RULES_STORAGE_KEY in changes) relay.applyRules(changes[RULES_STORAGE_KEY].newValue);
    };
    browser.storage.onChanged.addListener(rulesChanged);
    browser.storage.local.get(RULES_STORAGE_KEY).then(
      (stored) => relay.applyRules(stored[RULES_STORAGE_KEY]),
      () => undefined, // extension gone: the relay stops on its own
    );
    // The background reaches relays that have no port open: to wake them for a command, or to ask the top
    // frame which page load (session) it is. Only our extension can send these (no externally_connectable).
    browser.runtime.onMessage.addListener((data: unknown, sender: { id?: string }) => {
      if (sender.id !== browser.runtime.id || !isProtocolMessage(data) || relay.isStopped) return undefined;
      const msg = data as BackgroundToFrameMessage;
      if (msg.type === 'wake') {
        relay.wake();
        return Promise.resolve(true);
      }
      if (msg.type === 'session-query') {
        const info = relay.sessionInfo();
        return info ? Promise.resolve(info) : undefined;
      }
      return undefined;
    });

    const onPort = (event: Event) => {
      const ports = (event as MessageEvent).ports;
      if (pagePort || !ports || ports.length !== 1) return;
      event.preventDefault(); // tells the page hook the port was taken
      event.stopImmediatePropagation();
      window.removeEventListener(PORT_EVENT, onPort, true);
      pagePort = ports[0];
      for (const [msg, transfer] of early) pagePort.postMessage(msg, transfer);
      early = [];
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
