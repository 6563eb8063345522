import { afterEach, describe, expect, it, vi } from 'vitest';
import { installPageHook, type PageHookHandle } from '@/lib/page';
import { HANDOVER_EVENT_TYPE, NAMESPACE } from '@/lib/shared/protocol';
import { FLUSH_INTERVAL_MS, IMMEDIATE_POSTS, SPARSE_EVENTS } from '@/lib/page/batch';
import { fakeRelay, fakeWindow, navigate, network, relayReady, FakeWebSocket, type FakeWindow } from './fake-window';
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

  it('posts sparse traffic at the end of its task (IMMEDIATE_POSTS batches per 100 ms); more within the window waits for the timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { win, hook } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    network.open(ws); // the same task: one post
    expect(hook.pendingCount()).toBe(2);
    await Promise.resolve();
    expect(hook.pendingCount()).toBe(0);
    ws.send('a'); // a request: the window's second post, at once too
    await Promise.resolve();
    expect(hook.pendingCount()).toBe(0);
    network.receive(ws, 'a'); // its reply: the third
    await Promise.resolve();
    expect(hook.pendingCount()).toBe(0);
    ws.send('x'); // the fourth
    await Promise.resolve();
    expect(hook.pendingCount()).toBe(0);
    expect(IMMEDIATE_POSTS).toBe(4);
    ws.send('b');
    ws.send('c');
    await Promise.resolve();
    vi.advanceTimersByTime(98);
    expect(hook.pendingCount()).toBe(2); // the fifth in the window waits for the timer
    vi.advanceTimersByTime(2);
    expect(hook.pendingCount()).toBe(0);
    vi.useRealTimers();
    await new Promise((r) => setTimeout(r, 120)); // a new window
    network.open(ws);
    expect(hook.pendingCount()).toBe(1);
    await Promise.resolve();
    expect(hook.pendingCount()).toBe(0);
  });

  it('posts everything queued, synchronously, when the page hides or freezes', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { win, hook } = setUp();
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    network.open(ws);
    win.dispatchEvent(new Event('pagehide'));
    expect(hook.pendingCount()).toBe(0);
    network.receive(ws, 'last words');
    expect(hook.pendingCount()).toBe(1);
    win.dispatchEvent(new Event('freeze'));
    expect(hook.pendingCount()).toBe(0);
  });

  it('with the relay\'s token, hands what it holds over synchronously on a real pagehide, and what follows a microtask later', async () => {
    const { win, hook, relay } = setUp();
    relay.post({ ns: NAMESPACE, type: 'last-words-token', token: 'tok-1' });
    await new Promise((r) => setTimeout(r, 10));
    const doc = (win as unknown as { document: EventTarget }).document;
    const words: Array<{ origin: string; data: any }> = [];
    doc.addEventListener(HANDOVER_EVENT_TYPE, (e) => {
      words.push({ origin: (e as MessageEvent).origin, data: (e as MessageEvent).data });
      e.preventDefault(); // taken, as the relay does
    }, true);
    const trusted = (e: Event) => Object.defineProperty(e, 'isTrusted', { value: true });
    const ws = new win.WebSocket('ws://127.0.0.1:1/');
    network.open(ws);
    network.receive(ws, 'echo');
    win.dispatchEvent(trusted(new Event('pagehide')));
    expect(hook.pendingCount()).toBe(0);
    expect(words.map((w) => [w.origin, w.data.reason])).toEqual([['tok-1', 'pagehide']]);
    expect(allEvents(Array.from(words[0].data.messages)).map((e: any) => e.k)).toEqual(['connect', 'open', 'frame']);
    ws.send('logout'); // the page's own pagehide listener
    await Promise.resolve();
    expect(allEvents(Array.from(words[1].data.messages)).map((e: any) => e.data)).toEqual(['logout']);
    // Back from the back/forward cache: no longer leaving. Sparse traffic still goes at once (an 'at-once'
    // hand-over), and a burst goes on the port.
    win.dispatchEvent(trusted(new Event('pageshow')));
    await new Promise((r) => setTimeout(r, FLUSH_INTERVAL_MS + 20)); // a quiet spell
    ws.send('again');
    await Promise.resolve();
    for (let i = 1; i < IMMEDIATE_POSTS; i++) {
      ws.send(`reply ${i}`); // the window's next posts at once
      await Promise.resolve();
    }
    expect(words.map((w) => w.data.reason)).toEqual(['pagehide', 'pagehide', ...Array(IMMEDIATE_POSTS).fill('at-once')]);
    expect(words.slice(2).map((w) => allEvents(Array.from(w.data.messages)).map((e: any) => e.data))).toEqual([['again'], ['reply 1'], ['reply 2'], ['reply 3']]);
    // The next batch in the window waits for the timer, and goes on the port.
    for (let i = 0; i < 3 * SPARSE_EVENTS; i++) ws.send(`burst ${i}`);
    const before = relay.received.length;
    hook.flush();
    await relay.until(before + 1);
    expect(words).toHaveLength(2 + IMMEDIATE_POSTS);
    expect(allEvents(relay.received.slice(before)).map((e: any) => e.data)).toEqual(Array.from({ length: 3 * SPARSE_EVENTS }, (_, i) => `burst ${i}`));
    // Every message is numbered in the order given, whichever way it went.
    const numbers = [...words.flatMap((w) => Array.from(w.data.messages)), ...relay.received].map((m: any) => m.n);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
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

  it('in a window a same-origin navigation reused, hands the next document\'s relay a port of its own, once', async () => {
    const { win, relay: first } = setUp();
    const before = new win.WebSocket('ws://127.0.0.1:1/before');
    network.open(before);
    win.dispatchEvent(new Event('pagehide')); // the first document goes: its last words go to its relay
    navigate(win);
    const second = fakeRelay(win); // the new document's relay, listening before the hook's copy runs
    expect(installPageHook(win), 'the hook already in the realm answers').toBeUndefined();
    expect(second.port).toBeDefined();
    new win.WebSocket('ws://127.0.0.1:1/after');
    const events = allEvents(await second.until(1));
    expect(events.map((e) => [e.k, e.url])).toEqual([['connect', 'ws://127.0.0.1:1/after']]);
    await first.until(1); // what came before the navigation went to the first relay
    expect(allEvents(first.received).some((e) => e.url === 'ws://127.0.0.1:1/after')).toBe(false);
    // The same document is not asked for again: a third copy gets no answer, and installs (as with no hook).
    const third = installPageHook(win);
    expect(third).toBeDefined();
    third!.stop();
  });

  it('in a reused window whose new relay runs after the hook, offers again on that relay\'s ready', async () => {
    const { win } = setUp();
    const doc = navigate(win);
    expect(installPageHook(win)).toBeUndefined();
    const late = fakeRelay(win);
    expect(late.port).toBeUndefined();
    relayReady(doc);
    expect(late.port).toBeDefined();
    new win.WebSocket('ws://127.0.0.1:1/late');
    expect(allEvents(await late.until(1))[0]).toMatchObject({ k: 'connect', url: 'ws://127.0.0.1:1/late' });
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
    const doc = (win as unknown as { document: EventTarget }).document;
    win.dispatchEvent(new Event('load')); // a window's own load, or an image's: not the relay
    doc.dispatchEvent(new Event('load'));
    expect(relay.port).toBeUndefined();
    relayReady(doc);
    const [msg] = await relay.until(1);
    expect(msg.type).toBe('page-events');
    relayReady(doc); // taken once: the hook no longer listens
  });

  it('never offers its port on window, where a listener a parent put on a reused window would see it', () => {
    const win = fakeWindow();
    const seen: string[] = [];
    for (const type of ['load', 'websocket-inspector:port', 'message']) win.addEventListener(type, () => seen.push(type), true);
    installPageHook(win);
    relayReady((win as unknown as { document: EventTarget }).document);
    expect(seen).toEqual([]);
  });
});

describe('the time of a send', () => {
  it('is taken before the browser sends: a thread held up after the native send does not shorten a latency', async () => {
    // A clock the test moves: the native send takes 5 ms of this thread (the network may already deliver the frame).
    let clock = 1000;
    class Clock {
      timeOrigin = 0;
      now(): number {
        return clock;
      }
    }
    const win = fakeWindow();
    Object.assign(win, { Performance: Clock, performance: new Clock() });
    const proto = win.WebSocket.prototype as unknown as FakeWebSocket;
    const nativeSend = proto.send;
    Object.defineProperty(proto, 'send', {
      value(this: FakeWebSocket, data: unknown) {
        nativeSend.call(this, data);
        clock += 5;
      },
      writable: true,
      configurable: true,
    });
    {
      relay = fakeRelay(win);
      const hook = installPageHook(win)!;
      const ws = new win.WebSocket('ws://127.0.0.1:1/');
      network.open(ws);
      ws.send('text');
      ws.send(new Uint8Array([1, 2]));
      hook.flush();
      await relay.until(1);
      const frames = allEvents(relay.received).filter((e) => e.k === 'frame');
      expect(frames.map((e) => [e.data, e.time])).toEqual([
        ['text', 1000],
        [[1, 2], 1005],
      ]);
      expect(clock).toBe(1010); // both went through the native send
    }
  });
});
