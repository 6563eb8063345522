import { afterEach, describe, expect, it } from 'vitest';
import { PagePort } from '@/lib/relay/page-port';
import { HANDOVER_EVENT_TYPE, HOOK_PORT_DATA, NAMESPACE, RELAY_READY_DATA } from '@/lib/shared/protocol';

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});
const channel = () => {
  const c = new MessageChannel();
  channels.push(c);
  return c;
};

/** A document stand-in: Node's EventTarget ignores a boolean `capture` when removing a listener, as browsers do not. */
class Doc extends EventTarget {
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, typeof options === 'boolean' ? { capture: options } : options);
  }
}

/** A hand-over event as the hook makes it: a cancelable 'load' MessageEvent (Node's ignores `cancelable` and `ports`). */
function offerEvent(data: unknown, ports: MessagePort[]): Event {
  return Object.assign(new Event(HANDOVER_EVENT_TYPE, { cancelable: true }), { data, ports });
}

/** The document and the hook's side of the hand-over: on the relay's ready it offers one end of a channel. */
function page() {
  const doc = new Doc();
  const c = channel();
  const received: unknown[] = [];
  c.port1.onmessage = (e) => received.push(e.data);
  let taken: boolean | undefined;
  const offer = (ports: MessagePort[] = [c.port2], data: unknown = HOOK_PORT_DATA) => {
    const event = offerEvent(data, ports);
    doc.dispatchEvent(event);
    return event.defaultPrevented;
  };
  doc.addEventListener(HANDOVER_EVENT_TYPE, (e) => {
    if ((e as MessageEvent).data === RELAY_READY_DATA) taken = offer();
  });
  return { doc, channel: c, received, offer, taken: () => taken };
}
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const stop = { ns: NAMESPACE, type: 'stop' } as const;

describe('PagePort', () => {
  it('takes the hook\'s port at the hand-over (cancelling the offer), and delivers what was posted before it first', async () => {
    const p = page();
    const port = new PagePort();
    port.post(stop); // before the hand-over: kept
    const fromPage: unknown[] = [];
    const handover = port.awaitHandover(p.doc, (data) => fromPage.push(data), false);
    expect(p.taken()).toBe(true);
    expect(handover.end()).toBe(true);
    port.post({ ns: NAMESPACE, type: 'spare-buffer', buffer: new ArrayBuffer(4) });
    p.channel.port1.postMessage({ hello: 'relay' });
    await settle();
    expect(p.received).toEqual([
      { ns: NAMESPACE, type: 'last-words-token', token: expect.stringMatching(/^[0-9a-f-]{36}$/) }, // first of all
      stop,
      { ns: NAMESPACE, type: 'spare-buffer', buffer: new ArrayBuffer(4) },
    ]);
    expect(fromPage).toEqual([{ hello: 'relay' }]);
  });

  it('takes the hook\'s last words (a load event on the document whose origin is its token) before any page listener', async () => {
    const p = page();
    const port = new PagePort();
    const lastWords: unknown[] = [];
    port.awaitHandover(p.doc, () => undefined, false, (data) => lastWords.push(data)).end();
    await settle();
    const token = (p.received[0] as { token: string }).token;
    const pageSaw: unknown[] = [];
    p.doc.addEventListener(HANDOVER_EVENT_TYPE, (e) => pageSaw.push((e as MessageEvent).origin), true);
    const words = (origin: string) => Object.assign(new Event(HANDOVER_EVENT_TYPE, { cancelable: true }), { origin, data: { reason: 'pagehide', messages: [] } });
    const own = words(token);
    p.doc.dispatchEvent(own);
    expect(own.defaultPrevented, 'cancelled: the hook knows it was taken').toBe(true);
    expect(lastWords).toEqual([{ reason: 'pagehide', messages: [] }]);
    expect(pageSaw, 'stopped before the page\'s listener').toEqual([]);
    // The page's own load events, with any other origin (or none), are left untouched.
    const forged = Object.assign(new Event(HANDOVER_EVENT_TYPE, { cancelable: true }), { origin: 'guess', data: { reason: 'pagehide', messages: [] } });
    p.doc.dispatchEvent(forged);
    p.doc.dispatchEvent(new Event(HANDOVER_EVENT_TYPE));
    expect(forged.defaultPrevented).toBe(false);
    expect(pageSaw).toEqual(['guess', undefined]);
    expect(lastWords).toHaveLength(1);
  });

  it('takes no last words when no port was handed over (the hook never had the token)', () => {
    const doc = new Doc();
    const port = new PagePort();
    const lastWords: unknown[] = [];
    expect(port.awaitHandover(doc, () => undefined, false, (data) => lastWords.push(data)).end()).toBe(false);
    let seen = 0;
    doc.addEventListener(HANDOVER_EVENT_TYPE, () => seen++);
    doc.dispatchEvent(Object.assign(new Event(HANDOVER_EVENT_TYPE), { origin: '' }));
    expect([seen, lastWords.length]).toEqual([1, 0]);
  });

  it('takes one port only, stops listening at once, and hides the offer from listeners after it', () => {
    const p = page();
    let seenAfter = 0;
    const port = new PagePort();
    port.awaitHandover(p.doc, () => undefined, false);
    p.doc.addEventListener(HANDOVER_EVENT_TYPE, () => seenAfter++, true);
    expect(p.offer([channel().port2])).toBe(false); // a second offer is not taken
    expect(seenAfter).toBe(1);
  });

  it('takes only an offer whose data is exactly the hook\'s and that carries exactly one port', () => {
    const doc = new Doc();
    const port = new PagePort();
    port.awaitHandover(doc, () => undefined, false);
    // Still listening (not ended): each malformed offer is ignored.
    for (const [data, ports] of [
      [HOOK_PORT_DATA, []],
      [HOOK_PORT_DATA, [channel().port2, channel().port2]],
      ['websocket-inspector:port ', [channel().port2]],
      [undefined, [channel().port2]],
      [{ toString: () => HOOK_PORT_DATA }, [channel().port2]],
    ] as Array<[unknown, MessagePort[]]>) {
      const event = offerEvent(data, ports);
      doc.dispatchEvent(event);
      expect(event.defaultPrevented).toBe(false);
    }
    expect(port.taken).toBe(false);
    const good = offerEvent(HOOK_PORT_DATA, [channel().port2]);
    doc.dispatchEvent(good);
    expect(good.defaultPrevented).toBe(true);
  });

  it('takes nothing once the listening window has ended: a late offer is not the hook\'s', () => {
    const doc = new Doc();
    const port = new PagePort();
    const handover = port.awaitHandover(doc, () => undefined, false);
    expect(handover.end()).toBe(false); // no hook answered: the hand-over failed
    const late = offerEvent(HOOK_PORT_DATA, [channel().port2]);
    doc.dispatchEvent(late);
    expect(late.defaultPrevented).toBe(false);
    expect(port.taken).toBe(false);
  });

  it('says it is ready on the document with a load MessageEvent carrying exactly RELAY_READY_DATA', () => {
    const doc = new Doc();
    const seen: unknown[] = [];
    doc.addEventListener(HANDOVER_EVENT_TYPE, (e) => seen.push([e.type, (e as MessageEvent).data]));
    new PagePort().awaitHandover(doc, () => undefined, false);
    expect(seen).toEqual([['load', RELAY_READY_DATA]]);
  });
});
