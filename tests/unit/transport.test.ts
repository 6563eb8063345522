import { describe, expect, it, vi } from 'vitest';
import { memoryPortPair, runtimePort, type RuntimePortLike } from '../../lib/shared/transport';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('memoryPortPair', () => {
  it('delivers each side’s messages to the other, asynchronously and as a copy', async () => {
    const [a, b] = memoryPortPair<{ n: number; bytes: ArrayBuffer }, string>();
    const gotB: unknown[] = [];
    const gotA: unknown[] = [];
    b.listen((m) => gotB.push(m));
    a.listen((m) => gotA.push(m));
    const sent = { n: 1, bytes: new Uint8Array([1, 2]).buffer };
    a.send(sent);
    b.send('hi');
    expect(gotB).toEqual([]);
    await tick();
    expect(gotB).toEqual([{ n: 1, bytes: expect.any(ArrayBuffer) }]);
    expect(gotB[0]).not.toBe(sent);
    expect(new Uint8Array((gotB[0] as typeof sent).bytes)).toEqual(new Uint8Array([1, 2]));
    expect(gotA).toEqual(['hi']);
  });

  it('tells the other side of a disconnect, and refuses sends after it', async () => {
    const [a, b] = memoryPortPair<string, string>();
    const gone = vi.fn();
    const mine = vi.fn();
    b.listen(() => undefined, gone);
    a.listen(() => undefined, mine);
    a.disconnect();
    await tick();
    expect(gone).toHaveBeenCalledTimes(1);
    expect(mine).not.toHaveBeenCalled();
    expect(() => a.send('x')).toThrow(/disconnected/);
    expect(() => b.send('x')).toThrow(/disconnected/);
  });

  it('stops listening after the cleanup', async () => {
    const [a, b] = memoryPortPair<string, string>();
    const got = vi.fn();
    const stop = b.listen(got);
    stop();
    a.send('x');
    await tick();
    expect(got).not.toHaveBeenCalled();
  });
});

describe('runtimePort', () => {
  it('adapts a runtime port: send posts, listen adds and the cleanup removes both listeners', () => {
    const listeners = { message: new Set<(m: unknown) => void>(), disconnect: new Set<() => void>() };
    const raw: RuntimePortLike & { posted: unknown[] } = {
      posted: [],
      postMessage(m) {
        this.posted.push(m);
      },
      onMessage: { addListener: (l) => listeners.message.add(l), removeListener: (l) => listeners.message.delete(l) },
      onDisconnect: { addListener: (l) => listeners.disconnect.add(l), removeListener: (l) => listeners.disconnect.delete(l) },
      disconnect: vi.fn(),
    };
    const port = runtimePort<string>(raw);
    port.send('out');
    expect(raw.posted).toEqual(['out']);
    const got = vi.fn();
    const gone = vi.fn();
    const stop = port.listen(got, gone);
    for (const l of listeners.message) l('in');
    for (const l of listeners.disconnect) l();
    expect(got).toHaveBeenCalledWith('in');
    expect(gone).toHaveBeenCalledTimes(1);
    stop();
    expect(listeners.message.size + listeners.disconnect.size).toBe(0);
    port.disconnect();
    expect(raw.disconnect).toHaveBeenCalled();
  });
});
