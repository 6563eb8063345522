/**
 * "The page cannot tell", in Firefox ESR: every observation is made twice in the same Firefox build, once with the
 * extension installed and once without, and the two must be identical. Each probe runs in the page's own world
 * (WebDriver BiDi evaluates in the window realm, not a sandbox). Firefox's own messages and shapes differ from
 * Chrome's; what matters is that ours match Firefox's.
 */
import type { Page } from 'puppeteer-core';
import { test as base, expect, FIREFOX_EXTENSION_DIR, launchFirefox, openPage, uniqueId, waitForStore, type LaunchedFirefox } from './fixtures';
import { hookPropertyNames, prototypeAccessorPage, runPrototypeAccessorScenario } from '../support/prototype-traps';
import { CONSTRUCTOR_ARGUMENTS_PAGE, constructorArgumentsProbe } from '../support/constructor-arguments';

const test = base.extend<object, { withoutExt: LaunchedFirefox }>({
  withoutExt: [
    async ({}, use) => {
      const launched = await launchFirefox(null);
      await use(launched);
      await launched.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
});

type Probe<T> = (arg: string) => Promise<T> | T;

/** Runs `probe` in a fresh tab of each browser, on the same URL, and returns both results. */
async function both<T>(withExt: LaunchedFirefox, withoutExt: LaunchedFirefox, url: string, probe: Probe<T>, arg: string) {
  expect(withExt.hasExtension, 'the "with" browser has the extension').toBe(true);
  expect(withoutExt.hasExtension, 'the "without" browser has none').toBe(false);
  const run = async (l: LaunchedFirefox) => {
    const page: Page = await openPage(l.browser, url);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const result = (await page.evaluate(probe, arg)) as T;
    await page.close();
    return { result, errors };
  };
  const a = await run(withExt);
  const b = await run(withoutExt);
  expect(a.errors).toEqual(b.errors);
  return { with: a.result, without: b.result };
}

/** Describes own properties without exposing identities, and turns a throw into comparable data. */
const HELPERS = `<script>
  window.describeProps = (obj) => Reflect.ownKeys(obj).map((k) => {
    const d = Object.getOwnPropertyDescriptor(obj, k);
    return [String(k), 'value' in d ? typeof d.value : 'accessor', !!d.writable, d.enumerable, d.configurable,
      typeof d.value === 'function' ? [d.value.name, d.value.length, Function.prototype.toString.call(d.value)] :
      typeof d.value === 'number' ? d.value : null,
      d.get ? Function.prototype.toString.call(d.get) : null, d.set ? Function.prototype.toString.call(d.set) : null];
  });
  window.errorOf = (fn) => { try { fn(); return 'no error'; } catch (e) {
    return [e.constructor.name, e.name, e.message, e.code ?? null, e instanceof Error, e.constructor === DOMException, String(e.stack ?? '').split('\\n').length > 0]; } };
</script>`;

test('constructor, prototype, statics, window property and toString are the native ones', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-shape')}.html`, HELPERS);
  const r = await both(firefox, withoutExt, url, () => {
    const w = window as any;
    const WS = WebSocket;
    const fts = Function.prototype.toString;
    return {
      typeof: typeof WS,
      name: WS.name,
      length: WS.length,
      string: String(WS),
      toString: fts.call(WS),
      sendToString: fts.call(WS.prototype.send),
      closeToString: fts.call(WS.prototype.close),
      ftsToString: fts.call(fts),
      ftsOwnToString: fts.toString(),
      ftsName: fts.name,
      ftsLength: fts.length,
      wsToStringMethod: WS.toString(),
      templateString: `${WS}`,
      sendName: WS.prototype.send.name,
      sendLength: WS.prototype.send.length,
      sendHasPrototype: 'prototype' in WS.prototype.send,
      sendOwnKeys: Reflect.ownKeys(WS.prototype.send).map(String),
      ctorOwnKeys: Reflect.ownKeys(WS).map(String),
      protoConstructor: WS.prototype.constructor === WS,
      protoOfCtor: Object.getPrototypeOf(WS) === EventTarget,
      protoOfProto: Object.getPrototypeOf(WS.prototype) === EventTarget.prototype,
      statics: w.describeProps(WS),
      protoProps: w.describeProps(WS.prototype),
      fnProtoProps: w.describeProps(Function.prototype),
      windowDescriptor: (() => {
        const d = Object.getOwnPropertyDescriptor(window, 'WebSocket')!;
        return [typeof d.value, d.writable, d.enumerable, d.configurable, d.value === WS];
      })(),
      windowHasOwn: Object.getOwnPropertyNames(window).includes('WebSocket'),
      // Nothing of ours on the global: the same own names. Sorted, because Firefox defines built-in globals
      // lazily, on first use, and lists them in that order: the hook saving JSON, Proxy, WeakMap… before page
      // code runs moves them up the list (a known, documented difference: README "Firefox").
      windowOwnNames: Object.getOwnPropertyNames(window).sort(),
      windowOwnSymbols: Object.getOwnPropertySymbols(window).map(String),
      constants: [WS.CONNECTING, WS.OPEN, WS.CLOSING, WS.CLOSED, WS.prototype.CONNECTING, WS.prototype.OPEN, WS.prototype.CLOSING, WS.prototype.CLOSED],
      callWithoutNew: w.errorOf(() => (WS as any)('ws://127.0.0.1:1/')),
      illegalSend: w.errorOf(() => WS.prototype.send.call({}, 'x')),
      illegalClose: w.errorOf(() => WS.prototype.close.call({})),
      illegalSendOnEventTarget: w.errorOf(() => WS.prototype.send.call(new EventTarget(), 'x')),
      ftsOnNonFunction: w.errorOf(() => fts.call({})),
      reflectConstructNoArgs: w.errorOf(() => Reflect.construct(WS, [])),
      boundName: WS.bind(null).name,
      globalThisSame: globalThis.WebSocket === WS && self.WebSocket === WS,
    };
  }, '');
  expect(r.with).toEqual(r.without);
  // The probe looked at the real thing.
  expect(r.with.name).toBe('WebSocket');
});

test('instances: no own properties, same prototype, instanceof, constructor', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-instance')}.html`, HELPERS);
  const r = await both(firefox, withoutExt, url, async (wsOrigin) => {
    const ws = new WebSocket(`${wsOrigin}/echo`);
    const before = {
      ownKeys: Reflect.ownKeys(ws).map(String),
      instanceOf: ws instanceof WebSocket,
      instanceOfEventTarget: ws instanceof EventTarget,
      ctor: ws.constructor === WebSocket,
      proto: Object.getPrototypeOf(ws) === WebSocket.prototype,
      tag: Object.prototype.toString.call(ws),
      url: ws.url.replace(/:\d+\//, ':PORT/'),
      readyState: ws.readyState,
      binaryType: ws.binaryType,
      protocol: ws.protocol,
      hasInstance: WebSocket[Symbol.hasInstance](ws),
      extensible: Object.isExtensible(ws),
    };
    await new Promise((r) => (ws.onopen = r));
    const after = { ownKeys: Reflect.ownKeys(ws).map(String), readyState: ws.readyState, protocol: ws.protocol, extensions: ws.extensions };
    ws.close();
    return { before, after };
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('constructor and method errors are the native ones (bad URL, send while CONNECTING, bad close)', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-errors')}.html`, HELPERS);
  const r = await both(firefox, withoutExt, url, async (wsOrigin) => {
    const w = window as any;
    const out: Record<string, unknown> = {
      badUrl: w.errorOf(() => new WebSocket('not a url')),
      badScheme: w.errorOf(() => new WebSocket('ftp://127.0.0.1/')),
      fragment: w.errorOf(() => new WebSocket(`${wsOrigin}/echo#frag`)),
      duplicateProtocol: w.errorOf(() => new WebSocket(`${wsOrigin}/echo`, ['a', 'a'])),
      invalidProtocol: w.errorOf(() => new WebSocket(`${wsOrigin}/echo`, 'a b')),
      noArgs: w.errorOf(() => new (WebSocket as any)()),
      symbolUrl: w.errorOf(() => new WebSocket(Symbol() as any)),
    };
    const ws = new WebSocket(`${wsOrigin}/echo`);
    out.sendWhileConnecting = w.errorOf(() => ws.send('x'));
    out.sendNoArgs = w.errorOf(() => (ws as any).send());
    out.sendSymbol = w.errorOf(() => ws.send(Symbol() as any));
    out.invalidCloseCode = w.errorOf(() => ws.close(1001));
    out.longReason = w.errorOf(() => ws.close(1000, 'x'.repeat(124)));
    await new Promise((r) => (ws.onopen = r));
    let calls = 0;
    out.sendObjectToStringOnce = w.errorOf(() => ws.send({ toString: () => `call${++calls}` } as any));
    out.toStringCalls = calls;
    out.throwingToString = w.errorOf(() => ws.send({ toString: () => { throw new RangeError('mine'); } } as any));
    ws.close(4000, 'bye');
    out.sendAfterClose = w.errorOf(() => ws.send('late'));
    out.bufferedAfterClose = ws.bufferedAmount;
    await new Promise((r) => (ws.onclose = r));
    return out;
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.with.sendWhileConnecting).not.toBe('no error');
});

test('constructor arguments are converted once, in the native order, whatever they are', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-arguments')}.html`, `${HELPERS}<script>${CONSTRUCTOR_ARGUMENTS_PAGE}</script>`);
  const r = await both(firefox, withoutExt, url, constructorArgumentsProbe, server.wsOrigin);
  // SpiderMonkey writes the caller's source for the value into these four messages ("({[Symbol.iterator]:5}) is
  // not iterable"); behind any wrapper of the constructor, ours included, the caller is not the page's code and
  // the message says "args[1]". Their class and name must still match; everything else must be equal.
  const decompiled = ['nextNotCallable', 'nonCallableIterator', 'nonCallableToPrimitive', 'primitiveToObject'];
  const withoutMessages = (result: typeof r.with) => ({
    log: result.log,
    out: Object.fromEntries(Object.entries(result.out).map(([k, v]) => [k, decompiled.includes(k) && Array.isArray(v) ? [v[0], v[1]] : v])),
  });
  expect(withoutMessages(r.with)).toEqual(withoutMessages(r.without));
  expect(r.without.log).toContain('toString protocol');
});

test('events: trusted, same target, listener order, binaryType, synthetic events', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-events')}.html`, `<script>
    window.log = [];
    window.onerror = (m) => { window.log.push('onerror:' + String(m).replace(/^Uncaught /, '')); return true; };
  </script>`);
  const r = await both(firefox, withoutExt, url, async (wsOrigin) => {
    const log: unknown[] = (window as any).log;
    const ws = new WebSocket(`${wsOrigin}/echo`);
    ws.addEventListener('message', (e) => log.push(['A', e.isTrusted, e.target === ws, e.currentTarget === ws, typeof e.data === 'string' ? e.data : Object.prototype.toString.call(e.data), e.eventPhase]));
    ws.onmessage = (e) => log.push(['on', e.isTrusted, typeof e.data === 'string' ? e.data : Object.prototype.toString.call(e.data)]);
    ws.addEventListener('message', () => log.push('once'), { once: true });
    ws.addEventListener('message', () => { throw new Error('listener threw'); });
    ws.addEventListener('message', () => log.push('after-throw'));
    ws.addEventListener('open', (e) => log.push(['open', e.isTrusted, e.constructor.name]));
    ws.addEventListener('close', (e) => log.push(['close', e.isTrusted, e.code, e.reason, e.wasClean, e.constructor.name]));
    await new Promise((r) => ws.addEventListener('open', r));
    const next = () => new Promise((r) => ws.addEventListener('message', r, { once: true }));
    let p = next(); ws.send('one'); await p;
    ws.binaryType = 'arraybuffer';
    p = next(); ws.send(new Uint8Array([1, 2, 3])); const ev = (await p) as MessageEvent;
    log.push(['ab', ev.data instanceof ArrayBuffer, ev.data.byteLength, [...new Uint8Array(ev.data)]]);
    ws.binaryType = 'blob';
    p = next(); ws.send(new Uint8Array([4, 5])); const ev2 = (await p) as MessageEvent;
    log.push(['blob', ev2.data instanceof Blob, ev2.data.size, [...new Uint8Array(await ev2.data.arrayBuffer())]]);
    ws.dispatchEvent(new MessageEvent('message', { data: 'synthetic' }));
    ws.close(1000, 'done');
    await new Promise((r) => ws.addEventListener('close', r));
    return log;
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.with.length).toBeGreaterThan(10);
});

test('pages that replace natives we use, and page-side wrappers, see only their own calls', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-natives')}.html`, `<script>
    window.counts = { add: 0, post: 0, stringify: 0, push: 0, dataGetter: 0, setTimeout: 0, dispatch: 0 };
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (...a) { window.counts.add++; return add.apply(this, a); };
    const dispatch = EventTarget.prototype.dispatchEvent;
    EventTarget.prototype.dispatchEvent = function (...a) { window.counts.dispatch++; return dispatch.apply(this, a); };
    const post = window.postMessage;
    window.postMessage = function (...a) { window.counts.post++; return post.apply(this, a); };
    const stringify = JSON.stringify;
    JSON.stringify = function (...a) { window.counts.stringify++; return stringify.apply(this, a); };
    const push = Array.prototype.push;
    Array.prototype.push = function (...a) { window.counts.push++; return push.apply(this, a); };
    const data = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
    Object.defineProperty(MessageEvent.prototype, 'data', { ...data, get() { window.counts.dataGetter++; return data.get.call(this); } });
    const st = window.setTimeout;
    window.setTimeout = function (...a) { window.counts.setTimeout++; return st.apply(this, a); };
    window.messages = [];
    window.addEventListener('message', (e) => window.messages.push(typeof e.data));
    window.customEvents = [];
    for (const type of ['websocket-inspector:port', 'websocket-inspector:relay-ready']) window.addEventListener(type, () => window.customEvents.push(type), true);
  </script>`);
  const r = await both(firefox, withoutExt, url, async (wsOrigin) => {
    const w = window as any;
    const log: unknown[] = [];
    const ws = new WebSocket(`${wsOrigin}/echo`);
    ws.binaryType = 'arraybuffer';
    await new Promise<void>((r) => ws.addEventListener('open', () => r()));
    let got = 0;
    const done = new Promise<void>((r) => (ws.onmessage = () => { if (++got === 20) r(); }));
    for (let i = 0; i < 10; i++) ws.send(`m${i}`);
    for (let i = 0; i < 10; i++) ws.send(new Uint8Array([i]));
    await done;
    await new Promise((r) => (w.setTimeout as typeof setTimeout)(r, 100));
    ws.close();
    // A page that wraps the constructor and send itself, after load.
    const NativeWS = window.WebSocket;
    const origSend = NativeWS.prototype.send;
    NativeWS.prototype.send = function (this: WebSocket, d: any) { log.push(['wrapped-send', String(d)]); return origSend.call(this, d); };
    w.WebSocket = function (u: string) { log.push('wrapped-ctor'); return new NativeWS(u); };
    w.WebSocket.prototype = NativeWS.prototype;
    const wrapped = new w.WebSocket(`${wsOrigin}/echo`);
    await new Promise((r) => (wrapped.onopen = r));
    const echoed = new Promise((r) => (wrapped.onmessage = (e: MessageEvent) => r(e.data)));
    wrapped.send('via-wrapper');
    log.push(['echo', await echoed, wrapped instanceof NativeWS]);
    wrapped.close();
    class Tracked extends NativeWS {
      override send(d: string) { log.push(['sub-send', d]); super.send(d); }
    }
    const t = new Tracked(`${wsOrigin}/echo`);
    log.push(['sub', t instanceof Tracked, t instanceof NativeWS, t.constructor === Tracked, Reflect.ownKeys(t).length]);
    await new Promise((r) => (t.onopen = r));
    const echoed2 = new Promise((r) => (t.onmessage = (e) => r(e.data)));
    t.send('from-subclass');
    log.push(['echo2', await echoed2]);
    t.close();
    return { counts: w.counts, windowMessages: w.messages, customEvents: w.customEvents, log };
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('a page with accessors on Object.prototype and Array.prototype for every name the hook uses sees only its own calls', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-prototype-accessors')}.html`, prototypeAccessorPage(hookPropertyNames(FIREFOX_EXTENSION_DIR)));
  const r = await both(firefox, withoutExt, url, runPrototypeAccessorScenario, server.wsOrigin);
  expect(r.without.trapped, 'every accessor was put in place').toBe(true);
  expect(r.with).toEqual(r.without);
});

test('WebSocket in same-origin, srcdoc and script-made about:blank frames looks native', async ({ firefox, withoutExt, server }) => {
  const id = uniqueId('inv-frames');
  server.page(`/${id}-child.html`, '<p>child</p>');
  const url = server.page(`/${id}.html`, `<iframe id="a" src="/${id}-child.html"></iframe><iframe id="b" srcdoc="<p>s</p>"></iframe>`);
  const r = await both(firefox, withoutExt, url, async (wsOrigin) => {
    const out: unknown[] = [];
    await new Promise((r) => setTimeout(r, 300));
    for (const id of ['a', 'b']) {
      const win = (document.getElementById(id) as HTMLIFrameElement).contentWindow as any;
      const ChildWS = win.WebSocket;
      const ws = new ChildWS(`${wsOrigin}/echo`);
      out.push([id, ChildWS === WebSocket, ws instanceof ChildWS, win.Function.prototype.toString.call(ChildWS), Reflect.ownKeys(ws).length, ChildWS.name, ChildWS.length]);
      await new Promise((r) => (ws.onopen = r));
      const echoed = new Promise((r) => (ws.onmessage = (e: MessageEvent) => r(e.data)));
      ws.send(`hi ${id}`);
      out.push(await echoed);
      ws.close();
    }
    const blank = document.createElement('iframe');
    document.body.append(blank);
    const BlankWS = (blank.contentWindow as any).WebSocket;
    out.push(['blank', (blank.contentWindow as any).Function.prototype.toString.call(BlankWS), BlankWS.name, String(BlankWS)]);
    return out;
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('the "with" browser did capture while being compared', async ({ firefox, reader, server }) => {
  // Guards the comparisons above: they must run with a working hook, not a missing one.
  const id = uniqueId('inv-capture');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, HELPERS));
  await page.evaluate(async (wsUrl) => {
    const ws = new WebSocket(wsUrl);
    await new Promise((r) => (ws.onopen = r));
    const echoed = new Promise((r) => (ws.onmessage = r));
    ws.send('probe-capture');
    await echoed;
  }, wsUrl);
  await waitForStore(reader, (s) => s.frames.some((f) => f.text === 'probe-capture' && f.dir === 'receive' && s.connections.some((c) => c.id === f.connectionId && c.url === wsUrl)));
  await page.close();
});
