import { afterEach, describe, expect, it } from 'vitest';
import { PagePort } from '@/lib/relay/page-port';
import { NAMESPACE, PORT_EVENT, RELAY_READY_EVENT } from '@/lib/shared/protocol';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/** A window stand-in: Node's EventTarget ignores a boolean `capture` when removing a listener, as browsers do not. */
class Target extends EventTarget {
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, typeof options === 'boolean' ? { capture: options } : options);
  }
}

/** A window stand-in and the hook's side of the hand-over: on the relay's ready it offers one end of a channel. */
function page() {
  const target = new Target();
  const channel = new MessageChannel();
  channels.push(channel);
  const received: unknown[] = [];
  channel.port1.onmessage = (e) => received.push(e.data);
  let taken: boolean | undefined;
  const offer = (ports: MessagePort[] = [channel.port2]) => {
    const event = portEvent(ports);
    target.dispatchEvent(event);
    return event.defaultPrevented;
  };
  target.addEventListener(RELAY_READY_EVENT, () => (taken = offer()));
  return { target, channel, received, offer, taken: () => taken };
}
/** The hook's offer: a cancellable event carrying its port (Node's MessageEvent ignores `cancelable`). */
const portEvent = (ports: MessagePort[]) => Object.assign(new Event(PORT_EVENT, { cancelable: true }), { ports });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const stop = { ns: NAMESPACE, type: 'stop' } as const;

describe('PagePort', () => {
  it('takes the hook\'s port at the hand-over (cancelling the offer), and delivers what was posted before it first', async () => {
    const p = page();
    const port = new PagePort();
    port.post(stop); // before the hand-over: kept
    const fromPage: unknown[] = [];
    port.awaitHandover(p.target, (data) => fromPage.push(data), false);
    expect(p.taken()).toBe(true);
    port.post({ ns: NAMESPACE, type: 'spare-buffer', buffer: new ArrayBuffer(4) });
    p.channel.port1.postMessage({ hello: 'relay' });
    await settle();
    expect(p.received).toEqual([stop, { ns: NAMESPACE, type: 'spare-buffer', buffer: new ArrayBuffer(4) }]);
    expect(fromPage).toEqual([{ hello: 'relay' }]);
  });

  it('takes one port only, and hides the offer from listeners after it', () => {
    const p = page();
    let seenAfter = 0;
    const port = new PagePort();
    port.awaitHandover(p.target, () => undefined, false);
    p.target.addEventListener(PORT_EVENT, () => seenAfter++, true);
    const other = new MessageChannel();
    channels.push(other);
    expect(p.offer([other.port2])).toBe(false); // a second offer is not taken
    expect(seenAfter).toBe(1);
  });

  it('ignores an offer without exactly one port, and stops listening when told', () => {
    const p = new Target();
    const port = new PagePort();
    const stopListening = port.awaitHandover(p, () => undefined, false);
    const none = portEvent([]);
    p.dispatchEvent(none);
    expect(none.defaultPrevented).toBe(false);
    stopListening();
    const channel = new MessageChannel();
    channels.push(channel);
    const late = portEvent([channel.port2]);
    p.dispatchEvent(late);
    expect(late.defaultPrevented).toBe(false);
  });
});
