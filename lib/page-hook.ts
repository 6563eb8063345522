/**
 * The page hook: runs in the page's own JavaScript world (MAIN) before any page script, in every frame, and
 * records every WebSocket connection, open, frame, error and close without the page being able to tell.
 *
 * How it stays invisible:
 * - `window.WebSocket` becomes a Proxy of the native constructor with only a `construct` trap, so `name`,
 *   `length`, statics, `prototype`, `instanceof`, subclassing and calls without `new` all reach the native.
 *   `WebSocket.prototype.constructor` is pointed at the proxy so `ws.constructor === WebSocket` still holds.
 * - `send` is a Proxy of the native `send` with only an `apply` trap.
 * - `Function.prototype.toString` is a Proxy that answers for our proxies with the native source text
 *   ("function WebSocket() { [native code] }"), including for itself.
 * - Received frames, open, error and close are observed with native listeners added at construction, never
 *   re-dispatched: the page's events stay `isTrusted` and its listener order is untouched. Untrusted events
 *   (a page's own `dispatchEvent`) are not recorded as network traffic.
 * - Per-socket state lives in a WeakMap: sockets get no own properties.
 * - Every native we use is saved before page code runs, and called through a saved `Reflect.apply`, so a page
 *   that replaces `EventTarget.prototype.addEventListener`, `JSON`, `Array.prototype.push` or a getter cannot
 *   see or break us.
 *
 * Per frame it allocates one small event object; events are batched and posted to the relay on a timer, with
 * our own binary copies transferred rather than cloned.
 */
import type { FrameOrigin, FrameStatus, PageCommand, PageEvent, RelayToPageMessage } from './protocol';
import { NAMESPACE } from './protocol';

/** The events used for the one-time MessagePort hand-over between the page hook and the relay. */
export const PORT_EVENT = 'websocket-inspector:port';
export const RELAY_READY_EVENT = 'websocket-inspector:relay-ready';

/** Flush queued events to the relay at most this often: one post per interval, not per frame. */
const FLUSH_INTERVAL_MS = 8;
/** …or sooner when this many events are queued. */
const FLUSH_EVENT_COUNT = 2048;
/** Without a relay (it never said hello), keep at most this many events rather than grow without bound. */
const MAX_UNDELIVERED_EVENTS = 200_000;

const PROBE = 'websocket-inspector:installed?';

interface SocketState {
  id: string;
  seq: number;
}

export interface PageHookHandle {
  /** Stop recording (the wrappers stay, as thin pass-throughs). */
  stop(): void;
  /** Events queued and not yet posted (for tests). */
  pendingCount(): number;
  /** Post queued events now. */
  flush(): void;
}

type AnyFn = (...args: unknown[]) => unknown;

function getter(proto: object, name: string): AnyFn {
  const d = Object.getOwnPropertyDescriptor(proto, name);
  if (!d || typeof d.get !== 'function') throw new Error(`no getter ${name}`);
  return d.get as AnyFn;
}

/**
 * Installs the hook on `win` (a window). Returns undefined when the window has no WebSocket or the hook is
 * already installed there.
 */
export function installPageHook(win: typeof globalThis): PageHookHandle | undefined {
  const NativeWebSocket = win.WebSocket;
  if (typeof NativeWebSocket !== 'function') return undefined;

  // --- natives, saved before any page code runs ---------------------------------------------------------------
  const R = win.Reflect;
  const apply = R.apply;
  const construct = R.construct;
  const ObjectRef = win.Object;
  const defineProperty = ObjectRef.defineProperty;
  const getOwnPropertyDescriptor = ObjectRef.getOwnPropertyDescriptor;
  const ProxyCtor = win.Proxy;
  const WeakMapCtor = win.WeakMap;
  const MapCtor = win.Map;
  const WeakRefCtor = win.WeakRef;
  const wmGet = WeakMapCtor.prototype.get;
  const wmSet = WeakMapCtor.prototype.set;
  const mapGet = MapCtor.prototype.get;
  const mapSet = MapCtor.prototype.set;
  const mapDelete = MapCtor.prototype.delete;
  const wrDeref = WeakRefCtor.prototype.deref;
  const fnToString = win.Function.prototype.toString;
  const StringCtor = win.String;
  const ArrayIsArray = win.Array.isArray;
  const MathRandom = win.Math.random;
  const numberToString = win.Number.prototype.toString;
  const setTimeoutFn = win.setTimeout;
  const perf = win.performance;
  const perfNow = win.Performance.prototype.now;
  const timeOrigin = perf.timeOrigin;
  const addEventListener = win.EventTarget.prototype.addEventListener;
  const removeEventListener = win.EventTarget.prototype.removeEventListener;
  const dispatchEvent = win.EventTarget.prototype.dispatchEvent;
  const MessageEventCtor = win.MessageEvent;
  const MessageChannelCtor = win.MessageChannel;
  const portPostMessage = win.MessagePort.prototype.postMessage;
  const portStart = win.MessagePort.prototype.start;
  const ArrayBufferCtor = win.ArrayBuffer;
  const abSlice = ArrayBufferCtor.prototype.slice;
  const abByteLength = getter(ArrayBufferCtor.prototype, 'byteLength');
  const isView = ArrayBufferCtor.isView;
  const TypedArrayProto = ObjectRef.getPrototypeOf(win.Uint8Array.prototype) as object;
  const taBuffer = getter(TypedArrayProto, 'buffer');
  const taByteOffset = getter(TypedArrayProto, 'byteOffset');
  const taByteLength = getter(TypedArrayProto, 'byteLength');
  const dvBuffer = getter(win.DataView.prototype, 'buffer');
  const dvByteOffset = getter(win.DataView.prototype, 'byteOffset');
  const dvByteLength = getter(win.DataView.prototype, 'byteLength');
  const blobSize = getter(win.Blob.prototype, 'size');
  const BlobCtor = win.Blob;
  const eventIsTrusted = (e: Event) => e.isTrusted; // [LegacyUnforgeable]: an own property pages cannot redefine
  const messageData = getter(win.MessageEvent.prototype, 'data');
  const closeCode = getter(win.CloseEvent.prototype, 'code');
  const closeReason = getter(win.CloseEvent.prototype, 'reason');
  const closeWasClean = getter(win.CloseEvent.prototype, 'wasClean');
  const WsProto = NativeWebSocket.prototype;
  const wsUrl = getter(WsProto, 'url');
  const wsReadyState = getter(WsProto, 'readyState');
  const wsProtocol = getter(WsProto, 'protocol');
  const wsExtensions = getter(WsProto, 'extensions');
  const wsBinaryType = getter(WsProto, 'binaryType');
  const nativeSend = WsProto.send;
  const arraySlice = win.Array.prototype.slice;
  const stringSlice = win.String.prototype.slice;
  const URLCtor = win.URL;
  const urlOrigin = getter(URLCtor.prototype, 'origin');
  // location.href is [LegacyUnforgeable]: an own accessor of the instance that pages cannot redefine.
  const locationHref = getter(win.location, 'href');
  const location = win.location;

  // --- double-install guard: our toString proxy answers a probe no native toString would -----------------------
  try {
    if (apply(win.Function.prototype.toString, NativeWebSocket, [PROBE]) === PROBE) return undefined;
  } catch {
    // a page-modified toString that throws: carry on
  }

  // --- per-socket state ---------------------------------------------------------------------------------------
  const sockets = new WeakMapCtor<object, SocketState>();
  const liveSockets = new MapCtor<string, WeakRef<WebSocket>>();
  const random36 = apply(numberToString, apply(MathRandom, win.Math, []) as number, [36]) as string;
  const pagePrefix = (apply(stringSlice, random36, [2, 10]) as string) + '-' + apply(numberToString, timeOrigin | 0, [36]);
  let socketCounter = 0;
  let active = true;

  const now = (): number => timeOrigin + (apply(perfNow, perf, []) as number);
  const stateOf = (ws: unknown): SocketState | undefined =>
    ws !== null && (typeof ws === 'object' || typeof ws === 'function')
      ? (apply(wmGet, sockets, [ws]) as SocketState | undefined)
      : undefined;

  // --- outgoing queue to the relay ----------------------------------------------------------------------------
  let queue: PageEvent[] = [];
  let transfers: ArrayBuffer[] = [];
  let port: MessagePort | undefined;
  let flushScheduled = false;

  function flush(): void {
    flushScheduled = false;
    if (!port || queue.length === 0) return;
    const events = queue;
    const moved = transfers;
    queue = [];
    transfers = [];
    try {
      apply(portPostMessage, port, [{ ns: NAMESPACE, type: 'page-events', events }, moved]);
    } catch {
      // A port that cannot post (page unloading): nothing to recover into.
    }
  }

  function enqueue(event: PageEvent): void {
    const q = queue;
    q[q.length] = event; // not push: the page may have replaced Array.prototype.push
    if (!port) {
      if (q.length > MAX_UNDELIVERED_EVENTS) queue = apply(arraySlice, q, [q.length - MAX_UNDELIVERED_EVENTS]) as PageEvent[];
      return;
    }
    if (q.length >= FLUSH_EVENT_COUNT) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      apply(setTimeoutFn, win, [flush, FLUSH_INTERVAL_MS]);
    }
  }

  /** Our own copy of binary data (the page may reuse its buffer), queued for transfer. */
  function copyBuffer(buffer: ArrayBuffer, start: number, end: number): ArrayBuffer {
    let copy: ArrayBuffer;
    try {
      copy = apply(abSlice, buffer, [start, end]) as ArrayBuffer;
    } catch {
      copy = new ArrayBufferCtor(0); // detached buffer: nothing was sent
    }
    transfers[transfers.length] = copy;
    return copy;
  }

  function isArrayBuffer(value: object): boolean {
    try {
      apply(abByteLength, value, []);
      return true;
    } catch {
      return false;
    }
  }
  function isBlob(value: object): boolean {
    try {
      apply(blobSize, value, []);
      return true;
    } catch {
      return false;
    }
  }

  /** Snapshot of binary send/receive data: a copy of the exact bytes, or the (immutable) Blob. */
  function snapshotBinary(data: object): ArrayBuffer | Blob | undefined {
    if (isView(data)) {
      let buffer: ArrayBuffer;
      let offset: number;
      let length: number;
      try {
        buffer = apply(taBuffer, data, []) as ArrayBuffer;
        offset = apply(taByteOffset, data, []) as number;
        length = apply(taByteLength, data, []) as number;
      } catch {
        buffer = apply(dvBuffer, data, []) as ArrayBuffer;
        offset = apply(dvByteOffset, data, []) as number;
        length = apply(dvByteLength, data, []) as number;
      }
      return copyBuffer(buffer, offset, offset + length);
    }
    if (isArrayBuffer(data)) return copyBuffer(data as ArrayBuffer, 0, apply(abByteLength, data, []) as number);
    if (isBlob(data)) return data as Blob;
    return undefined;
  }

  function recordFrame(
    state: SocketState,
    dir: 'send' | 'receive',
    data: string | ArrayBuffer | Blob,
    origin: FrameOrigin,
    status: FrameStatus,
    note?: string,
  ): void {
    const event: PageEvent = { k: 'frame', socketId: state.id, seq: ++state.seq, time: now(), dir, data, origin, status };
    if (note !== undefined) event.note = note;
    enqueue(event);
  }

  // --- listeners on every socket (added first, at construction) ------------------------------------------------
  function onOpen(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!active || !state || !eventIsTrusted(event)) return;
    enqueue({
      k: 'open',
      socketId: state.id,
      seq: ++state.seq,
      time: now(),
      protocol: apply(wsProtocol, this, []) as string,
      extensions: apply(wsExtensions, this, []) as string,
    });
  }
  function onMessage(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!active || !state || !eventIsTrusted(event)) return;
    const data = apply(messageData, event, []);
    if (typeof data === 'string') recordFrame(state, 'receive', data, 'page', 'sent');
    else if (data !== null && typeof data === 'object') {
      const snapshot = snapshotBinary(data);
      if (snapshot !== undefined) recordFrame(state, 'receive', snapshot, 'page', 'sent');
    }
  }
  function onError(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!active || !state || !eventIsTrusted(event)) return;
    enqueue({ k: 'error', socketId: state.id, seq: ++state.seq, time: now() });
  }
  function onClose(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!state || !eventIsTrusted(event)) return;
    apply(mapDelete, liveSockets, [state.id]);
    if (!active) return;
    enqueue({
      k: 'close',
      socketId: state.id,
      seq: ++state.seq,
      time: now(),
      code: apply(closeCode, event, []) as number,
      reason: apply(closeReason, event, []) as string,
      wasClean: apply(closeWasClean, event, []) as boolean,
    });
  }

  function requestedProtocols(value: unknown): string[] {
    // Only read what reading cannot change: strings and array elements that are strings. The browser has
    // already converted the argument; converting objects again would call page code a second time.
    const out: string[] = [];
    if (typeof value === 'string') out[0] = value;
    else if (ArrayIsArray(value)) {
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) if (typeof list[i] === 'string') out[out.length] = list[i] as string;
    }
    return out;
  }

  // --- the constructor proxy ----------------------------------------------------------------------------------
  const proxies = new WeakMapCtor<object, object>(); // our proxy → the native it stands for (for toString)

  const WebSocketProxy = new ProxyCtor(NativeWebSocket, {
    construct(target, args, newTarget) {
      const ws = construct(target, args, newTarget) as WebSocket;
      try {
        if (active) track(ws, args[1]);
      } catch {
        // Never let our bookkeeping break the page's socket.
      }
      return ws;
    },
  });

  function track(ws: WebSocket, protocolsArg: unknown): void {
    const id = pagePrefix + '-' + ++socketCounter;
    apply(wmSet, sockets, [ws, { id, seq: 0 }]);
    apply(mapSet, liveSockets, [id, new WeakRefCtor(ws)]);
    apply(addEventListener, ws, ['open', onOpen]);
    apply(addEventListener, ws, ['message', onMessage]);
    apply(addEventListener, ws, ['error', onError]);
    apply(addEventListener, ws, ['close', onClose]);
    enqueue({
      k: 'connect',
      socketId: id,
      url: apply(wsUrl, ws, []) as string,
      protocols: requestedProtocols(protocolsArg),
      frameUrl: apply(locationHref, location, []) as string,
      time: now(),
    });
  }

  // --- the send proxy -----------------------------------------------------------------------------------------
  const sendProxy = new ProxyCtor(nativeSend, {
    apply(target, thisArg, args) {
      const state = active ? stateOf(thisArg) : undefined;
      if (state === undefined || args.length === 0) return apply(target, thisArg, args);
      let data = args[0] as unknown;
      const type = typeof data;
      if (type === 'string') {
        // the common case: nothing to convert
      } else if ((type === 'object' && data !== null && !isView(data) && !isArrayBuffer(data as object) && !isBlob(data as object)) || type === 'function') {
        // Convert to a string once, here, as the browser would (ToString, hint string), and hand the browser
        // that string: page code in a toString runs once, as it would without us.
        data = StringCtor(data);
        args[0] = data;
      } else if (type !== 'object' && type !== 'symbol') {
        data = StringCtor(data); // primitives: converting again has no side effect
      }
      const readyState = apply(wsReadyState, thisArg, []) as number;
      let result: unknown;
      try {
        result = apply(target, thisArg, args);
      } catch (error) {
        const snapshot = typeof data === 'string' ? data : typeof data === 'object' ? snapshotBinary(data as object) : undefined;
        let note = 'refused';
        try {
          note = StringCtor((error as { message?: unknown }).message);
        } catch {
          // keep the generic note
        }
        if (snapshot !== undefined) recordFrame(state, 'send', snapshot, 'page', 'refused', note);
        throw error;
      }
      const snapshot = typeof data === 'string' ? data : snapshotBinary(data as object);
      if (snapshot !== undefined) recordFrame(state, 'send', snapshot, 'page', readyState === 1 ? 'sent' : 'dropped');
      return result;
    },
  });

  // --- Function.prototype.toString answers for our proxies ---------------------------------------------------
  const toStringProxy = new ProxyCtor(fnToString, {
    apply(target, thisArg, args) {
      if (args[0] === PROBE && (thisArg === WebSocketProxy || thisArg === NativeWebSocket)) return PROBE;
      const original = thisArg !== null && (typeof thisArg === 'function' || typeof thisArg === 'object')
        ? (apply(wmGet, proxies, [thisArg]) as object | undefined)
        : undefined;
      return apply(target, original === undefined ? thisArg : original, args);
    },
  });
  apply(wmSet, proxies, [WebSocketProxy, NativeWebSocket]);
  apply(wmSet, proxies, [sendProxy, nativeSend]);
  apply(wmSet, proxies, [toStringProxy, fnToString]);

  // --- install, keeping every property's attributes -----------------------------------------------------------
  function replaceValue(obj: object, key: string, value: unknown): void {
    const d = getOwnPropertyDescriptor(obj, key);
    if (!d) return;
    defineProperty(obj, key, { value, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
  }
  replaceValue(win.Function.prototype, 'toString', toStringProxy);
  replaceValue(WsProto, 'send', sendProxy);
  replaceValue(WsProto, 'constructor', WebSocketProxy);
  replaceValue(win, 'WebSocket', WebSocketProxy);

  // --- commands from the panel, via the relay ----------------------------------------------------------------
  function socketById(id: string): WebSocket | undefined {
    const ref = apply(mapGet, liveSockets, [id]) as WeakRef<WebSocket> | undefined;
    return ref ? (apply(wrDeref, ref, []) as WebSocket | undefined) : undefined;
  }

  function runCommand(command: PageCommand): void {
    const ws = socketById(command.socketId);
    const state = ws ? stateOf(ws) : undefined;
    if (!ws || !state) throw new Error('The connection is gone: the page closed it or navigated away.');
    const readyState = apply(wsReadyState, ws, []) as number;
    if (command.kind === 'send') {
      if (readyState !== 1) {
        throw new Error(readyState === 0 ? 'The connection is still opening.' : 'The connection is closing or closed.');
      }
      apply(nativeSend, ws, [command.data]);
      const data = typeof command.data === 'string' ? command.data : copyBuffer(command.data, 0, command.data.byteLength);
      recordFrame(state, 'send', data, 'inspector', 'sent');
      return;
    }
    // simulate-receive: deliver to the page's listeners with the type its binaryType asks for.
    if (readyState !== 1) throw new Error('The connection is not open: a closed socket receives no messages.');
    let data: string | ArrayBuffer | Blob;
    let recorded: string | ArrayBuffer;
    if (typeof command.data === 'string') {
      data = recorded = command.data;
    } else {
      // The page gets its own buffer; we keep (and transfer) another.
      const bytes = command.data;
      recorded = copyBuffer(bytes, 0, bytes.byteLength);
      data = apply(wsBinaryType, ws, []) === 'blob' ? new BlobCtor([bytes]) : bytes;
    }
    recordFrame(state, 'receive', recorded, 'simulated', 'sent');
    const origin = apply(urlOrigin, new URLCtor(apply(wsUrl, ws, []) as string), []) as string;
    apply(dispatchEvent, ws, [new MessageEventCtor('message', { data, origin })]);
  }

  function onRelayMessage(event: MessageEvent): void {
    const msg = apply(messageData, event, []) as RelayToPageMessage;
    if (!msg || msg.ns !== NAMESPACE) return;
    if (msg.type === 'stop') {
      stop();
      return;
    }
    if (msg.type === 'command' && port) {
      let reply: { ns: typeof NAMESPACE; type: 'command-result'; requestId: string; ok: boolean; error?: string };
      try {
        runCommand(msg.command);
        reply = { ns: NAMESPACE, type: 'command-result', requestId: msg.requestId, ok: true };
      } catch (error) {
        reply = { ns: NAMESPACE, type: 'command-result', requestId: msg.requestId, ok: false, error: StringCtor((error as Error).message) };
      }
      flush(); // the recorded frame travels before the reply
      apply(portPostMessage, port, [reply]);
    }
  }

  // --- hand-over of a private MessagePort to the relay --------------------------------------------------------
  // Synchronous DOM events on `window` before any page script has run: no page listener can exist yet, and
  // unlike window.postMessage nothing is left for the page's own message listeners to see.
  const channel = new MessageChannelCtor();
  function offerPort(): boolean {
    const offer = new MessageEventCtor(PORT_EVENT, { ports: [channel.port2], cancelable: true });
    return !(apply(dispatchEvent, win, [offer]) as boolean); // the relay calls preventDefault() when it takes it
  }
  function onRelayReady(): void {
    if (port === undefined && offerPort()) connected();
  }
  function connected(): void {
    apply(removeEventListener, win, [RELAY_READY_EVENT, onRelayReady]);
    port = channel.port1;
    apply(addEventListener, port, ['message', onRelayMessage]);
    apply(portStart, port, []);
    if (queue.length > 0) flush();
  }
  if (offerPort()) connected();
  else apply(addEventListener, win, [RELAY_READY_EVENT, onRelayReady]);

  function stop(): void {
    active = false;
    queue = [];
    transfers = [];
    apply(removeEventListener, win, [RELAY_READY_EVENT, onRelayReady]);
  }

  return {
    stop,
    pendingCount: () => queue.length,
    flush,
  };
}
