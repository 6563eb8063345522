/**
 * The page scripts and page-side probes of the invisibility specs (tests/e2e for Chromium, tests/firefox for
 * Firefox): each spec runs a probe in the page twice, with and without the extension, and the two results must
 * be equal. Where the browsers' specs once differed, a probe here makes the observations of both: each holds
 * with and without the extension in either browser. The probes are serialised into the page by `page.evaluate`,
 * so each is self-contained: nothing from this module's scope in their bodies.
 */

/**
 * Page script: `window.describeProps` describes own properties without exposing identities that differ across
 * browsers; `window.errorOf` turns a throw into comparable data.
 */
export const PAGE_HELPERS = `
  window.describeProps = (obj) => Reflect.ownKeys(obj).map((k) => {
    const d = Object.getOwnPropertyDescriptor(obj, k);
    return [String(k), 'value' in d ? typeof d.value : 'accessor', !!d.writable, d.enumerable, d.configurable,
      typeof d.value === 'function' ? [d.value.name, d.value.length, Function.prototype.toString.call(d.value)] :
      typeof d.value === 'number' ? d.value : null,
      d.get ? Function.prototype.toString.call(d.get) : null, d.set ? Function.prototype.toString.call(d.set) : null];
  });
  window.errorOf = (fn) => { try { fn(); return 'no error'; } catch (e) {
    return [e.constructor.name, e.name, e.message, e.code ?? null, e instanceof Error, e.constructor === DOMException]; } };
`;

/** Runs in a page with PAGE_HELPERS: the constructor, its prototype and statics, the window property, toString. */
export function shapeProbe() {
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
}

/** Runs in the page: an instance's own keys, prototype, brand and attributes, before and after it opens. */
export async function instanceProbe(wsOrigin: string) {
  const ws = new WebSocket(`${wsOrigin}/echo`);
  const before = {
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
  return { before, after };
}

/** Runs in a page with PAGE_HELPERS: every error the constructor, send and close can throw, and what runs around them. */
export async function errorsProbe(wsOrigin: string) {
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
}

/** Page script for eventsProbe: a log, and an onerror that notes what a listener threw (and keeps it quiet). */
export const EVENTS_PAGE = `
  window.log = [];
  window.onerror = (m) => { window.log.push('onerror:' + String(m).replace(/^Uncaught /, '')); return true; };
`;

/** Runs in a page with EVENTS_PAGE: what every kind of listener sees, in order, and what each binaryType delivers. */
export async function eventsProbe(wsOrigin: string) {
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
}

/**
 * Page script for nativesProbe: replaces, with counting wrappers, natives the hook uses (it must have saved its
 * own before the page ran), and notes window messages and the hook's hand-over events that reach the page.
 */
export const NATIVES_PAGE = `
  window.counts = { add: 0, post: 0, stringify: 0, push: 0, dataGetter: 0, readyState: 0, setTimeout: 0, dispatch: 0 };
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
  const rs = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'readyState');
  Object.defineProperty(WebSocket.prototype, 'readyState', { ...rs, get() { window.counts.readyState++; return rs.get.call(this); } });
  const st = window.setTimeout;
  window.setTimeout = function (...a) { window.counts.setTimeout++; return st.apply(this, a); };
  window.messages = [];
  window.addEventListener('message', (e) => window.messages.push(typeof e.data));
  window.customEvents = [];
  for (const type of ['websocket-inspector:port', 'websocket-inspector:relay-ready']) window.addEventListener(type, () => window.customEvents.push(type), true);
`;

/**
 * Runs in a page with NATIVES_PAGE: text and binary traffic while our batches flush, then a page that wraps the
 * constructor and send itself, and a subclass; returns the counts with what the page saw.
 */
export async function nativesProbe(wsOrigin: string) {
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
  await new Promise((r) => requestAnimationFrame(() => r(null)));
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
}

/** Runs in a page with iframes `a` (same origin) and `b` (srcdoc): WebSocket in each, and in a script-made about:blank frame. */
export async function framesProbe(wsOrigin: string) {
  const out: unknown[] = [];
  await new Promise((r) => setTimeout(r, 300));
  for (const id of ['a', 'b']) {
    const win = (document.getElementById(id) as HTMLIFrameElement).contentWindow as any;
    const ChildWS = win.WebSocket;
    const ws = new ChildWS(`${wsOrigin}/echo`);
    out.push([id, ChildWS === WebSocket, ws instanceof ChildWS, ws instanceof WebSocket, win.Function.prototype.toString.call(ChildWS), Reflect.ownKeys(ws).length, ChildWS.name, ChildWS.length]);
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
}

/** Runs in the page: sends 'probe-capture' on a socket to `wsUrl` (an echo) and waits for the echo. */
export async function echoProbeCapture(wsUrl: string) {
  const ws = new WebSocket(wsUrl);
  await new Promise((r) => (ws.onopen = r));
  const echoed = new Promise((r) => (ws.onmessage = r));
  ws.send('probe-capture');
  await echoed;
}

// A hostile page's probes (tests/e2e/security.spec.ts, tests/firefox/security.spec.ts).

/**
 * A same-origin parent's script. `listenIn(src)`: an iframe whose src is set before it is inserted (its initial
 * about:blank gets no content script, and the navigation reuses that Window), with capture listeners on its
 * window for every name the hand-over ever used; resolves with the event types they saw and the ones that looked
 * like a hand-over. `navigateBlank(src)`: an iframe inserted first (about:blank, where the hook runs), then sent to
 * `src`; resolves with whether the Window was reused.
 */
export const REUSED_WINDOW_PARENT = `
  const loaded = (f) => new Promise((r) => f.addEventListener('load', () => setTimeout(r, 500), { once: true }));
  window.listenIn = async (src) => {
    const f = document.createElement('iframe');
    f.src = src;
    document.documentElement.append(f);
    const w = f.contentWindow;
    const events = [];
    const handover = [];
    const note = (e) => {
      events.push(e.type);
      const d = e.data;
      if ((e.ports && e.ports.length) || (typeof d === 'string' && d.startsWith('websocket-inspector'))) handover.push([e.type, String(d), e.ports ? e.ports.length : 0]);
      if (e.ports && e.ports.length) e.preventDefault(); // an attacker takes what it is offered
    };
    for (const t of ['load', 'websocket-inspector:port', 'websocket-inspector:relay-ready', 'message']) w.addEventListener(t, note, true);
    w.expando = 1;
    await loaded(f);
    return { events, handover, reused: f.contentWindow.expando === 1 };
  };
  window.navigateBlank = async (src) => {
    const f = document.createElement('iframe');
    document.documentElement.append(f);
    f.contentWindow.expando = 1;
    f.src = src;
    await loaded(f);
    return f.contentWindow.expando === 1;
  };
  window.openBlank = async (src) => {
    const w = window.open('', '_blank');
    w.expando = 1;
    const hooked = w.Function.prototype.toString !== Function.prototype.toString;
    w.location.href = src;
    await new Promise((r) => setTimeout(r, 1500));
    return { reused: w.expando === 1, hooked };
  };
`;

/** Runs in the page: the double-install guard's probe, as a page would try it. */
export function installProbe() {
  const probe = 'websocket-inspector:installed?';
  const toString = Function.prototype.toString;
  return [toString.call(WebSocket), Reflect.apply(toString, WebSocket, [probe]), Reflect.apply(toString, WebSocket, [probe, document])];
}

/**
 * Runs in the page: the stack of each error a page can make the hook's traps throw (no argument, send while
 * CONNECTING, send with a bad `this`, toString of a non-function), as text and, with the page's own
 * Error.prepareStackTrace, as each call site's file and function.
 */
export function stackProbe(wsOrigin: string) {
  const W = WebSocket as any;
  const ws = new WebSocket(`${wsOrigin}/silent`);
  const cases: Record<string, () => unknown> = {
    noArgument: function noArgument() { return new W(); },
    connecting: function connecting() { ws.send('x'); },
    badThis: function badThis() { WebSocket.prototype.send.call({}, 'x'); },
    notAFunction: function notAFunction() { return Function.prototype.toString.call({}); },
  };
  const stackOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return String((e as Error).stack);
    }
    return 'no throw';
  };
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(cases)) out[name] = stackOf(f);
  const E = Error as any;
  E.prepareStackTrace = (_e: unknown, sites: any[]) => sites.map((s) => `${s.getFileName()}:${s.getFunctionName()}`);
  for (const [name, f] of Object.entries(cases)) {
    try {
      f();
    } catch (e) {
      out[`${name}Sites`] = (e as any).stack;
    }
  }
  delete E.prepareStackTrace;
  ws.close();
  return out;
}

/** Runs in the page: prototype cycles through WebSocket, send and toString (Reflect's answer, and what Object.setPrototypeOf throws). */
export function cycleProbe() {
  const targets = [WebSocket, WebSocket.prototype.send, Function.prototype.toString];
  const reflect = targets.map((t) => Reflect.setPrototypeOf(t, Object.create(t)));
  reflect.push(Reflect.setPrototypeOf({}, WebSocket));
  const thrown = targets.map((t) => {
    try {
      Object.setPrototypeOf(t, Object.create(t));
      return ['no throw', ''];
    } catch (e) {
      return [(e as Error).name, (e as Error).message];
    }
  });
  return { reflect, thrown, intact: Object.getPrototypeOf(WebSocket) === EventTarget };
}

/** Runs in the page: `new WebSocket(Symbol(), iterable)` must throw on the url before reading the iterable. */
export function argumentOrderProbe() {
  let read = false;
  const iterable = {
    get [Symbol.iterator]() {
      read = true;
      return function* () {};
    },
  };
  let error = '';
  try {
    new WebSocket(Symbol() as unknown as string, iterable as unknown as string[]);
  } catch (e) {
    error = String(e);
  }
  return { read, error };
}
