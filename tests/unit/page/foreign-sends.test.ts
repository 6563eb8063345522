import { afterEach, describe, expect, it } from 'vitest';
import { installPageHook } from '@/lib/page';
import { FOREIGN_SEND_TYPE } from '@/lib/page/foreign-sends';
import { fakeRelay, fakeWindow, network } from './fake-window';
import { allEvents } from './decode';

const relays: Array<ReturnType<typeof fakeRelay>> = [];
afterEach(() => {
  for (const r of relays.splice(0)) r.close();
});

function hooked() {
  const win = fakeWindow();
  const relay = fakeRelay(win);
  relays.push(relay);
  const hook = installPageHook(win)!;
  return { win, relay, hook };
}

async function eventsOf(h: ReturnType<typeof hooked>) {
  if (h.hook.pendingCount() > 0) {
    const before = h.relay.received.length;
    h.hook.flush();
    await h.relay.until(before + 1);
  }
  return allEvents(h.relay.received);
}

describe('a frame sent through another realm\'s send', () => {
  it('is sent once and recorded by the socket\'s own hook, not by the sender\'s', async () => {
    const owner = hooked();
    const other = hooked();
    const ws = new owner.win.WebSocket('ws://127.0.0.1:1/x');
    network.open(ws);
    const result = other.win.WebSocket.prototype.send.call(ws, 'across');
    other.win.WebSocket.prototype.send.call(ws, new Uint8Array([5, 6]));
    expect(result).toBeUndefined();
    expect(network.sent(ws)).toHaveLength(2);
    const frames = (await eventsOf(owner)).filter((e) => e.k === 'frame');
    expect(frames.map((e) => [e.dir, e.data instanceof ArrayBuffer ? [...new Uint8Array(e.data)] : e.data, e.status])).toEqual([
      ['send', 'across', 'sent'],
      ['send', [5, 6], 'sent'],
    ]);
    expect(other.hook.pendingCount()).toBe(0);
  });

  it('records a send the native refused as refused, and rethrows its error', async () => {
    const owner = hooked();
    const other = hooked();
    const ws = new owner.win.WebSocket('ws://127.0.0.1:1/x');
    expect(() => other.win.WebSocket.prototype.send.call(ws, 'early')).toThrow(/CONNECTING/);
    const frames = (await eventsOf(owner)).filter((e) => e.k === 'frame');
    expect(frames.map((e) => [e.data, e.status])).toEqual([['early', 'refused']]);
  });

  it('leaves a page\'s own event of that type to the page\'s listeners, and records nothing', async () => {
    const owner = hooked();
    const ws = new owner.win.WebSocket('ws://127.0.0.1:1/x');
    network.open(ws);
    let seen = 0;
    ws.addEventListener(FOREIGN_SEND_TYPE, () => seen++);
    ws.dispatchEvent(new owner.win.MessageEvent(FOREIGN_SEND_TYPE, { data: function send() {} }));
    ws.dispatchEvent(new owner.win.MessageEvent(FOREIGN_SEND_TYPE, { data: 'x' }));
    expect(seen).toBe(2);
    expect((await eventsOf(owner)).filter((e) => e.k === 'frame')).toEqual([]);
  });
});
