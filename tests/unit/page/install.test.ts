import { afterEach, describe, expect, it, vi } from 'vitest';
import { installPageHook, type PageHookHandle } from '@/lib/page';
import { NAMESPACE } from '@/lib/shared/protocol';
import { fakeRelay, fakeWindow, network, FakeWebSocket, type FakeWindow } from './fake-window';
import { allEvents } from './decode';

let relay: ReturnType<typeof fakeRelay> | undefined;
afterEach(() => {
  relay?.close();
  relay = undefined;
  vi.useRealTimers();
});

function setUp(): { win: FakeWindow; hook: PageHookHandle; relay: ReturnType<typeof fakeRelay> } {
  const win = fakeWindow();
  relay = fakeRelay(win);
  const hook = installPageHook(win)!;
  expect(hook).toBeDefined();
  return { win, hook, relay };
}

describe('installPageHook', () => {
  it('records connect, open, frames both ways, error and close in one batch, plain frames as rows', async () => {
    const { win, hook, relay } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/x', ['chat', 'v2']);
    expect(ws).toBeInstanceOf(FakeWebSocket);
    expect(network.protocolsAskedFor(ws)).not.toBeInstanceOf(Array); // the native gets our own sequence
    network.open(ws);
    ws.send('hello');
    ws.send(new Uint8Array([1, 2, 3, 4]).subarray(1, 3));
    network.receive(ws, 'world');
    network.receive(ws, new Uint8Array([9]).buffer);
    network.error(ws);
    network.close(ws, 4000, 'bye');
    expect(hook.pendingCount()).toBe(8);
    hook.flush();
    const [msg] = await relay.until(1);
    expect(msg).toMatchObject({ ns: NAMESPACE, type: 'page-events' });
    expect(msg.ids).toHaveLength(1);
    const id = msg.ids[0];
    const events = allEvents(relay.received);
    expect(events.map((e) => [e.k, e.dir, e.data, e.seq])).toEqual([
      ['connect', undefined, undefined, undefined],
      ['open', undefined, undefined, 1],
      ['frame', 'send', 'hello', 2],
      ['frame', 'send', [2, 3], 3],
      ['frame', 'receive', 'world', 4],
      ['frame', 'receive', [9], 5],
      ['error', undefined, undefined, 6],
      ['close', undefined, undefined, 7],
    ]);
    expect(events[0]).toMatchObject({ socketId: id, url: 'ws://127.0.0.1:1/x', protocols: { 0: 'chat', 1: 'v2' }, frameUrl: 'https://page.test/app' });
    expect(events[1]).toMatchObject({ protocol: 'chat', extensions: '' });
    expect(events[7]).toMatchObject({ code: 4000, reason: 'bye', wasClean: true });
    expect(events.slice(2, 6).every((e) => e.socketId === id && e.origin === 'page' && e.status === 'sent')).toBe(true);
    expect(network.sent(ws)).toHaveLength(2);
    expect(hook.pendingCount()).toBe(0);
  });

  it('flushes on its own after 100 ms, not before', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { win, hook } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    network.open(ws);
    vi.advanceTimersByTime(99);
    expect(hook.pendingCount()).toBe(2);
    vi.advanceTimersByTime(1);
    expect(hook.pendingCount()).toBe(0);
  });

  it('records a send the native refuses, with its message, and rethrows', async () => {
    const { win, hook, relay } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    expect(() => ws.send('early')).toThrow(/CONNECTING/);
    hook.flush();
    await relay.until(1);
    expect(allEvents(relay.received)[1]).toMatchObject({ k: 'frame', status: 'refused', note: expect.stringMatching(/CONNECTING/), data: 'early' });
  });

  it('ignores untrusted events the page dispatches itself', () => {
    const { win, hook } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    ws.dispatchEvent(new Event('open'));
    expect(hook.pendingCount()).toBe(1); // the connect only
  });

  it('installs once per window', () => {
    const { win } = setUp();
    expect(installPageHook(win)).toBeUndefined();
  });

  it('keeps no events and sends nothing once the relay says stop', async () => {
    const { win, hook, relay } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    relay.post({ ns: NAMESPACE, type: 'stop' });
    await vi.waitFor(() => expect(hook.pendingCount()).toBe(0));
    network.open(ws);
    ws.send('after');
    expect(hook.pendingCount()).toBe(0);
    expect(network.sent(ws)).toEqual(['after']);
  });

  it('holds the page\'s events until the relay takes the port, then sends them', async () => {
    const win = fakeWindow();
    const hook = installPageHook(win)!;
    new win.WebSocket('ws://127.0.0.1:1/');
    expect(hook.pendingCount()).toBe(1);
    relay = fakeRelay(win);
    win.dispatchEvent(new Event('websocket-inspector:relay-ready'));
    const [msg] = await relay.until(1);
    expect(msg.type).toBe('page-events');
  });
});
