/**
 * "The page cannot tell": every observation below is made in the same Chromium build twice, once with the
 * extension loaded and once without, and the two must be identical. Each probe runs in the page's own world.
 */
import { expect, type Page } from '@playwright/test';
import { EXTENSION_DIR, comparisonTest, waitForStore, type Launched } from './fixtures';
import { hookPropertyNames, prototypeAccessorPage, runPrototypeAccessorScenario } from '../support/prototype-traps';
import { CONSTRUCTOR_ARGUMENTS_PAGE, constructorArgumentsProbe } from '../support/constructor-arguments';
import * as probes from '../support/invisibility-probes';

const test = comparisonTest;

/** Runs `probe` in a fresh page of each browser, on the same URL, and returns both results. */
async function both<T>(
  launched: { withExt: Launched; withoutExt: Launched },
  url: string,
  probe: (arg: string) => Promise<T> | T,
  arg: string,
): Promise<{ with: T; without: T }> {
  const run = async (l: Launched) => {
    const page: Page = await l.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    const result = await page.evaluate(probe, arg);
    await page.close();
    return { result, errors };
  };
  const a = await run(launched.withExt);
  const b = await run(launched.withoutExt);
  expect(launched.withExt.sw, 'the "with" browser has the extension').toBeTruthy();
  expect(launched.withoutExt.sw, 'the "without" browser has no extension').toBeUndefined();
  expect(a.errors).toEqual(b.errors);
  return { with: a.result, without: b.result };
}

test('constructor, prototype, statics and toString are the native ones', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-shape.html', `<script>${probes.PAGE_HELPERS}</script>`);
  const r = await both({ withExt, withoutExt }, url, probes.shapeProbe, '');
  expect(r.with).toEqual(r.without);
});

test('instances: no own properties, same prototype, instanceof, constructor', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-instance.html', `<script>${probes.PAGE_HELPERS}</script>`);
  const r = await both({ withExt, withoutExt }, url, probes.instanceProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('every constructor and method error is the native one', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-errors.html', `<script>${probes.PAGE_HELPERS}</script>`);
  const r = await both({ withExt, withoutExt }, url, probes.errorsProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('constructor arguments are converted once, in the native order, whatever they are', async ({ withExt, withoutExt, server }) => {
  // The hook converts the url and protocols itself (to know what was asked for) and hands the native strings:
  // every toString, iterator, getter and Proxy trap of the page's must run exactly as often, and in the same
  // order, as without the extension, and every error must be the native one.
  const url = server.page('/inv-arguments.html', `<script>${probes.PAGE_HELPERS}${CONSTRUCTOR_ARGUMENTS_PAGE}</script>`);
  const r = await both({ withExt, withoutExt }, url, constructorArgumentsProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.without.log).toContain('toString protocol');
});

test('events: trusted, same target, listener order, once, handleEvent, throwing listeners, binaryType', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-events.html', `<script>${probes.EVENTS_PAGE}</script>`);
  const r = await both({ withExt, withoutExt }, url, probes.eventsProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.with.length).toBeGreaterThan(10);
});

test('subclassing and page-side wrappers of WebSocket and send', async ({ withExt, withoutExt, server }) => {
  // Chromium's own: a subclass with a field and its own constructor, and a wrapper that passes protocols on; the
  // simpler wrapper and subclass of probes.nativesProbe run in both browsers.
  const url = server.page('/inv-subclass.html', `<script>${probes.PAGE_HELPERS}</script>`);
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const log: unknown[] = [];
    class Tracked extends WebSocket {
      extra = 1;
      constructor(u: string, p?: string | string[]) { super(u, p); log.push(['ctor', new.target === Tracked]); }
      override send(d: string) { log.push(['sub-send', d]); super.send(d); }
    }
    const t = new Tracked(`${wsOrigin}/echo`);
    log.push(['sub', t instanceof Tracked, t instanceof WebSocket, t.constructor === Tracked, Object.getPrototypeOf(t) === Tracked.prototype, Reflect.ownKeys(t).map(String), Tracked.OPEN, Tracked.name]);
    await new Promise((r) => (t.onopen = r));
    const echoed = new Promise((r) => (t.onmessage = (e) => r(e.data)));
    t.send('from-subclass');
    log.push(['echo', await echoed]);
    t.close();
    // A page that wraps the constructor and send itself, after load.
    const NativeWS = window.WebSocket;
    const origSend = NativeWS.prototype.send;
    NativeWS.prototype.send = function (this: WebSocket, d: any) { log.push(['wrapped-send', String(d)]); return origSend.call(this, d); };
    (window as any).WebSocket = function (u: string, p?: string) { log.push(['wrapped-ctor', u.replace(/\d+/g, 'N')]); return new NativeWS(u, p); } as any;
    (window as any).WebSocket.prototype = NativeWS.prototype;
    const ws = new (window as any).WebSocket(`${wsOrigin}/echo`);
    await new Promise((r) => (ws.onopen = r));
    const echoed2 = new Promise((r) => (ws.onmessage = (e: MessageEvent) => r(e.data)));
    ws.send('via-wrapper');
    log.push(['echo2', await echoed2, ws instanceof NativeWS]);
    ws.close();
    return log;
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('pages that replace natives we use see only their own calls', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-natives.html', `<script>${probes.NATIVES_PAGE}</script>`);
  const r = await both({ withExt, withoutExt }, url, probes.nativesProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('a page that put Proxy trap names and option getters on Object.prototype sees only its own calls', async ({ withExt, withoutExt, server }) => {
  // A missing trap of a Proxy handler, and a member left out of an options dictionary, are looked up on the
  // handler's or dictionary's prototype: with Object.prototype's, the page's functions there would run for us.
  const url = server.page('/inv-object-prototype.html', `<script>
    window.calls = [];
    const note = (name) => { if (!String(new Error().stack).includes('UtilityScript')) window.calls.push(name); };
    for (const trap of ['get', 'set', 'has', 'apply', 'construct', 'getPrototypeOf', 'setPrototypeOf', 'defineProperty',
      'deleteProperty', 'ownKeys', 'getOwnPropertyDescriptor', 'isExtensible', 'preventExtensions']) {
      Object.defineProperty(Object.prototype, trap, { configurable: true, writable: true, value() { note(trap); return undefined; } });
    }
    for (const member of ['capture', 'passive', 'signal', 'once', 'bubbles', 'cancelable', 'composed', 'lastEventId', 'ports', 'source']) {
      Object.defineProperty(Object.prototype, member, { configurable: true, get() { note(member); return undefined; } });
    }
  </script>`);
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const w = window as any;
    const out: unknown[] = [WebSocket.OPEN, typeof WebSocket.prototype.send, 'binaryType' in WebSocket.prototype, Object.getPrototypeOf(WebSocket) === EventTarget];
    out.push(Function.prototype.toString.call(WebSocket), Function.prototype.toString.call(WebSocket.prototype.send));
    class Sub extends WebSocket {}
    const ws = new Sub(`${wsOrigin}/echo`);
    out.push(ws instanceof Sub, ws instanceof WebSocket, Object.keys(ws).length);
    ws.binaryType = 'arraybuffer';
    await new Promise((r) => ws.addEventListener('open', r));
    const echoed = new Promise((r) => (ws.onmessage = (e) => r(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)])));
    ws.send('x');
    out.push(await echoed);
    const echoedBytes = new Promise((r) => (ws.onmessage = (e) => r([...new Uint8Array(e.data)])));
    ws.send(new Uint8Array([1, 2, 3]));
    out.push(await echoedBytes);
    await new Promise((r) => setTimeout(r, 200)); // our batches flush meanwhile
    ws.close();
    await new Promise((r) => (ws.onclose = r));
    return { out, calls: w.calls };
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('sockets from a same-origin child frame and a srcdoc frame behave natively', async ({ withExt, withoutExt, server }) => {
  server.page('/inv-child.html', '<p>child</p>');
  const url = server.page('/inv-frames.html', `<iframe id="a" src="/inv-child.html"></iframe><iframe id="b" srcdoc="<p>s</p>"></iframe>`);
  const r = await both({ withExt, withoutExt }, url, probes.framesProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('the extension did capture what the probes sent', async ({ withExt, server }) => {
  // Guards the comparisons above: they must run with a working hook, not a missing one.
  const url = server.page('/inv-capture.html', '<p>x</p>');
  const page = await withExt.context.newPage();
  await page.goto(url);
  await page.evaluate(probes.echoProbeCapture, `${server.wsOrigin}/echo`);
  await waitForStore(withExt.sw!, (s) => s.frames.some((f) => f.text === 'probe-capture' && f.dir === 'receive'));
  await page.close();
});

test('a page with accessors on Object.prototype and Array.prototype for every name the hook uses sees only its own calls', async ({ withExt, withoutExt, server }) => {
  const names = hookPropertyNames(EXTENSION_DIR);
  expect(names).toEqual(expect.arrayContaining(['original', 'holdId', 'queue', 'sendHold', 'replaced', 'next', 'done', 'writable']));
  const url = server.page('/inv-prototype-accessors.html', prototypeAccessorPage(names));
  const r = await both({ withExt, withoutExt }, url, runPrototypeAccessorScenario, server.wsOrigin);
  expect(r.without.trapped, 'every accessor was put in place').toBe(true);
  expect(r.with).toEqual(r.without);
});
