import { describe, expect, it } from 'vitest';
import { BackgroundPort } from '@/lib/relay/background-port';
import { memoryPortPair, type Port } from '@/lib/shared/transport';
import { NAMESPACE, PROTOCOL_VERSION, message, type RelayToBackgroundMessage } from '@/lib/shared/protocol';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const hello = () => message<RelayToBackgroundMessage>({ type: 'hello', protocolVersion: PROTOCOL_VERSION, topLevel: true, pageUrl: 'x', title: '', startedAt: 0 });

/** A BackgroundPort over in-memory port pairs: `background` holds the other end of each port it opened. */
function setup(options: { work?: boolean } = {}) {
  const background: Array<{ port: Port<unknown>; received: unknown[] }> = [];
  const timers: Array<{ callback: () => void; ms: number }> = [];
  const received: unknown[] = [];
  let valid = true;
  let stops = 0;
  const link = new BackgroundPort({
    connect: () => {
      const [relayEnd, backgroundEnd] = memoryPortPair<RelayToBackgroundMessage, unknown>();
      const side = { port: backgroundEnd, received: [] as unknown[] };
      backgroundEnd.listen((m) => side.received.push(m));
      background.push(side);
      return relayEnd;
    },
    contextValid: () => valid,
    setTimer: (callback, ms) => void timers.push({ callback, ms }),
    opened: hello,
    received: (data) => void received.push(data),
    hasWork: () => options.work ?? true,
    stop: () => {
      stops++;
      link.close();
    },
  });
  const runTimers = () => {
    for (const t of timers.splice(0)) t.callback();
  };
  return { link, background, timers, received, runTimers, invalidate: () => (valid = false), stops: () => stops };
}

describe('BackgroundPort', () => {
  it('opens once when wanted, says hello first, and is ready only once welcomed', async () => {
    const t = setup();
    t.link.want();
    t.link.want();
    expect(t.background).toHaveLength(1);
    expect(t.link.ready).toBe(false);
    t.link.welcome();
    expect(t.link.ready).toBe(true);
    await tick();
    expect(t.background[0].received).toEqual([hello()]);
    t.background[0].port.send({ ns: NAMESPACE, type: 'ack', batchSeq: 1 });
    await tick();
    expect(t.received).toEqual([{ ns: NAMESPACE, type: 'ack', batchSeq: 1 }]);
  });

  it('reopens with growing delays while there is work, and from zero after resetBackoff', async () => {
    const t = setup();
    t.link.want();
    for (let i = 0; i < 3; i++) {
      t.background.at(-1)!.port.disconnect();
      await tick();
      expect(t.link.connected).toBe(false);
      t.runTimers();
    }
    expect(t.background).toHaveLength(4);
    t.link.resetBackoff();
    t.background.at(-1)!.port.disconnect();
    await tick();
    expect(t.timers.map((timer) => timer.ms)).toEqual([0]);
  });

  it('with nothing to deliver stays closed after a drop until wanted again', async () => {
    const t = setup({ work: false });
    t.link.want();
    const old = t.background[0].port;
    old.disconnect();
    await tick();
    expect(t.timers).toEqual([]);
    expect(t.link.connected).toBe(false);
    t.link.want();
    expect(t.background).toHaveLength(2);
  });

  it('asks the relay to stop, without connecting, once the extension context is gone', () => {
    const t = setup();
    t.invalidate();
    t.link.want();
    expect(t.background).toHaveLength(0);
    expect(t.stops()).toBe(1);
    t.link.want();
    expect(t.stops()).toBe(1); // closed for good
  });

  it('a send that throws counts as a disconnect', () => {
    const t = setup();
    t.link.want();
    t.background[0].port.disconnect(); // closes both ends at once: the relay's next send throws
    expect(t.link.send(hello())).toBe(false);
    expect(t.link.connected).toBe(false);
    expect(t.timers).toHaveLength(1);
  });
});
