/**
 * "The page cannot tell": every observation below is made in the same Chromium build twice, once with the
 * extension loaded and once without, and the two must be identical. Each probe runs in the page's own world.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { EXTENSION_DIR, launchWithExtension, startTestServer, waitForStore, type TestServer } from './fixtures';
import { hookPropertyNames, prototypeAccessorPage, runPrototypeAccessorScenario } from '../support/prototype-traps';
import { CONSTRUCTOR_ARGUMENTS_PAGE, constructorArgumentsProbe } from '../support/constructor-arguments';

type Launched = Awaited<ReturnType<typeof launchWithExtension>>;

const test = base.extend<object, { withExt: Launched; withoutExt: Launched; server: TestServer }>({
  withExt: [
    async ({}, use) => {
      const l = await launchWithExtension();
      await use(l);
      await l.close();
    },
    { scope: 'worker' },
  ],
  withoutExt: [
    async ({}, use) => {
      const l = await launchWithExtension(null);
      await use(l);
      await l.close();
    },
    { scope: 'worker' },
  ],
  server: [
    async ({}, use) => {
      const s = await startTestServer();
      await use(s);
      await s.close();
    },
    { scope: 'worker' },
  ],
});

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

/** Describes an own property without exposing identities that differ across browsers. */
const DESCRIBE = `
  window.describeProps = (obj) => Reflect.ownKeys(obj).map((k) => {
    const d = Object.getOwnPropertyDescriptor(obj, k);
    return [String(k), 'value' in d ? typeof d.value : 'accessor', !!d.writable, d.enumerable, d.configurable,
      typeof d.value === 'function' ? [d.value.name, d.value.length, Function.prototype.toString.call(d.value)] :
      typeof d.value === 'number' ? d.value : null,
      d.get ? Function.prototype.toString.call(d.get) : null, d.set ? Function.prototype.toString.call(d.set) : null];
  });
  window.errorOf = (fn) => { try { fn(); return 'no error'; } catch (e) { return [e.constructor.name, e.name, e.message, e.code ?? null, e instanceof Error]; } };
`;

test('constructor, prototype, statics and toString are the native ones', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-shape.html', `<script>${DESCRIBE}</script>`);
  const r = await both({ withExt, withoutExt }, url, () => {
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
      windowKeyIndex: Object.getOwnPropertyNames(window).indexOf('WebSocket') >= 0,
      constants: [WS.CONNECTING, WS.OPEN, WS.CLOSING, WS.CLOSED, WS.prototype.CONNECTING, WS.prototype.CLOSED],
      callWithoutNew: w.errorOf(() => (WS as any)('ws://127.0.0.1:1/')),
      illegalSend: w.errorOf(() => WS.prototype.send.call({}, 'x')),
      illegalClose: w.errorOf(() => WS.prototype.close.call({})),
      illegalSendOnEventTarget: w.errorOf(() => WS.prototype.send.call(new EventTarget(), 'x')),
      ftsOnNonFunction: w.errorOf(() => fts.call({})),
      reflectConstructNoTarget: w.errorOf(() => Reflect.construct(WS, [])),
      boundName: WS.bind(null).name,
      globalThisSame: globalThis.WebSocket === WS && self.WebSocket === WS,
    };
  }, '');
  expect(r.with).toEqual(r.without);
});

test('instances: no own properties, same prototype, instanceof, constructor', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-instance.html', `<script>${DESCRIBE}</script>`);
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const ws = new WebSocket(`${wsOrigin}/echo`);
    const result = {
      ownKeys: Reflect.ownKeys(ws).map(String),
      instanceOf: ws instanceof WebSocket,
      instanceOfEventTarget: ws instanceof EventTarget,
      ctor: ws.constructor === WebSocket,
      proto: Object.getPrototypeOf(ws) === WebSocket.prototype,
      tag: Object.prototype.toString.call(ws),
      url: ws.url,
      readyState: ws.readyState,
      binaryType: ws.binaryType,
      protocol: ws.protocol,
      hasInstance: WebSocket[Symbol.hasInstance](ws),
      extensible: Object.isExtensible(ws),
    };
    await new Promise((r) => (ws.onopen = r));
    const after = { ownKeys: Reflect.ownKeys(ws).map(String), readyState: ws.readyState, protocol: ws.protocol, extensions: ws.extensions };
    ws.close();
    return { result, after };
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('every constructor and method error is the native one', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-errors.html', `<script>${DESCRIBE}</script>`);
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const w = window as any;
    const out: Record<string, unknown> = {
      badUrl: w.errorOf(() => new WebSocket('not a url')),
      badScheme: w.errorOf(() => new WebSocket('ftp://127.0.0.1/')),
      fragment: w.errorOf(() => new WebSocket(`${wsOrigin}/echo#frag`)),
      duplicateProtocol: w.errorOf(() => new WebSocket(`${wsOrigin}/echo`, ['a', 'a'])),
      invalidProtocol: w.errorOf(() => new WebSocket(`${wsOrigin}/echo`, 'a b')),
      emptyProtocol: w.errorOf(() => new WebSocket(`${wsOrigin}/echo`, '')),
      noArgs: w.errorOf(() => new (WebSocket as any)()),
      symbolUrl: w.errorOf(() => new WebSocket(Symbol() as any)),
    };
    const ws = new WebSocket(`${wsOrigin}/echo`);
    out.sendWhileConnecting = w.errorOf(() => ws.send('x'));
    out.sendNoArgs = w.errorOf(() => (ws as any).send());
    out.sendSymbol = w.errorOf(() => ws.send(Symbol() as any));
    out.invalidCloseCode = w.errorOf(() => ws.close(1001));
    out.longReason = w.errorOf(() => ws.close(1000, 'x'.repeat(124)));
    out.closeCodeNaN = w.errorOf(() => ws.close(NaN));
    await new Promise((r) => (ws.onopen = r));
    out.sendArrayBufferOk = w.errorOf(() => ws.send(new ArrayBuffer(3)));
    out.sendObject = w.errorOf(() => ws.send({ toString: () => 'obj' } as any));
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
});

test('constructor arguments are converted once, in the native order, whatever they are', async ({ withExt, withoutExt, server }) => {
  // The hook converts the url and protocols itself (to know what was asked for) and hands the native strings:
  // every toString, iterator, getter and Proxy trap of the page's must run exactly as often, and in the same
  // order, as without the extension, and every error must be the native one.
  const url = server.page('/inv-arguments.html', `<script>${DESCRIBE}${CONSTRUCTOR_ARGUMENTS_PAGE}</script>`);
  const r = await both({ withExt, withoutExt }, url, constructorArgumentsProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.without.log).toContain('toString protocol');
});

test('events: trusted, same target, listener order, once, handleEvent, throwing listeners, binaryType', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-events.html', `<script>
    window.log = [];
    window.onerror = (m) => { window.log.push('onerror:' + String(m).replace(/^Uncaught /, '')); return true; };
  </script>`);
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const w = window as any;
    const log: unknown[] = w.log;
    const ws = new WebSocket(`${wsOrigin}/echo`);
    ws.addEventListener('message', (e) => log.push(['A', e.isTrusted, e.target === ws, e.currentTarget === ws, typeof e.data === 'string' ? e.data : Object.prototype.toString.call(e.data), e.eventPhase]));
    ws.onmessage = (e) => log.push(['on', e.isTrusted, typeof e.data === 'string' ? e.data : Object.prototype.toString.call(e.data)]);
    ws.addEventListener('message', () => log.push('once'), { once: true });
    ws.addEventListener('message', { handleEvent(e: MessageEvent) { log.push(['handle', this === undefined ? 'u' : typeof this, e.type]); } });
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
    // A synthetic event dispatched by the page reaches its listeners as it would.
    ws.dispatchEvent(new MessageEvent('message', { data: 'synthetic' }));
    ws.close(1000, 'done');
    await new Promise((r) => ws.addEventListener('close', r));
    return log;
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.with.length).toBeGreaterThan(10);
});

test('subclassing and page-side wrappers of WebSocket and send', async ({ withExt, withoutExt, server }) => {
  const url = server.page('/inv-subclass.html', `<script>${DESCRIBE}</script>`);
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
  const url = server.page('/inv-natives.html', `<script>
    window.counts = { add: 0, post: 0, stringify: 0, push: 0, dataGetter: 0, readyState: 0, setTimeout: 0 };
    const add = EventTarget.prototype.addEventListener;
    EventTarget.prototype.addEventListener = function (...a) { window.counts.add++; return add.apply(this, a); };
    const post = window.postMessage;
    window.postMessage = function (...a) { window.counts.post++; return post.apply(this, a); };
    const stringify = JSON.stringify;
    JSON.stringify = function (...a) { window.counts.stringify++; return stringify.apply(this, a); };
    const push = Array.prototype.push;
    Array.prototype.push = function (...a) { window.counts.push++; return push.apply(this, a); };
    const data = Object.getOwnPropertyDescriptor(MessageEvent.prototype, 'data');
    Object.defineProperty(MessageEvent.prototype, 'data', { ...data, get() { window.counts.dataGetter++; return data.get.call(this); } });
    const rs = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'readyState');
    Object.defineProperty(WebSocket.prototype, 'readyState', { ...rs, get() { window.counts.readyState++; return rs.get.call(this); } });
    const st = window.setTimeout;
    window.setTimeout = function (...a) { window.counts.setTimeout++; return st.apply(this, a); };
    window.messages = [];
    window.addEventListener('message', (e) => window.messages.push(typeof e.data));
  </script>`);
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const w = window as any;
    const ws = new WebSocket(`${wsOrigin}/echo`);
    ws.binaryType = 'arraybuffer';
    await new Promise<void>((r) => ws.addEventListener('open', () => r()));
    let got = 0;
    const done = new Promise<void>((r) => (ws.onmessage = () => { if (++got === 20) r(); }));
    for (let i = 0; i < 10; i++) ws.send(`m${i}`);
    for (let i = 0; i < 10; i++) ws.send(new Uint8Array([i]));
    await done;
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await new Promise((r) => (w.setTimeout as typeof setTimeout)(r, 100));
    ws.close();
    return { counts: w.counts, windowMessages: w.messages };
  }, server.wsOrigin);
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
  const r = await both({ withExt, withoutExt }, url, async (wsOrigin) => {
    const out: unknown[] = [];
    await new Promise((r) => setTimeout(r, 300));
    for (const id of ['a', 'b']) {
      const win = (document.getElementById(id) as HTMLIFrameElement).contentWindow as any;
      const ChildWS = win.WebSocket;
      const ws = new ChildWS(`${wsOrigin}/echo`);
      out.push([id, ChildWS === WebSocket, ws instanceof ChildWS, ws instanceof WebSocket, win.Function.prototype.toString.call(ChildWS), Reflect.ownKeys(ws).length]);
      await new Promise((r) => (ws.onopen = r));
      const echoed = new Promise((r) => (ws.onmessage = (e: MessageEvent) => r(e.data)));
      ws.send(`hi ${id}`);
      out.push(await echoed);
      ws.close();
    }
    const blank = document.createElement('iframe');
    document.body.append(blank);
    const BlankWS = (blank.contentWindow as any).WebSocket;
    out.push(['blank', (blank.contentWindow as any).Function.prototype.toString.call(BlankWS), BlankWS.name]);
    return out;
  }, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('the extension did capture what the probes sent', async ({ withExt, server }) => {
  // Guards the comparisons above: they must run with a working hook, not a missing one.
  const url = server.page('/inv-capture.html', '<p>x</p>');
  const page = await withExt.context.newPage();
  await page.goto(url);
  await page.evaluate(async (wsOrigin) => {
    const ws = new WebSocket(`${wsOrigin}/echo`);
    await new Promise((r) => (ws.onopen = r));
    const echoed = new Promise((r) => (ws.onmessage = r));
    ws.send('probe-capture');
    await echoed;
  }, server.wsOrigin);
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
