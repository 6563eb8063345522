/**
 * Hand-over of a private MessagePort to the relay (the isolated-world content script), once per document.
 *
 * The offer is a MessageEvent of type HANDOVER_EVENT_TYPE ('load') dispatched on `document`, never on window: a
 * load event at a document does not propagate to its window (DOM "get the parent"), and a window a same-origin
 * parent or opener touched before this document existed (an initial about:blank Window the navigation reused)
 * keeps that page's window listeners, while the Document is new: at document_start only our two scripts can have
 * a listener on it. The relay takes the port by cancelling the event. If it is not there yet, the hook listens on
 * the document for the relay's ready event (data exactly RELAY_READY_DATA), offers again, and stops listening
 * once the port is taken.
 *
 * A reused Window keeps this hook (its realm) while the document changes: the next document's copy of the hook
 * then finds it installed and asks it, through disguise.ts's probe, to hand a new port to the new document's
 * relay (`handOverTo`). The batch moves to the new port; the old one is closed.
 *
 * The last hand-over (lastHandOver) goes the same way, synchronously, when the page is leaving: see LastWords in
 * lib/shared/protocol/page.ts.
 */
import type { LastWords, PageToRelayMessage } from '../shared/protocol';
import { HANDOVER_EVENT_TYPE, HOOK_PORT_DATA, RELAY_READY_DATA } from '../shared/protocol';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';

export interface HandOver {
  /** Stops waiting for the relay (stop). */
  stopWaiting(): void;
  /** The document the last offer was made on. */
  document(): object | undefined;
  /** Offers a new port on `doc` (a new document in this window), waiting for its relay if needed. */
  handOverTo(doc: EventTarget): void;
}

/**
 * Offers a port on the window's current document now, and again on the relay's ready until taken. Once it is,
 * `onMessage` listens on our end and `connected` gets it.
 */
export function handOverPort(natives: Natives, own: OwnObjects, onMessage: (event: MessageEvent) => void, connected: (port: MessagePort) => void): HandOver {
  const { apply, win, documentGet, MessageChannelCtor, MessageEventCtor, messageData, dispatchEvent, addEventListener, removeEventListener, portStart, portClose } = natives;
  const { withoutPrototype, ownSequence } = own;
  let offeredOn: EventTarget | undefined;
  let stopWaiting = (): void => {};
  let connectedPort: MessagePort | undefined;

  function handOverTo(doc: EventTarget): void {
    stopWaiting();
    offeredOn = doc;
    const channel = new MessageChannelCtor();
    let taken = false;

    function offer(): boolean {
      const init = withoutPrototype({ data: HOOK_PORT_DATA, ports: ownSequence([channel.port2]), cancelable: true });
      return !(apply(dispatchEvent, doc, [new MessageEventCtor(HANDOVER_EVENT_TYPE, init)]) as boolean); // the relay cancels it
    }
    function onReady(event: Event): void {
      let data: unknown;
      try {
        data = apply(messageData, event, []); // throws for what is not a MessageEvent (an image's load, captured)
      } catch {
        return;
      }
      if (data !== RELAY_READY_DATA || taken) return;
      if (offer()) took();
    }
    function took(): void {
      taken = true;
      stopWaiting();
      const port = channel.port1;
      apply(addEventListener, port, ['message', onMessage]);
      apply(portStart, port, []);
      const previous = connectedPort;
      connectedPort = port;
      connected(port);
      if (previous !== undefined) apply(portClose, previous, []);
    }
    stopWaiting = () => {
      apply(removeEventListener, doc, [HANDOVER_EVENT_TYPE, onReady, true]);
      stopWaiting = () => {};
    };

    if (offer()) took();
    else apply(addEventListener, doc, [HANDOVER_EVENT_TYPE, onReady, true]);
  }

  const doc = documentGet ? (apply(documentGet, win, []) as EventTarget | null) : null;
  if (doc) handOverTo(doc);
  return withoutPrototype({ stopWaiting: () => stopWaiting(), document: () => offeredOn, handOverTo });
}

/**
 * Hands `messages` to the relay synchronously, as a cancelable MessageEvent on the window's current document whose
 * `origin` is the relay's token and `data` a LastWords (see lib/shared/protocol/page.ts). True when the relay took
 * them (it cancels the event); false otherwise (no document, no relay listening, a token of another document's).
 */
export function lastHandOver(natives: Natives, own: OwnObjects, token: string, reason: LastWords['reason'], messages: PageToRelayMessage[]): boolean {
  const { apply, win, documentGet, MessageEventCtor, dispatchEvent } = natives;
  const { withoutPrototype } = own;
  try {
    const doc = documentGet ? (apply(documentGet, win, []) as EventTarget | null) : null;
    if (!doc) return false;
    const init = withoutPrototype({ data: withoutPrototype({ reason, messages }), origin: token, cancelable: true });
    return !(apply(dispatchEvent, doc, [new MessageEventCtor(HANDOVER_EVENT_TYPE, init)]) as boolean);
  } catch {
    return false; // never throw into the page's unload
  }
}
