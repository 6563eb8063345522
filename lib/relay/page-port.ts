/**
 * The relay's end of the page hook's private MessagePort, and the hand-over that brings it: the relay says it is
 * ready (RELAY_READY_EVENT); the hook dispatches PORT_EVENT carrying the port, and the relay takes the first one
 * by cancelling the event (which tells the hook it was taken). What the relay posts before that (only the rules
 * can come that early) waits here and goes first.
 */
import type { RelayToPageMessage } from '../shared/protocol';
import { PORT_EVENT, RELAY_READY_EVENT } from '../shared/protocol';

export class PagePort {
  private port: MessagePort | undefined;
  /** What the relay posts before the hook hands over its port. */
  private early: Array<[RelayToPageMessage, Transferable[]]> = [];

  /** Posts to the hook, or keeps the message until the hand-over. */
  post(msg: RelayToPageMessage, transfer?: Transferable[]): void {
    if (this.port) this.port.postMessage(msg, transfer ?? []);
    else this.early.push([msg, transfer ?? []]);
  }

  /**
   * Listens on `target` (the window) for the hook's hand-over, then says the relay is ready. Each message on the
   * port goes to `onMessage`; `cloneIncoming` brings it into this realm first (Firefox). Returns a cleanup that
   * stops listening for the hand-over.
   */
  awaitHandover(target: EventTarget, onMessage: (data: unknown) => void, cloneIncoming: boolean): () => void {
    const onPort = (event: Event) => {
      const ports = (event as MessageEvent).ports;
      if (this.port || !ports || ports.length !== 1) return;
      event.preventDefault(); // tells the page hook the port was taken
      event.stopImmediatePropagation();
      target.removeEventListener(PORT_EVENT, onPort, true);
      const port = ports[0];
      this.port = port;
      for (const [msg, transfer] of this.early) port.postMessage(msg, transfer);
      this.early = [];
      // Firefox: the port belongs to the page, so `e.data` lives in the page's compartment and its ArrayBuffers
      // fail `instanceof ArrayBuffer` here (Xray wrappers); binary frames would stall the relay. A structured
      // clone brings the message into this realm. Chrome shares one realm for JS objects and needs no copy.
      port.onmessage = (e) => onMessage(cloneIncoming ? structuredClone(e.data) : e.data);
    };
    target.addEventListener(PORT_EVENT, onPort, true);
    target.dispatchEvent(new CustomEvent(RELAY_READY_EVENT));
    return () => target.removeEventListener(PORT_EVENT, onPort, true);
  }
}
