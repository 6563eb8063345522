/**
 * The relay's end of the page hook's private MessagePort, and the hand-over that brings it (docs: the hardened
 * hand-over, issue #9 §1). Both hand-over events are MessageEvents of type HANDOVER_EVENT_TYPE ('load')
 * dispatched on `document`: a load event at a document never reaches its window, so listeners a same-origin
 * parent or opener left on a reused Window never see them, and at document_start nobody but the hook and the
 * relay can have a listener on the new Document.
 *
 * The relay takes the FIRST offer whose data is exactly HOOK_PORT_DATA and that carries exactly one port
 * (cancelling it tells the hook it was taken), stops listening at once, and never takes another. It then says it
 * is ready (RELAY_READY_DATA) in case the hook offered before the relay listened. The listening window is bounded
 * by the caller (`end`): no offer is taken once page scripts could run. What the relay posts before the port
 * arrives (only the rules can come that early) waits here and goes first.
 *
 * The same listener, kept for the document's life, takes the hook's last hand-over (LastWords in
 * lib/shared/protocol/page.ts): when the page is leaving, the hook dispatches what it holds there synchronously,
 * since a port message would arrive after the document is gone. Such an event carries, as its `origin`, the token
 * this relay gave the hook over the port (its first message); any event without it (the page's own load events, an
 * image's load, captured) is left untouched and its `data` never read, and one with it is stopped here, first of all
 * listeners on the document (ours was added at document_start), so no page listener sees it.
 */
import type { RelayToPageMessage } from '../shared/protocol';
import { HANDOVER_EVENT_TYPE, HOOK_PORT_DATA, NAMESPACE, RELAY_READY_DATA } from '../shared/protocol';
import { randomId } from '../shared/random-id';

export interface Handover {
  /** Stops listening for the hook's offer (the window is over); true when a port was taken. */
  end(): boolean;
}

export class PagePort {
  private port: MessagePort | undefined;
  /** What the relay posts before the hook hands over its port. */
  private early: Array<[RelayToPageMessage, Transferable[]]> = [];
  /** The last hand-over's token: given to the hook only, over the port (randomId: plain-http pages have no randomUUID). */
  private readonly token = randomId();

  /** Whether the hook's port was taken. */
  get taken(): boolean {
    return this.port !== undefined;
  }

  /** Posts to the hook, or keeps the message until the hand-over. */
  post(msg: RelayToPageMessage, transfer?: Transferable[]): void {
    if (this.port) this.port.postMessage(msg, transfer ?? []);
    else this.early.push([msg, transfer ?? []]);
  }

  /**
   * Listens on `doc` (the frame's document, capture phase) for the hook's offer, then says the relay is ready.
   * Each message on the port goes to `onMessage`, and the data of each last hand-over to `onLastWords`;
   * `cloneIncoming` brings them into this realm first (Firefox).
   */
  awaitHandover(doc: EventTarget, onMessage: (data: unknown) => void, cloneIncoming: boolean, onLastWords: (data: unknown) => void = () => {}): Handover {
    let listening = true;
    const stop = () => {
      if (!listening) return;
      listening = false;
      if (!this.port) doc.removeEventListener(HANDOVER_EVENT_TYPE, onEvent, true); // no port: no last words either
    };
    const onEvent = (event: Event) => {
      if (this.port) {
        if ((event as MessageEvent).origin !== this.token) return; // not the hook's last words: untouched
        event.preventDefault(); // tells the hook they were taken
        event.stopImmediatePropagation();
        let data: unknown;
        try {
          // Chromium clones `data` into this world as it is read (once, here); Firefox: see the port below.
          data = (event as MessageEvent).data;
          if (cloneIncoming) data = structuredClone(data);
        } catch {
          return;
        }
        onLastWords(data);
        return;
      }
      if (!listening) return;
      const offer = event as MessageEvent;
      if (offer.data !== HOOK_PORT_DATA) return; // the relay's own ready, an image's load (captured), …
      const ports = offer.ports;
      if (!ports || ports.length !== 1) return;
      event.preventDefault(); // tells the page hook the port was taken
      event.stopImmediatePropagation();
      const port = ports[0];
      this.port = port;
      stop(); // one port, once: never another
      port.postMessage({ ns: NAMESPACE, type: 'last-words-token', token: this.token } satisfies RelayToPageMessage);
      for (const [msg, transfer] of this.early) port.postMessage(msg, transfer);
      this.early = [];
      // Firefox: the port belongs to the page, so `e.data` lives in the page's compartment and its ArrayBuffers
      // fail `instanceof ArrayBuffer` here (Xray wrappers); binary frames would stall the relay. A structured
      // clone brings the message into this realm. Chrome shares one realm for JS objects and needs no copy.
      port.onmessage = (e) => onMessage(cloneIncoming ? structuredClone(e.data) : e.data);
    };
    doc.addEventListener(HANDOVER_EVENT_TYPE, onEvent, true);
    if (!this.port) doc.dispatchEvent(new MessageEvent(HANDOVER_EVENT_TYPE, { data: RELAY_READY_DATA }));
    return {
      end: () => {
        stop();
        return this.port !== undefined;
      },
    };
  }
}
