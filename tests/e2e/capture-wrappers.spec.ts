/**
 * Pages that build on WebSocket themselves (subclasses, their own wrappers around the constructor and `send`,
 * replaced globals) are still captured, and every frame is recorded exactly once.
 */
import { test, expect, waitForStore, framesOf } from './fixtures';

test('a subclass overriding send and calling super.send has each frame recorded once', async ({ page, server, sw }) => {
  const url = server.page('/subclass.html', `<script>
    window.calls = 0;
    window.got = [];
    class Traced extends WebSocket {
      send(data) { window.calls++; super.send(data); }
    }
    const ws = new Traced('${server.wsOrigin}/echo', ['chat']);
    window.isTraced = ws instanceof Traced && ws instanceof WebSocket && ws.constructor === Traced;
    ws.onopen = () => { ws.send('one'); ws.send(new Uint8Array([2])); ws.send('three'); };
    ws.onmessage = (e) => window.got.push(e.data);
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { got: unknown[] }).got.length)).toBe(3);
  expect(await page.evaluate(() => [(window as unknown as { calls: number }).calls, (window as unknown as { isTraced: boolean }).isTraced])).toEqual([3, true]);
  expect(server.received).toHaveLength(3);

  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 6);
  await page.waitForTimeout(300); // a duplicate would arrive with the same flush
  const settled = await waitForStore(sw, () => true);
  expect(settled.frames.length).toBe(s.frames.length);
  expect(s.connections).toHaveLength(1);
  expect(s.connections[0]).toMatchObject({ protocols: ['chat'], protocol: 'chat' });
  expect(framesOf(s, s.connections[0].id).map((f) => [f.dir, f.text ?? f.base64])).toEqual([
    ['send', 'one'],
    ['send', 'Ag=='],
    ['send', 'three'],
    ['receive', 'one'],
    ['receive', 'Ag=='],
    ['receive', 'three'],
  ]);
});

test('a page that wraps WebSocket and WebSocket.prototype.send after load is captured once per frame', async ({ page, server, sw }) => {
  const url = server.page('/wrapped.html', `<script>
    window.addEventListener('load', () => {
      window.wraps = { construct: 0, send: 0, proxySend: 0 };
      window.got = [];
      // A function wrapper, as old analytics snippets do…
      const NativeWebSocket = window.WebSocket;
      function WrappedWebSocket(url, protocols) {
        window.wraps.construct++;
        return protocols === undefined ? new NativeWebSocket(url) : new NativeWebSocket(url, protocols);
      }
      WrappedWebSocket.prototype = NativeWebSocket.prototype;
      Object.assign(WrappedWebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
      window.WebSocket = WrappedWebSocket;
      // …a send wrapper on the prototype…
      const originalSend = WebSocket.prototype.send;
      WebSocket.prototype.send = function (data) { window.wraps.send++; return originalSend.call(this, data); };
      // …and a Proxy around that, as newer libraries do.
      const wrappedSend = WebSocket.prototype.send;
      WebSocket.prototype.send = new Proxy(wrappedSend, { apply(target, self, args) { window.wraps.proxySend++; return Reflect.apply(target, self, args); } });

      const ws = new WebSocket('${server.wsOrigin}/echo');
      ws.onopen = () => { ws.send('alpha'); ws.send('beta'); };
      ws.onmessage = (e) => window.got.push(e.data);
      // A second socket through a Proxy of the wrapper.
      const Proxied = new Proxy(window.WebSocket, { construct(target, args) { return Reflect.construct(target, args); } });
      const other = new Proxied('${server.wsOrigin}/echo?proxied');
      other.onopen = () => other.send('gamma');
      other.onmessage = (e) => window.got.push(e.data);
    });
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => ((window as unknown as { got?: unknown[] }).got ?? []).length)).toBe(3);
  expect(await page.evaluate(() => (window as unknown as { wraps: object }).wraps)).toEqual({ construct: 2, send: 3, proxySend: 3 });
  // Two sockets open in either order, so order holds per connection only: alpha before beta, gamma anywhere.
  const sent = server.received.map((m) => m.data.toString());
  expect(sent.filter((text) => text !== 'gamma')).toEqual(['alpha', 'beta']);
  expect([...sent].sort()).toEqual(['alpha', 'beta', 'gamma']);

  const s = await waitForStore(sw, (s) => s.connections.length === 2 && s.frames.filter((f) => f.kind === 'frame').length >= 6);
  await page.waitForTimeout(300);
  const settled = await waitForStore(sw, () => true);
  expect(settled.frames.length, 'no duplicates arrive later').toBe(s.frames.length);
  const plain = s.connections.find((c) => c.url.endsWith('/echo'))!;
  const proxied = s.connections.find((c) => c.url.endsWith('/echo?proxied'))!;
  expect(framesOf(s, plain.id).map((f) => [f.dir, f.text])).toEqual([
    ['send', 'alpha'],
    ['send', 'beta'],
    ['receive', 'alpha'],
    ['receive', 'beta'],
  ]);
  expect(framesOf(s, proxied.id).map((f) => [f.dir, f.text])).toEqual([
    ['send', 'gamma'],
    ['receive', 'gamma'],
  ]);
});

test('a page that replaces postMessage, addEventListener, JSON and Array.prototype.push is still captured', async ({ page, server, sw }) => {
  const url = server.page('/hostile.html', `<script>
    window.tampered = 0;
    const count = () => { window.tampered++; };
    window.postMessage = function () { count(); throw new Error('no postMessage for you'); };
    MessagePort.prototype.postMessage = function () { count(); throw new Error('no port postMessage'); };
    const realAdd = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (...args) { count(); return realAdd.apply(this, args); };
    window.JSON = { stringify() { count(); return '"hijacked"'; }, parse() { count(); return null; } };
    const realPush = Array.prototype.push;
    Array.prototype.push = function (...items) { count(); return realPush.apply(this, items); };
    window.got = [];
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.onopen = () => { ws.send('still seen'); ws.send(new Uint8Array([7, 7]).buffer); };
    ws.onmessage = (e) => { window.got[window.got.length] = e.data; };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { got: unknown[] }).got.length)).toBe(2);
  // Our hook never went through the page's replacements.
  expect(await page.evaluate(() => (window as unknown as { tampered: number }).tampered)).toBe(0);
  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 4);
  expect(framesOf(s, s.connections[0].id).map((f) => [f.dir, f.text ?? f.base64])).toEqual([
    ['send', 'still seen'],
    ['send', 'Bwc='],
    ['receive', 'still seen'],
    ['receive', 'Bwc='],
  ]);
});
