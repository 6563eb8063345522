/**
 * Hand-over of a private MessagePort to the relay (the isolated-world content script), once. Synchronous DOM
 * events on `window` before any page script has run: no page listener can exist yet, and unlike
 * window.postMessage nothing is left for the page's own message listeners to see. If the relay is not there yet,
 * the hook offers again when it says it is ready.
 */
import { PORT_EVENT, RELAY_READY_EVENT } from '../shared/protocol';
import type { Natives } from './natives';
import type { OwnObjects } from './own-objects';

export interface HandOver {
  /** Stops waiting for the relay (stop). */
  stopWaiting(): void;
}

/**
 * Offers the port now, and again on RELAY_READY_EVENT until taken. Once it is, `onMessage` listens on our end
 * and `connected` gets it.
 */
export function handOverPort(natives: Natives, own: OwnObjects, onMessage: (event: MessageEvent) => void, connected: (port: MessagePort) => void): HandOver {
  const { apply, win, MessageChannelCtor, MessageEventCtor, dispatchEvent, addEventListener, removeEventListener, portStart } = natives;
  const { withoutPrototype, ownSequence } = own;
  const channel = new MessageChannelCtor();
  let taken = false;

  function offerPort(): boolean {
    const offer = new MessageEventCtor(PORT_EVENT, withoutPrototype({ ports: ownSequence([channel.port2]), cancelable: true }));
    return !(apply(dispatchEvent, win, [offer]) as boolean); // the relay calls preventDefault() when it takes it
  }
  function onRelayReady(): void {
    if (!taken && offerPort()) took();
  }
  function took(): void {
    taken = true;
    apply(removeEventListener, win, [RELAY_READY_EVENT, onRelayReady]);
    const port = channel.port1;
    apply(addEventListener, port, ['message', onMessage]);
    apply(portStart, port, []);
    connected(port);
  }
  function stopWaiting(): void {
    apply(removeEventListener, win, [RELAY_READY_EVENT, onRelayReady]);
  }

  if (offerPort()) took();
  else apply(addEventListener, win, [RELAY_READY_EVENT, onRelayReady]);
  return withoutPrototype({ stopWaiting });
}
