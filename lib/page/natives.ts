/**
 * The natives the hook uses, saved once at install (document_start, before any page script) into one record with
 * no prototype. This is the only place that reads the page's globals: every other module of lib/page takes this
 * record and never looks a native up later on a prototype the page controls (a page may replace
 * `EventTarget.prototype.addEventListener`, `JSON`, `Array.prototype.push` or a getter). Calls go through the
 * saved `Reflect.apply`.
 */

export type AnyFn = (...args: unknown[]) => unknown;

/** A native getter (read from its own descriptor at install, not through a page-visible property get). */
function getter(proto: object, name: string): AnyFn {
  const d = Object.getOwnPropertyDescriptor(proto, name);
  if (!d || typeof d.get !== 'function') throw new Error(`no getter ${name}`);
  return d.get as AnyFn;
}

/** Each RegExp flag's letter and native getter, in the order of RegExp.prototype.flags. */
export interface RegExpFlag {
  letter: string;
  get: AnyFn;
}

/** The natives of `win`, whose WebSocket is `NativeWebSocket` (a function: the caller checked). */
export function saveNatives(win: typeof globalThis, NativeWebSocket: typeof WebSocket) {
  const R = win.Reflect;
  const ObjectRef = win.Object;
  const setPrototypeOf = ObjectRef.setPrototypeOf;
  const getOwnPropertyDescriptor = ObjectRef.getOwnPropertyDescriptor;
  const WeakMapCtor = win.WeakMap;
  const MapCtor = win.Map;
  const WeakRefCtor = win.WeakRef;
  const ArrayBufferCtor = win.ArrayBuffer;
  const TypedArrayProto = ObjectRef.getPrototypeOf(win.Uint8Array.prototype) as object;
  const WsProto = NativeWebSocket.prototype;
  const perf = win.performance;
  const ErrorCtor = win.Error as ErrorConstructor & { captureStackTrace?: AnyFn; isError?: AnyFn };
  const documentDescriptor = getOwnPropertyDescriptor(win, 'document');
  /** One this browser lacks is left out. The list has no prototype (see ownArray in own-objects.ts). */
  const regexpFlags: RegExpFlag[] = setPrototypeOf([], null);
  const flagNames = ['hasIndices', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky'];
  for (let i = 0; i < flagNames.length; i++) {
    const d = getOwnPropertyDescriptor(win.RegExp.prototype, flagNames[i]);
    if (d?.get) regexpFlags[regexpFlags.length] = setPrototypeOf({ letter: 'dgimsuvy'[i], get: d.get as AnyFn }, null);
  }
  const natives = {
    win,
    NativeWebSocket,
    apply: R.apply,
    construct: R.construct,
    ownKeys: R.ownKeys,
    setPrototypeOf,
    reflectSetPrototypeOf: R.setPrototypeOf,
    getPrototypeOf: ObjectRef.getPrototypeOf,
    ObjectProto: ObjectRef.prototype,
    ArrayProto: win.Array.prototype,
    defineProperty: ObjectRef.defineProperty,
    getOwnPropertyDescriptor,
    ProxyCtor: win.Proxy,
    WeakMapCtor,
    MapCtor,
    WeakRefCtor,
    wmGet: WeakMapCtor.prototype.get,
    wmSet: WeakMapCtor.prototype.set,
    mapGet: MapCtor.prototype.get,
    mapSet: MapCtor.prototype.set,
    mapDelete: MapCtor.prototype.delete,
    mapForEach: MapCtor.prototype.forEach,
    wrDeref: WeakRefCtor.prototype.deref,
    FunctionProto: win.Function.prototype,
    fnToString: win.Function.prototype.toString,
    StringCtor: win.String,
    TypeErrorCtor: win.TypeError,
    MathRandom: win.Math.random,
    MathRef: win.Math,
    numberToString: win.Number.prototype.toString,
    setTimeoutFn: win.setTimeout,
    clearTimeoutFn: win.clearTimeout,
    perf,
    perfNow: win.Performance.prototype.now,
    timeOrigin: perf.timeOrigin,
    addEventListener: win.EventTarget.prototype.addEventListener,
    removeEventListener: win.EventTarget.prototype.removeEventListener,
    dispatchEvent: win.EventTarget.prototype.dispatchEvent,
    MessageEventCtor: win.MessageEvent,
    CloseEventCtor: win.CloseEvent,
    EventCtor: win.Event,
    stopImmediatePropagation: win.Event.prototype.stopImmediatePropagation,
    messageData: getter(win.MessageEvent.prototype, 'data'),
    closeCode: getter(win.CloseEvent.prototype, 'code'),
    closeReason: getter(win.CloseEvent.prototype, 'reason'),
    closeWasClean: getter(win.CloseEvent.prototype, 'wasClean'),
    MessageChannelCtor: win.MessageChannel,
    portPostMessage: win.MessagePort.prototype.postMessage,
    portStart: win.MessagePort.prototype.start,
    portClose: win.MessagePort.prototype.close,
    queueMicrotaskFn: win.queueMicrotask,
    /** `window.document` ([LegacyUnforgeable]: an own accessor of the window that pages cannot redefine). */
    documentGet: documentDescriptor?.get as AnyFn | undefined,
    ErrorCtor,
    /** V8 and Firefox ≥ 138: re-takes an error's stack from a given frame down (see stack-traces.ts). */
    captureStackTrace: typeof ErrorCtor.captureStackTrace === 'function' ? ErrorCtor.captureStackTrace : undefined,
    /** Error.isError: a brand check that runs no Proxy trap. */
    isError: typeof ErrorCtor.isError === 'function' ? ErrorCtor.isError : undefined,
    ArrayBufferCtor,
    abSlice: ArrayBufferCtor.prototype.slice,
    abByteLength: getter(ArrayBufferCtor.prototype, 'byteLength'),
    isView: ArrayBufferCtor.isView,
    taBuffer: getter(TypedArrayProto, 'buffer'),
    taByteOffset: getter(TypedArrayProto, 'byteOffset'),
    taByteLength: getter(TypedArrayProto, 'byteLength'),
    taLength: getter(TypedArrayProto, 'length'),
    taSet: (TypedArrayProto as { set: AnyFn }).set,
    taSlice: (TypedArrayProto as { slice: AnyFn }).slice,
    dvBuffer: getter(win.DataView.prototype, 'buffer'),
    dvByteOffset: getter(win.DataView.prototype, 'byteOffset'),
    dvByteLength: getter(win.DataView.prototype, 'byteLength'),
    Uint8ArrayCtor: win.Uint8Array,
    u8Subarray: win.Uint8Array.prototype.subarray,
    Float64ArrayCtor: win.Float64Array,
    BlobCtor: win.Blob,
    blobSize: getter(win.Blob.prototype, 'size'),
    iteratorSymbol: win.Symbol.iterator, // non-writable: the page cannot swap it
    toPrimitiveSymbol: win.Symbol.toPrimitive,
    WsProto,
    wsUrl: getter(WsProto, 'url'),
    wsReadyState: getter(WsProto, 'readyState'),
    wsProtocol: getter(WsProto, 'protocol'),
    wsExtensions: getter(WsProto, 'extensions'),
    wsBinaryType: getter(WsProto, 'binaryType'),
    wsBinaryTypeSetter: getOwnPropertyDescriptor(WsProto, 'binaryType')!.set!,
    nativeSend: WsProto.send,
    nativeClose: WsProto.close,
    regexpExec: win.RegExp.prototype.exec,
    regexpReplace: (win.RegExp.prototype as unknown as Record<symbol, AnyFn>)[win.Symbol.replace],
    regexpCtor: win.RegExp,
    regexpFlags,
    arrayJoin: win.Array.prototype.join,
    stringSlice: win.String.prototype.slice,
    stringIndexOf: win.String.prototype.indexOf,
    charCodeAt: win.String.prototype.charCodeAt,
    URLCtor: win.URL,
    urlOrigin: getter(win.URL.prototype, 'origin'),
    // location.href is [LegacyUnforgeable]: an own accessor of the instance that pages cannot redefine.
    locationHref: getter(win.location, 'href'),
    location: win.location,
  };
  return setPrototypeOf(natives, null) as typeof natives;
}

/** The saved natives: one record, no prototype, passed to every module of the hook. */
export type Natives = ReturnType<typeof saveNatives>;

/** `e.isTrusted`: [LegacyUnforgeable], an own property of every event that pages cannot redefine. */
export const eventIsTrusted = (e: Event): boolean => e.isTrusted;

/** Typeof object (not null) or function: something the page's code can run behind. */
export function isObject(value: unknown): boolean {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** A native method read from its own descriptor at install. */
function method(proto: object, name: string): AnyFn {
  const d = Object.getOwnPropertyDescriptor(proto, name);
  if (!d || typeof d.value !== 'function') throw new Error(`no method ${name}`);
  return d.value as AnyFn;
}

/**
 * The natives of `WebSocketStream` and the streams and promises its wrapper uses (websocket-stream.ts), saved at
 * install like the others; undefined where the browser has no WebSocketStream (Firefox) or lacks a piece of it.
 */
export function saveStreamNatives(win: typeof globalThis) {
  const g = win as unknown as Record<string, { prototype: object } | undefined>;
  const StreamCtor = g.WebSocketStream as unknown as (AnyFn & { prototype: object }) | undefined;
  if (typeof StreamCtor !== 'function') return undefined;
  try {
    const StreamProto = StreamCtor.prototype;
    const Readable = win.ReadableStream;
    const Writable = win.WritableStream;
    const reader = g.ReadableStreamDefaultReader!.prototype;
    const writer = g.WritableStreamDefaultWriter!.prototype;
    const readController = g.ReadableStreamDefaultController!.prototype;
    const writeController = g.WritableStreamDefaultController!.prototype;
    const errorProto = g.WebSocketError?.prototype;
    const natives = {
      StreamCtor,
      StreamProto,
      streamUrl: getter(StreamProto, 'url'),
      streamOpened: getter(StreamProto, 'opened'),
      streamClosed: getter(StreamProto, 'closed'),
      streamClose: method(StreamProto, 'close'),
      errorCloseCode: errorProto ? getter(errorProto, 'closeCode') : undefined,
      errorReason: errorProto ? getter(errorProto, 'reason') : undefined,
      ReadableCtor: Readable,
      WritableCtor: Writable,
      getReader: method(Readable.prototype, 'getReader'),
      read: method(reader, 'read'),
      readerCancel: method(reader, 'cancel'),
      readerClosed: getter(reader, 'closed'),
      enqueue: method(readController, 'enqueue'),
      readClose: method(readController, 'close'),
      readError: method(readController, 'error'),
      getWriter: method(Writable.prototype, 'getWriter'),
      write: method(writer, 'write'),
      writerClose: method(writer, 'close'),
      writerAbort: method(writer, 'abort'),
      writerClosed: getter(writer, 'closed'),
      writerDesiredSize: getter(writer, 'desiredSize'),
      writeError: method(writeController, 'error'),
      promiseThen: method(win.Promise.prototype, 'then'),
    };
    return Object.setPrototypeOf(natives, null) as typeof natives;
  } catch {
    return undefined;
  }
}

/** The saved natives of WebSocketStream and streams (saveStreamNatives). */
export type StreamNatives = NonNullable<ReturnType<typeof saveStreamNatives>>;
