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
 * Per frame it appends five numbers and the text or bytes to the batch (other events are small objects); batches
 * are posted to the relay on a timer, their buffers transferred rather than cloned.
 */
import type {
  ConnectionInitiator,
  Direction,
  FrameOrigin,
  FrameStatus,
  PageCommand,
  PageEvent,
  PageFrameEvent,
  PageNotice,
  RelayToPageMessage,
} from '../shared/protocol';
import { NAMESPACE, PACKED_EXTRA, PACKED_ROW_WIDTH, PLAIN_PAYLOAD_MAX, PORT_EVENT, RELAY_READY_EVENT, TEXT_PIECE_MAX, frameCodeOf } from '../shared/protocol';
import { DEFAULT_HOLD_TIMEOUT_MS, decide, type CompiledRule, type MatcherNatives } from '../shared/intercept-rules';

/**
 * Flush queued events to the relay at most this often: one post per interval, not per frame. The relay posts
 * each batch on to the background at once, so this is the capture's latency; each post costs the page a few
 * tasks (timer, two port messages, an acknowledgement), so it is not shorter. 50 ms cost a ping-pong page
 * (~90 round trips per batch) a CPU ratio of 1.31, 100 ms 1.17, 200 ms 1.22 (side by side, 3 rounds): 100 ms
 * keeps the panel live to the eye.
 */
const FLUSH_INTERVAL_MS = 100;
/** …or sooner when this many events are queued… */
const FLUSH_EVENT_COUNT = 2048;
/** …or this many payload characters / bytes. */
const FLUSH_WEIGHT = 1 << 20;
/** Without a relay (it never said hello), keep at most this many events rather than grow without bound. */
const MAX_UNDELIVERED_EVENTS = 200_000;

const PROBE = 'websocket-inspector:installed?';

/** A frame held at a breakpoint, and what arrived behind it on the same socket and direction. */
interface Hold {
  holdId: string;
  dir: Direction;
  /** For sends: the data to send; for receives: the event data to re-deliver. */
  data: string | ArrayBuffer | Blob;
  /** Our recorded copy of it. */
  snapshot: string | ArrayBuffer | Blob;
  rule: string;
  timer: unknown;
  queue: Queued[];
}
type Queued =
  | { k: 'send'; data: string | ArrayBuffer | Blob; snapshot: string | ArrayBuffer | Blob }
  | { k: 'message'; data: string | ArrayBuffer | Blob; snapshot: string | ArrayBuffer | Blob }
  | { k: 'close'; code: number; reason: string; wasClean: boolean }
  | { k: 'error' };

interface SocketState {
  id: string;
  seq: number;
  /** This socket's index in the `ids` of the batch numbered `batchNumber` (saves a Map lookup per frame). */
  batchNumber: number;
  batchIndex: number;
  url: string;
  sendHold?: Hold;
  receiveHold?: Hold;
  /** A replay waiting for a matching reply before its next step. */
  replyWaiter?: (data: unknown) => void;
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
  const setPrototypeOf = ObjectRef.setPrototypeOf;
  const getPrototypeOf = ObjectRef.getPrototypeOf;
  const ownKeys = R.ownKeys;
  const ObjectProto = ObjectRef.prototype;
  const ArrayProto = win.Array.prototype;
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
  const TypeErrorCtor = win.TypeError;
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
  const iteratorSymbol = win.Symbol.iterator; // non-writable: the page cannot swap it
  const toPrimitiveSymbol = win.Symbol.toPrimitive;
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
  const wsBinaryTypeSetter = getOwnPropertyDescriptor(WsProto, 'binaryType')!.set!;
  const nativeSend = WsProto.send;
  const nativeClose = WsProto.close;
  const clearTimeoutFn = win.clearTimeout;
  const CloseEventCtor = win.CloseEvent;
  const EventCtor = win.Event;
  const stopImmediatePropagation = win.Event.prototype.stopImmediatePropagation;
  const regexpExec = win.RegExp.prototype.exec;
  const regexpReplace = (win.RegExp.prototype as unknown as Record<symbol, AnyFn>)[win.Symbol.replace];
  const regexpCtor = win.RegExp;
  /** Each flag's letter and native getter, in the order of RegExp.prototype.flags; one this browser lacks is left out. */
  const regexpFlags: { letter: string; get: AnyFn }[] = ownArray();
  const flagNames = ['hasIndices', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky'];
  for (let i = 0; i < flagNames.length; i++) {
    const d = getOwnPropertyDescriptor(win.RegExp.prototype, flagNames[i]);
    if (d?.get) regexpFlags[regexpFlags.length] = withoutPrototype({ letter: 'dgimsuvy'[i], get: d.get as AnyFn });
  }
  const arrayJoin = win.Array.prototype.join;
  const Uint8ArrayCtor = win.Uint8Array;
  const taSet = (TypedArrayProto as { set: AnyFn }).set;
  const taSlice = (TypedArrayProto as { slice: AnyFn }).slice;
  const taLength = getter(TypedArrayProto, 'length');
  const Float64ArrayCtor = win.Float64Array;
  const u8Subarray = win.Uint8Array.prototype.subarray;
  const stringSlice = win.String.prototype.slice;
  const stringIndexOf = win.String.prototype.indexOf;
  const mapForEach = win.Map.prototype.forEach;
  const charCodeAt = win.String.prototype.charCodeAt;
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
  let holdCounter = 0;
  let active = true;
  /** Compiled intercept rules; empty in the common case, which costs one length check per frame. */
  let rules: CompiledRule[] = [];
  let holdTimeoutMs = DEFAULT_HOLD_TIMEOUT_MS;
  /** Set while the hook itself opens a replay connection, so the construct trap labels it. */
  let nextInitiator: ConnectionInitiator | undefined;
  const holds = new MapCtor<string, { ws: WebSocket; state: SocketState; dir: Direction }>();
  const replays = new MapCtor<string, { ws: WebSocket | undefined; stop(): void }>();
  const matcherNatives: MatcherNatives = {
    exec: (re, text) => apply(regexpExec, re, [text]) as RegExpExecArray | null,
    replace: (re, text, replacement) => apply(regexpReplace, re, [text, replacement]) as string,
  };

  const now = (): number => timeOrigin + (apply(perfNow, perf, []) as number);
  const stateOf = (ws: unknown): SocketState | undefined =>
    ws !== null && (typeof ws === 'object' || typeof ws === 'function')
      ? (apply(wmGet, sockets, [ws]) as SocketState | undefined)
      : undefined;

  // --- outgoing batch to the relay ----------------------------------------------------------------------------
  // Plain frames (the hot path) are rows of numbers plus their text or bytes, not objects: the port's clone costs
  // per element (see lib/shared/packed-batch.ts). Every other event travels whole in `extra`. Arrays are filled by
  // index, never push(): the page may have replaced Array.prototype.push.
  let batchNumber = 1;
  let ids: string[] = ownArray();
  /** PACKED_ROW_WIDTH numbers per event; a Float64Array so that posting it is one copy, not one per number. */
  let rowBuffer = new Float64ArrayCtor(PACKED_ROW_WIDTH * 1024);
  let rowLength = 0;
  let texts: string[] = ownArray();
  /** Bytes of the plain binary rows; kept across batches (each flush copies out what it used). */
  let binaryBytes = new Uint8ArrayCtor(1 << 16);
  let binaryLength = 0;
  let extra: PageEvent[] = ownArray();
  /** Payload characters and bytes in the batch, to flush early on big frames. */
  let weight = 0;
  let port: MessagePort | undefined;
  let flushScheduled = false;

  function resetBatch(): void {
    batchNumber++;
    ids = ownArray();
    rowLength = 0;
    texts = ownArray();
    binaryLength = 0;
    extra = ownArray();
    weight = 0;
  }

  function flush(): void {
    flushScheduled = false;
    if (!port || rowLength === 0) return;
    const events = extra;
    // Every ArrayBuffer in a recorded frame is our own copy: transfer it rather than copy it again.
    const moved: ArrayBuffer[] = ownArray();
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.k !== 'frame') continue;
      if (typeof e.data === 'object' && isArrayBuffer(e.data)) moved[moved.length] = e.data as ArrayBuffer;
      if (e.original !== undefined && typeof e.original === 'object') moved[moved.length] = e.original;
    }
    let binary: ArrayBuffer | undefined;
    if (binaryLength > 0) {
      // The batch's buffer itself goes (the relay reads only the bytes its rows count), and the next batch starts
      // in the one the relay handed back, if any: copying into memory already touched is cheap, into fresh memory
      // it is mostly page faults. (Posting a slice instead cost a fresh copy of every byte.)
      binary = apply(taBuffer, binaryBytes, []) as ArrayBuffer;
      moved[moved.length] = binary;
      binaryBytes = nextBinaryBuffer(binaryLength);
    }
    const rows = apply(taSlice, rowBuffer, [0, rowLength]) as Float64Array;
    moved[moved.length] = apply(taBuffer, rows, []) as ArrayBuffer;
    // Large plain texts follow the batch in pieces (PageFrameEvent.pieces), posted one per task after it: no task
    // of the page's (here) or of the relay's clones all of a 16 MiB string at once.
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.k !== 'frame' || typeof e.data !== 'string' || e.data.length <= PLAIN_PAYLOAD_MAX || e.note !== undefined || e.rule !== undefined || e.original !== undefined) continue;
      const before = textPieces.length - textPiecesHead;
      cutIntoPieces(e.data, textPieces);
      e.data = '';
      e.pieces = textPieces.length - textPiecesHead - before;
    }
    const msg = { ns: NAMESPACE, type: 'page-events', ids, rows, text: apply(arrayJoin, texts, ['']) as string, binary, events };
    resetBatch();
    try {
      apply(portPostMessage, port, [msg, ownSequence(moved)]);
    } catch {
      try {
        apply(portPostMessage, port, [msg]); // e.g. a detached buffer in the list: copy instead
      } catch {
        // A port that cannot post (page unloading): nothing to recover into.
        return;
      }
    }
    if (textPiecesHead < textPieces.length && !piecesScheduled) {
      piecesScheduled = true;
      apply(setTimeoutFn, win, [postTextPiece, 0]);
    }
  }

  /** A batch buffer the relay is done with (RelayToPageMessage 'spare-buffer'), for the next batch. */
  let spareBinary: ArrayBuffer | undefined;

  function nextBinaryBuffer(used: number): Uint8Array<ArrayBuffer> {
    const spare = spareBinary;
    spareBinary = undefined;
    if (spare !== undefined) {
      try {
        return new Uint8ArrayCtor(spare);
      } catch {
        // detached after all: allocate
      }
    }
    return new Uint8ArrayCtor(used > 1 << 16 ? used : 1 << 16);
  }

  /**
   * Pieces of large texts still to post, oldest first across frames: the relay gives each frame its pieces in
   * arrival order, and holds everything after that frame until they are all there.
   */
  let textPieces: string[] = ownArray();
  let textPiecesHead = 0;
  let piecesScheduled = false;

  function postTextPiece(): void {
    piecesScheduled = false;
    if (!port || textPiecesHead >= textPieces.length) return;
    const text = textPieces[textPiecesHead];
    textPieces[textPiecesHead++] = '';
    if (textPiecesHead === textPieces.length) {
      textPieces = ownArray();
      textPiecesHead = 0;
    } else {
      piecesScheduled = true;
      apply(setTimeoutFn, win, [postTextPiece, 0]);
    }
    try {
      apply(portPostMessage, port, [{ ns: NAMESPACE, type: 'page-text-piece', piece: new BlobCtor(ownSequence([text])) }]);
    } catch {
      // page unloading
    }
  }

  /**
   * `items` for a native that takes a WebIDL sequence (a transfer list, Blob parts, ports), as an iterable of own
   * properties only: an array would be iterated through Array.prototype[Symbol.iterator] and the iterator's `next`
   * (Firefox does), which the page may have replaced and would see called.
   */
  function ownSequence<T>(items: T[]): T[] {
    let i = 0;
    // No prototype either: a native that stops early looks up the iterator's `return`.
    const iterator = withoutPrototype({ next: () => (i < items.length ? { done: false, value: items[i++] } : { done: true, value: undefined }) });
    return { [iteratorSymbol]: () => iterator } as unknown as T[]; // typed as the natives want it
  }
  /**
   * `members` with no prototype, for a dictionary or a Proxy handler given to a native: members we leave out are
   * otherwise looked up on the page's Object.prototype, where a getter (or a `get` the page put there, for a
   * handler's missing trap) would see, or change, what we do.
   */
  function withoutPrototype<T extends object>(members: T): T {
    setPrototypeOf(members, null);
    return members;
  }
  /**
   * What the relay posts arrives as the page's plain objects and arrays, so an optional member we read where it
   * is absent (a command's `code`, a rule's `url`) would be looked up on the page's prototypes. Takes the
   * prototype off every plain object and array in `value`; leaves everything else (buffers, RegExps) as it is.
   */
  function withoutPrototypes(value: unknown, depth = 0): void {
    if (typeof value !== 'object' || value === null || depth > 32) return;
    const proto = getPrototypeOf(value);
    if (proto !== ObjectProto && proto !== ArrayProto) return;
    setPrototypeOf(value, null);
    const keys = ownKeys(value);
    for (let i = 0; i < keys.length; i++) withoutPrototypes((value as Record<PropertyKey, unknown>)[keys[i]], depth + 1);
  }
  /**
   * An empty array of ours with no prototype. Writing past an array's end, or reading a missing index, is looked
   * up on its prototype, where an index accessor the page put on Array.prototype would run. So no method can be
   * called on it: the hook uses captured natives through `apply`, and `length`.
   */
  function ownArray<T>(): T[] {
    return withoutPrototype([] as T[]);
  }

  /** Appends `text` cut into pieces of at most TEXT_PIECE_MAX units, never inside a surrogate pair. */
  function cutIntoPieces(text: string, out: string[]): void {
    for (let at = 0; at < text.length; ) {
      let end = at + TEXT_PIECE_MAX < text.length ? at + TEXT_PIECE_MAX : text.length;
      if (end < text.length) {
        const c = apply(charCodeAt, text, [end - 1]) as number;
        if (c >= 0xd800 && c <= 0xdbff) end -= 1;
      }
      out[out.length] = apply(stringSlice, text, [at, end]) as string;
      at = end;
    }
  }

  /** Events in the batch: one row each. */
  const eventCount = (): number => rowLength / PACKED_ROW_WIDTH;

  function counted(size: number): void {
    weight += size;
    if (!port) {
      // Without a relay nothing can be delivered: bound the memory rather than grow for ever.
      if (eventCount() > MAX_UNDELIVERED_EVENTS) resetBatch();
      return;
    }
    if (eventCount() >= FLUSH_EVENT_COUNT || weight >= FLUSH_WEIGHT) flush();
    else if (!flushScheduled) {
      flushScheduled = true;
      apply(setTimeoutFn, win, [flush, FLUSH_INTERVAL_MS]);
    }
  }

  function payloadWeight(data: string | ArrayBuffer | Blob): number {
    if (typeof data === 'string') return data.length;
    return isArrayBuffer(data) ? (apply(abByteLength, data, []) as number) : 0; // a Blob is a handle
  }

  function addRow(code: number, index: number, seq: number, time: number, length: number): void {
    let r = rowBuffer;
    const at = rowLength;
    if (at + PACKED_ROW_WIDTH > (apply(taLength, r, []) as number)) {
      const grown = new Float64ArrayCtor((at + PACKED_ROW_WIDTH) * 2);
      apply(taSet, grown, [r]);
      rowBuffer = r = grown;
    }
    r[at] = code;
    r[at + 1] = index;
    r[at + 2] = seq;
    r[at + 3] = time;
    r[at + 4] = length;
    rowLength = at + PACKED_ROW_WIDTH;
  }

  /** Adds an event that travels whole. Optional members are read and written later, so it has no prototype. */
  function enqueue(event: PageEvent): void {
    addRow(PACKED_EXTRA, extra.length, 0, 0, 0);
    extra[extra.length] = withoutPrototype(event);
    counted(event.k === 'frame' ? (event.byteLength ?? payloadWeight(event.data)) : 0);
  }

  /** The socket's index in this batch's `ids`, added on its first row. */
  function batchIndexOf(state: SocketState): number {
    if (state.batchNumber !== batchNumber) {
      state.batchNumber = batchNumber;
      state.batchIndex = ids.length;
      ids[ids.length] = state.id;
    }
    return state.batchIndex;
  }

  /**
   * Records page binary data (ArrayBuffer or view) as a plain row, copying its bytes straight into the batch:
   * no ArrayBuffer per frame. False when it cannot (a Blob, or too large: those travel whole).
   */
  function recordBinaryRow(state: SocketState, dir: Direction, data: object, origin: FrameOrigin, status: FrameStatus): boolean {
    if (!readBinaryRange(data)) return false;
    if (binaryRange.length > PLAIN_PAYLOAD_MAX) return recordLargeBinary(state, dir, origin, status);
    let length = binaryRange.length;
    let source: Uint8Array;
    try {
      source = new Uint8ArrayCtor(binaryRange.buffer, binaryRange.offset, length);
    } catch {
      source = new Uint8ArrayCtor(0); // detached: nothing was sent
      length = 0;
    }
    const needed = binaryLength + length;
    if (needed > (apply(taByteLength, binaryBytes, []) as number)) {
      const grown = new Uint8ArrayCtor(needed * 2);
      apply(taSet, grown, [apply(u8Subarray, binaryBytes, [0, binaryLength])]);
      binaryBytes = grown;
    }
    apply(taSet, binaryBytes, [source, binaryLength]);
    binaryLength = needed;
    addRow(frameCodeOf(dir, 2, 'base64', origin, status), batchIndexOf(state), ++state.seq, now(), length);
    counted(length);
    return true;
  }

  /**
   * A binary frame over PLAIN_PAYLOAD_MAX (its bytes in binaryRange), as a frame event of its own. The copy must be
   * made now (the page may change its buffer once we return), so it goes into the spare buffer the relay handed
   * back when that is big enough: memory already touched takes a plain copy, fresh memory page faults as well
   * (about 50 ms for 16 MiB on the benchmark machine, one long task of the page's). False if the data is detached.
   */
  function recordLargeBinary(state: SocketState, dir: Direction, origin: FrameOrigin, status: FrameStatus): boolean {
    const length = binaryRange.length;
    let source: Uint8Array;
    try {
      source = new Uint8ArrayCtor(binaryRange.buffer, binaryRange.offset, length);
    } catch {
      return false;
    }
    let copy: ArrayBuffer | undefined;
    const spare = spareBinary;
    if (spare !== undefined && (apply(abByteLength, spare, []) as number) >= length) {
      spareBinary = undefined;
      try {
        apply(taSet, new Uint8ArrayCtor(spare), [source]);
        copy = spare;
      } catch {
        // detached after all: copy afresh
      }
    }
    copy ??= copyBuffer(binaryRange.buffer, binaryRange.offset, binaryRange.offset + length);
    const event: PageFrameEvent = withoutPrototype({ k: 'frame', socketId: state.id, seq: ++state.seq, time: now(), dir, data: copy, origin, status });
    if ((apply(abByteLength, copy, []) as number) !== length) event.byteLength = length;
    enqueue(event);
    return true;
  }

  function enqueuePlainText(state: SocketState, seq: number, time: number, dir: Direction, data: string, origin: FrameOrigin, status: FrameStatus): void {
    addRow(frameCodeOf(dir, 1, 'text', origin, status), batchIndexOf(state), seq, time, data.length);
    texts[texts.length] = data;
    counted(data.length);
  }

  /** Our own copy of binary data: the page may reuse its buffer after send returns. */
  function copyBuffer(buffer: ArrayBuffer, start: number, end: number): ArrayBuffer {
    try {
      return apply(abSlice, buffer, [start, end]) as ArrayBuffer;
    } catch {
      return new ArrayBufferCtor(0); // detached buffer: nothing was sent
    }
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
    if (readBinaryRange(data)) return copyBuffer(binaryRange.buffer, binaryRange.offset, binaryRange.offset + binaryRange.length);
    if (isBlob(data)) return data as Blob;
    return undefined;
  }

  /** Where readBinaryRange found the bytes: one scratch object, not one per frame. */
  const binaryRange = { buffer: new ArrayBufferCtor(0), offset: 0, length: 0 };
  /** Fills binaryRange for an ArrayBuffer, typed array or DataView; false for anything else (a Blob). */
  function readBinaryRange(data: object): boolean {
    try {
      if (isView(data)) {
        try {
          binaryRange.buffer = apply(taBuffer, data, []) as ArrayBuffer;
          binaryRange.offset = apply(taByteOffset, data, []) as number;
          binaryRange.length = apply(taByteLength, data, []) as number;
        } catch {
          binaryRange.buffer = apply(dvBuffer, data, []) as ArrayBuffer;
          binaryRange.offset = apply(dvByteOffset, data, []) as number;
          binaryRange.length = apply(dvByteLength, data, []) as number;
        }
        return true;
      }
      if (isArrayBuffer(data)) {
        binaryRange.buffer = data as ArrayBuffer;
        binaryRange.offset = 0;
        binaryRange.length = apply(abByteLength, data, []) as number;
        return true;
      }
    } catch {
      // a view of a detached buffer, or an object that only looks like one
    }
    return false;
  }

  function recordFrame(
    state: SocketState,
    dir: 'send' | 'receive',
    data: string | ArrayBuffer | Blob,
    origin: FrameOrigin,
    status: FrameStatus,
    note?: string,
    rule?: string,
    original?: string | ArrayBuffer | Blob,
  ): void {
    if (typeof data === 'string' && note === undefined && rule === undefined && original === undefined && data.length <= PLAIN_PAYLOAD_MAX) {
      enqueuePlainText(state, ++state.seq, now(), dir, data, origin, status);
      return;
    }
    const event: PageFrameEvent = withoutPrototype({ k: 'frame', socketId: state.id, seq: ++state.seq, time: now(), dir, data, origin, status });
    if (note !== undefined) event.note = note;
    if (rule !== undefined) event.rule = rule;
    if (original !== undefined && typeof original !== 'object') event.original = original;
    else if (original !== undefined && isArrayBuffer(original)) event.original = original as ArrayBuffer;
    enqueue(event);
  }

  function postNotice(notice: PageNotice | { kind: 'held'; holdId: string; connectionId: string; dir: Direction; data: string | ArrayBuffer | Blob; rule: string; time: number }): void {
    if (!port) return;
    flush(); // frames recorded before the notice travel before it
    try {
      apply(portPostMessage, port, [{ ns: NAMESPACE, type: 'page-notice', notice }]);
    } catch {
      // page unloading
    }
  }

  // --- intercept: rules, breakpoints, holds --------------------------------------------------------------------
  function textOf(snapshot: string | ArrayBuffer | Blob): string | undefined {
    return typeof snapshot === 'string' ? snapshot : undefined;
  }

  function startHold(ws: WebSocket, state: SocketState, dir: Direction, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob, rule: string): void {
    const holdId = state.id + ':h' + ++holdCounter;
    const hold: Hold = withoutPrototype({ holdId, dir, data, snapshot, rule, timer: undefined, queue: ownArray<Queued>() });
    if (dir === 'send') state.sendHold = hold;
    else state.receiveHold = hold;
    apply(mapSet, holds, [holdId, { ws, state, dir }]);
    // A closed panel must never freeze the page: held frames go through unchanged after the timeout.
    hold.timer = apply(setTimeoutFn, win, [() => release(holdId, 'forward', undefined, 'timeout'), holdTimeoutMs]);
    postNotice({ kind: 'held', holdId, connectionId: state.id, dir, data: snapshot, rule, time: now() });
  }

  /** Sends (or holds, or blocks) one outgoing frame on an OPEN socket according to the rules. */
  function interceptSend(ws: WebSocket, state: SocketState, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob): void {
    if (state.sendHold) {
      // Our snapshot is what goes out later: the page may change its buffer meanwhile.
      const q = state.sendHold.queue;
      q[q.length] = { k: 'send', data: snapshot, snapshot };
      return;
    }
    const decision = rules.length > 0 ? decide(rules, 'send', state.url, textOf(snapshot), matcherNatives) : undefined;
    if (!decision) {
      apply(nativeSend, ws, [data]);
      recordFrame(state, 'send', snapshot, 'page', 'sent');
      return;
    }
    const { rule, replaced } = decision;
    if (rule.action === 'block') recordFrame(state, 'send', snapshot, 'page', 'blocked', 'blocked by a rule', rule.name);
    else if (rule.action === 'replace' && replaced !== undefined) {
      apply(nativeSend, ws, [replaced]);
      recordFrame(state, 'send', replaced, 'page', 'sent', undefined, rule.name, snapshot);
    } else startHold(ws, state, 'send', snapshot, snapshot, rule.name);
  }

  /** Delivers a message to the page's listeners (isTrusted is false: only the browser makes trusted events). */
  function deliver(ws: WebSocket, data: string | ArrayBuffer | Blob): void {
    const origin = apply(urlOrigin, new URLCtor(apply(wsUrl, ws, []) as string), []) as string;
    apply(dispatchEvent, ws, [new MessageEventCtor('message', withoutPrototype({ data, origin }))]);
  }

  /** Decides what the page's listeners get for one received frame; false when our listener must stop the event. */
  function interceptReceive(ws: WebSocket, state: SocketState, data: string | ArrayBuffer | Blob, snapshot: string | ArrayBuffer | Blob): boolean {
    if (state.receiveHold) {
      const q = state.receiveHold.queue;
      q[q.length] = { k: 'message', data, snapshot };
      return false;
    }
    const decision = rules.length > 0 ? decide(rules, 'receive', state.url, textOf(snapshot), matcherNatives) : undefined;
    if (!decision) {
      recordFrame(state, 'receive', snapshot, 'page', 'sent');
      return true;
    }
    const { rule, replaced } = decision;
    if (rule.action === 'block') recordFrame(state, 'receive', snapshot, 'page', 'blocked', 'blocked by a rule', rule.name);
    else if (rule.action === 'replace' && replaced !== undefined) {
      recordFrame(state, 'receive', replaced, 'page', 'sent', undefined, rule.name, snapshot);
      deliver(ws, replaced);
    } else startHold(ws, state, 'receive', data, snapshot, rule.name);
    return false;
  }

  /** Ends a hold: forwards (possibly edited) or drops the held frame, then lets what queued behind it through. */
  function release(holdId: string, action: 'forward' | 'drop', edited: string | ArrayBuffer | undefined, why?: 'timeout' | 'closed'): boolean {
    const entry = apply(mapGet, holds, [holdId]) as { ws: WebSocket; state: SocketState; dir: Direction } | undefined;
    if (!entry) return false;
    apply(mapDelete, holds, [holdId]);
    const { ws, state, dir } = entry;
    const hold = dir === 'send' ? state.sendHold : state.receiveHold;
    if (!hold || hold.holdId !== holdId) return false;
    apply(clearTimeoutFn, win, [hold.timer]);
    if (dir === 'send') state.sendHold = undefined;
    else state.receiveHold = undefined;
    const open = (apply(wsReadyState, ws, []) as number) === 1;
    let outcome: 'forwarded' | 'edited' | 'dropped' | 'timeout' | 'closed' = why ?? (action === 'drop' ? 'dropped' : edited !== undefined ? 'edited' : 'forwarded');
    if (dir === 'send') {
      if (action === 'drop') recordFrame(state, 'send', hold.snapshot, 'page', 'blocked', 'dropped at a breakpoint', hold.rule);
      else if (!open) {
        recordFrame(state, 'send', hold.snapshot, 'page', 'dropped', 'the socket closed while the frame was held', hold.rule);
        outcome = 'closed';
      } else if (edited !== undefined) {
        apply(nativeSend, ws, [edited]);
        const copy = typeof edited === 'string' ? edited : copyBuffer(edited, 0, apply(abByteLength, edited, []) as number);
        recordFrame(state, 'send', copy, 'page', 'sent', 'edited at a breakpoint', hold.rule, hold.snapshot);
      } else {
        apply(nativeSend, ws, [hold.data]);
        recordFrame(state, 'send', hold.snapshot, 'page', 'sent', why === 'timeout' ? 'released after the hold timeout' : undefined, hold.rule);
      }
    } else if (action === 'drop') recordFrame(state, 'receive', hold.snapshot, 'page', 'blocked', 'dropped at a breakpoint', hold.rule);
    else if (edited !== undefined) {
      let data: string | ArrayBuffer | Blob = edited;
      if (typeof edited !== 'string' && apply(wsBinaryType, ws, []) === 'blob') data = new BlobCtor(ownSequence([edited]));
      const copy = typeof edited === 'string' ? edited : copyBuffer(edited, 0, apply(abByteLength, edited, []) as number);
      recordFrame(state, 'receive', copy, 'page', 'sent', 'edited at a breakpoint', hold.rule, hold.snapshot);
      deliver(ws, data);
    } else {
      recordFrame(state, 'receive', hold.snapshot, 'page', 'sent', why === 'timeout' ? 'released after the hold timeout' : undefined, hold.rule);
      deliver(ws, hold.data);
    }
    postNotice({ kind: 'released', holdId, connectionId: state.id, outcome });
    drain(ws, state, hold.queue);
    return true;
  }

  /** Lets queued frames and events through in order, until one of them is held again. */
  function drain(ws: WebSocket, state: SocketState, queued: Queued[]): void {
    for (let i = 0; i < queued.length; i++) {
      const item = queued[i];
      const hold = item.k === 'send' ? state.sendHold : state.receiveHold;
      if (hold) {
        // Held again: the rest waits behind the new hold.
        for (let j = i; j < queued.length; j++) hold.queue[hold.queue.length] = queued[j];
        return;
      }
      if (item.k === 'send') {
        if ((apply(wsReadyState, ws, []) as number) === 1) interceptSend(ws, state, item.data, item.snapshot);
        else recordFrame(state, 'send', item.snapshot, 'page', 'dropped', 'the socket closed while the frame waited behind a held one');
      } else if (item.k === 'message') {
        if (interceptReceive(ws, state, item.data, item.snapshot)) deliver(ws, item.data);
      } else if (item.k === 'close') {
        recordClose(state, item.code, item.reason, item.wasClean);
        apply(dispatchEvent, ws, [new CloseEventCtor('close', withoutPrototype({ code: item.code, reason: item.reason, wasClean: item.wasClean }))]);
      } else {
        enqueue({ k: 'error', socketId: state.id, seq: ++state.seq, time: now() });
        apply(dispatchEvent, ws, [new EventCtor('error')]);
      }
    }
  }

  function recordClose(state: SocketState, code: number, reason: string, wasClean: boolean): void {
    apply(mapDelete, liveSockets, [state.id]);
    if (!active) return;
    enqueue({ k: 'close', socketId: state.id, seq: ++state.seq, time: now(), code, reason, wasClean });
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
    const data = apply(messageData, event, []) as string | ArrayBuffer | Blob;
    // The common binary case: no rules, holds or replay waiting, so the bytes go straight into the batch.
    if (typeof data === 'object' && data !== null && rules.length === 0 && state.receiveHold === undefined && state.replyWaiter === undefined) {
      if (recordBinaryRow(state, 'receive', data, 'page', 'sent')) return;
    }
    const snapshot = typeof data === 'string' ? data : data !== null && typeof data === 'object' ? snapshotBinary(data) : undefined;
    if (snapshot === undefined) return;
    if (rules.length === 0 && state.receiveHold === undefined) recordFrame(state, 'receive', snapshot, 'page', 'sent');
    else if (!interceptReceive(this, state, data, snapshot)) apply(stopImmediatePropagation, event, []);
    const waiter = state.replyWaiter;
    if (waiter !== undefined) waiter(snapshot);
  }
  function onError(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!active || !state || !eventIsTrusted(event)) return;
    if (state.receiveHold) {
      // Keep the page's order: the error follows the frames held before it.
      apply(stopImmediatePropagation, event, []);
      const q = state.receiveHold.queue;
      q[q.length] = { k: 'error' };
      return;
    }
    enqueue({ k: 'error', socketId: state.id, seq: ++state.seq, time: now() });
  }
  function onClose(this: WebSocket, event: Event): void {
    const state = stateOf(this);
    if (!state || !eventIsTrusted(event)) return;
    const code = apply(closeCode, event, []) as number;
    const reason = apply(closeReason, event, []) as string;
    const wasClean = apply(closeWasClean, event, []) as boolean;
    if (state.sendHold) release(state.sendHold.holdId, 'forward', undefined, 'closed');
    if (state.receiveHold) {
      apply(stopImmediatePropagation, event, []);
      const q = state.receiveHold.queue;
      q[q.length] = { k: 'close', code, reason, wasClean };
      return;
    }
    recordClose(state, code, reason, wasClean);
  }

  /**
   * The constructor's arguments converted once, by us, as the native would (WebIDL: the url to a string, then the
   * protocols, a string or a sequence of strings from any iterable): the same calls into the page's objects, in
   * the same order. The native then gets strings and an ownSequence, which run no page code, and we know the
   * protocols it was asked for without reading the page's argument a second time. An error of the page's own
   * code propagates as it would; an error of the conversion itself comes from the native, given a stand-in
   * that fails the same way, so its message is the browser's.
   */
  function convertArguments(args: unknown[], target: typeof WebSocket, newTarget: AnyFn): { args: unknown[]; protocols: string[] } {
    const protocols: string[] = ownArray();
    const n = args.length;
    if (n === 0) return { args, protocols };
    const converted: unknown[] = ownArray();
    for (let i = 0; i < n; i++) converted[i] = args[i];
    const failAt =
      (slot: number) =>
      (standIn: unknown): never => {
        converted[slot] = standIn;
        construct(target, converted, newTarget);
        throw new TypeErrorCtor('Failed to construct WebSocket'); // not reached: the native threw
      };
    if (isObject(converted[0])) converted[0] = stringOf(converted[0], failAt(0));
    if (n < 2 || converted[1] === undefined) return { args: converted, protocols };
    const value = converted[1];
    const fail = failAt(1);
    if (!isObject(value)) {
      if (typeof value !== 'symbol') protocols[0] = StringCtor(value);
      return { args: converted, protocols };
    }
    const method = (value as Record<symbol, unknown>)[iteratorSymbol];
    if (method === undefined || method === null) {
      protocols[0] = stringOf(value, fail);
      converted[1] = protocols[0];
      return { args: converted, protocols };
    }
    if (typeof method !== 'function') fail(withoutPrototype({ [iteratorSymbol]: method }));
    const iterator = apply(method as AnyFn, value, []);
    if (!isObject(iterator)) fail(withoutPrototype({ [iteratorSymbol]: () => iterator }));
    const next = (iterator as { next: unknown }).next;
    const failItem = (standIn: unknown): never => fail(ownSequence([standIn]));
    for (;;) {
      if (typeof next !== 'function') fail(withoutPrototype({ [iteratorSymbol]: () => withoutPrototype({ next }) }));
      const result = apply(next as AnyFn, iterator, []);
      if (!isObject(result)) fail(withoutPrototype({ [iteratorSymbol]: () => withoutPrototype({ next: () => result }) }));
      if ((result as { done: unknown }).done) break;
      protocols[protocols.length] = stringOf((result as { value: unknown }).value, failItem);
    }
    converted[1] = ownSequence(protocols);
    return { args: converted, protocols };
  }
  /**
   * ToString, as a WebIDL string conversion does it: ToPrimitive with the hint "string" (the value's
   * @@toPrimitive, else toString, then valueOf), then the primitive to a string. Where the conversion itself
   * fails, `fail` gets a stand-in that fails the same way.
   */
  function stringOf(value: unknown, fail: (standIn: unknown) => never): string {
    let primitive = value;
    if (isObject(value)) {
      const exotic = (value as Record<symbol, unknown>)[toPrimitiveSymbol];
      if (exotic !== undefined && exotic !== null) {
        // The browser's message names the object's class ("#<Object>"): the stand-in gets the same prototype.
        if (typeof exotic !== 'function') fail(setPrototypeOf({ [toPrimitiveSymbol]: exotic }, getPrototypeOf(value)));
        primitive = apply(exotic as AnyFn, value, ['string']);
        if (isObject(primitive)) fail(withoutPrototype({ [toPrimitiveSymbol]: () => primitive }));
      } else {
        let found = false;
        const toString = (value as { toString: unknown }).toString;
        if (typeof toString === 'function') {
          primitive = apply(toString as AnyFn, value, []);
          found = !isObject(primitive);
        }
        if (!found) {
          const valueOf = (value as { valueOf: unknown }).valueOf;
          if (typeof valueOf === 'function') {
            primitive = apply(valueOf as AnyFn, value, []);
            found = !isObject(primitive);
          }
        }
        if (!found) fail(withoutPrototype({}));
      }
    }
    if (typeof primitive === 'symbol') fail(primitive);
    return StringCtor(primitive);
  }
  function isObject(value: unknown): boolean {
    return (typeof value === 'object' && value !== null) || typeof value === 'function';
  }

  // --- the constructor proxy ----------------------------------------------------------------------------------
  const proxies = new WeakMapCtor<object, object>(); // our proxy → the native it stands for (for toString)

  const WebSocketProxy = new ProxyCtor(NativeWebSocket, withoutPrototype({
    construct(target, args, newTarget) {
      const call = convertArguments(args, target as typeof WebSocket, newTarget as AnyFn);
      const ws = construct(target, call.args, newTarget) as WebSocket;
      try {
        if (active) track(ws, call.protocols);
      } catch {
        // Never let our bookkeeping break the page's socket.
      }
      return ws;
    },
  }));

  function track(ws: WebSocket, protocols: string[]): void {
    const id = pagePrefix + '-' + ++socketCounter;
    const url = apply(wsUrl, ws, []) as string;
    const state: SocketState = { id, seq: 0, url, batchNumber: 0, batchIndex: 0, sendHold: undefined, receiveHold: undefined, replyWaiter: undefined };
    apply(wmSet, sockets, [ws, withoutPrototype(state)]);
    apply(mapSet, liveSockets, [id, new WeakRefCtor(ws)]);
    apply(addEventListener, ws, ['open', onOpen]);
    apply(addEventListener, ws, ['message', onMessage]);
    apply(addEventListener, ws, ['error', onError]);
    apply(addEventListener, ws, ['close', onClose]);
    const event: PageEvent = withoutPrototype({
      k: 'connect',
      socketId: id,
      url,
      protocols,
      frameUrl: apply(locationHref, location, []) as string,
      time: now(),
    });
    if (nextInitiator !== undefined) event.initiator = nextInitiator;
    enqueue(event);
  }

  // --- the send proxy -----------------------------------------------------------------------------------------
  const sendProxy = new ProxyCtor(nativeSend, withoutPrototype({
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
      if (readyState === 1 && (rules.length > 0 || state.sendHold !== undefined) && (type === 'string' || type === 'object')) {
        const snapshot = typeof data === 'string' ? data : snapshotBinary(data as object);
        if (snapshot !== undefined) {
          interceptSend(thisArg as WebSocket, state, data as string | ArrayBuffer | Blob, snapshot);
          return undefined;
        }
      }
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
      const status = readyState === 1 ? 'sent' : 'dropped';
      if (typeof data === 'string') recordFrame(state, 'send', data, 'page', status);
      else if (!recordBinaryRow(state, 'send', data as object, 'page', status)) {
        const snapshot = snapshotBinary(data as object);
        if (snapshot !== undefined) recordFrame(state, 'send', snapshot, 'page', status);
      }
      return result;
    },
  }));

  // --- Function.prototype.toString answers for our proxies ---------------------------------------------------
  const toStringProxy = new ProxyCtor(fnToString, withoutPrototype({
    apply(target, thisArg, args) {
      if (args[0] === PROBE && (thisArg === WebSocketProxy || thisArg === NativeWebSocket)) return PROBE;
      const original = thisArg !== null && (typeof thisArg === 'function' || typeof thisArg === 'object')
        ? (apply(wmGet, proxies, [thisArg]) as object | undefined)
        : undefined;
      return apply(target, original === undefined ? thisArg : original, args);
    },
  }));
  apply(wmSet, proxies, [WebSocketProxy, NativeWebSocket]);
  apply(wmSet, proxies, [sendProxy, nativeSend]);
  apply(wmSet, proxies, [toStringProxy, fnToString]);

  // --- install, keeping every property's attributes -----------------------------------------------------------
  function replaceValue(obj: object, key: string, value: unknown): void {
    const d = getOwnPropertyDescriptor(obj, key);
    if (!d) return;
    defineProperty(obj, key, withoutPrototype({ value, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable }));
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

  /**
   * RegExp.prototype[Symbol.replace] looks up `exec` and `flags` on the RegExp, and the `flags` getter each flag:
   * all on the page's RegExp.prototype, which the page may have replaced. So each of our RegExps gets its own
   * `exec` and `flags`, the latter read from the natives' flag getters (which read internal slots only).
   */
  function ownRegExp(re: RegExp): void {
    let flags = '';
    for (let i = 0; i < regexpFlags.length; i++) if (apply(regexpFlags[i].get, re, [])) flags += regexpFlags[i].letter;
    defineProperty(re, 'exec', withoutPrototype({ value: regexpExec }));
    defineProperty(re, 'flags', withoutPrototype({ value: flags }));
  }

  function runCommand(command: PageCommand): void {
    switch (command.kind) {
      case 'set-rules': {
        const list = command.rules;
        for (let i = 0; i < list.length; i++) {
          if (list[i].url) ownRegExp(list[i].url!);
          if (list[i].pattern) ownRegExp(list[i].pattern!);
        }
        rules = list;
        holdTimeoutMs = command.holdTimeoutMs > 0 ? command.holdTimeoutMs : DEFAULT_HOLD_TIMEOUT_MS;
        return;
      }
      case 'release':
        if (!release(command.holdId, command.action, command.action === 'forward' ? command.data : undefined)) {
          throw new Error('That frame is no longer held (released by the timeout, or its socket closed).');
        }
        return;
      case 'replay':
        runReplay(command);
        return;
      case 'replay-stop': {
        const replay = apply(mapGet, replays, [command.replayId]) as { stop(): void } | undefined;
        if (!replay) throw new Error('That replay has already finished.');
        replay.stop();
        return;
      }
    }
    const ws = socketById(command.socketId);
    const state = ws ? stateOf(ws) : undefined;
    if (!ws || !state) throw new Error('The connection is gone: the page closed it or navigated away.');
    const readyState = apply(wsReadyState, ws, []) as number;
    if (command.kind === 'close') {
      if (readyState >= 2) throw new Error('The connection is already closing or closed.');
      apply(nativeClose, ws, command.code === undefined ? [] : command.reason === undefined ? [command.code] : [command.code, command.reason]);
      return;
    }
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
      data = apply(wsBinaryType, ws, []) === 'blob' ? new BlobCtor(ownSequence([bytes])) : bytes;
    }
    recordFrame(state, 'receive', recorded, 'simulated', 'sent');
    deliver(ws, data);
  }

  /**
   * Replays a sequence on a new connection opened from the page's own context (so Origin and cookies are the
   * page's). The connection is recorded like any other, marked as a replay; progress goes to the panel.
   */
  function runReplay(command: Extract<PageCommand, { kind: 'replay' }>): void {
    const { replayId, steps, waitForReply } = command;
    const total = steps.length;
    let ws: WebSocket;
    nextInitiator = 'replay';
    try {
      ws = new (WebSocketProxy as typeof WebSocket)(command.url, ownSequence(command.protocols ?? []));
    } finally {
      nextInitiator = undefined;
    }
    const state = stateOf(ws)!;
    apply(wsBinaryTypeSetter, ws, ['arraybuffer']);
    let sent = 0;
    let timer: unknown;
    let finished = false;
    const progress = (replayState: 'connecting' | 'running' | 'waiting' | 'done' | 'failed' | 'stopped', error?: string) => {
      const notice: PageNotice = { kind: 'replay-progress', replayId, connectionId: state.id, sent, total, state: replayState };
      if (error !== undefined) notice.error = error;
      postNotice(notice);
    };
    const finish = (replayState: 'done' | 'failed' | 'stopped', error?: string) => {
      if (finished) return;
      finished = true;
      state.replyWaiter = undefined;
      apply(clearTimeoutFn, win, [timer]);
      apply(mapDelete, replays, [replayId]);
      progress(replayState, error);
    };
    const step = () => {
      if (finished) return;
      if (sent === total) {
        finish('done');
        return;
      }
      timer = apply(setTimeoutFn, win, [sendNext, steps[sent].delayMs]);
    };
    const sendNext = () => {
      if (finished) return;
      if ((apply(wsReadyState, ws, []) as number) !== 1) {
        finish('failed', `The connection closed after ${sent} of ${total} frames.`);
        return;
      }
      const data = steps[sent].data;
      apply(nativeSend, ws, [data]);
      recordFrame(state, 'send', typeof data === 'string' ? data : copyBuffer(data, 0, data.byteLength), 'inspector', 'sent');
      sent++;
      if (waitForReply && sent < total) {
        progress('waiting');
        const re = waitForReply.pattern && waitForReply.regex ? new regexpCtor(waitForReply.pattern) : undefined;
        timer = apply(setTimeoutFn, win, [() => finish('failed', `No matching reply within ${waitForReply.timeoutMs} ms after frame ${sent}.`), waitForReply.timeoutMs]);
        state.replyWaiter = (reply) => {
          const text = typeof reply === 'string' ? reply : undefined;
          const matches = !waitForReply.pattern || (text !== undefined && (re ? apply(regexpExec, re, [text]) !== null : apply(stringIndexOf, text, [waitForReply.pattern]) !== -1));
          if (!matches) return;
          state.replyWaiter = undefined;
          apply(clearTimeoutFn, win, [timer]);
          progress('running');
          step();
        };
      } else {
        progress('running');
        step();
      }
    };
    apply(addEventListener, ws, ['open', step, withoutPrototype({ once: true })]);
    apply(addEventListener, ws, ['close', () => finish(sent === total ? 'done' : 'failed', sent === total ? undefined : `The connection closed after ${sent} of ${total} frames.`), withoutPrototype({ once: true })]);
    apply(mapSet, replays, [replayId, {
      ws,
      stop: () => {
        finish('stopped');
        try {
          apply(nativeClose, ws, [1000, 'Replay stopped']);
        } catch {
          // already closed
        }
      },
    }]);
    progress('connecting');
  }

  function onRelayMessage(event: MessageEvent): void {
    const msg = apply(messageData, event, []) as RelayToPageMessage;
    if (typeof msg !== 'object' || msg === null) return;
    withoutPrototypes(msg);
    if (msg.ns !== NAMESPACE) return;
    if (msg.type === 'stop') {
      stop();
      return;
    }
    if (msg.type === 'spare-buffer') {
      const buffer = msg.buffer as unknown;
      if (typeof buffer === 'object' && buffer !== null && isArrayBuffer(buffer)) {
        const size = apply(abByteLength, buffer, []) as number;
        if (spareBinary === undefined || size > (apply(abByteLength, spareBinary, []) as number)) spareBinary = buffer as ArrayBuffer;
      }
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
    const offer = new MessageEventCtor(PORT_EVENT, withoutPrototype({ ports: ownSequence([channel.port2]), cancelable: true }));
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
    if (rowLength > 0) flush();
  }
  if (offerPort()) connected();
  else apply(addEventListener, win, [RELAY_READY_EVENT, onRelayReady]);

  function stop(): void {
    active = false;
    resetBatch();
    rules = [];
    // Nothing may stay held once nobody can release it.
    const pending: string[] = ownArray();
    apply(mapForEach, holds, [(_v: unknown, id: string) => (pending[pending.length] = id)]);
    for (let i = 0; i < pending.length; i++) release(pending[i], 'forward', undefined, 'timeout');
    apply(removeEventListener, win, [RELAY_READY_EVENT, onRelayReady]);
  }

  return {
    stop,
    pendingCount: eventCount,
    flush,
  };
}
