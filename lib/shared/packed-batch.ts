/**
 * The relay's batches as they cross the runtime port: a few long strings instead of thousands of small objects.
 *
 * Why: the runtime port's serialisation runs on the page's main thread and costs per element, not just per
 * byte. Measured in Chromium 156 (structured-clone ports): 1,000 frame objects per message cost ~10–30 µs per
 * frame; the same frames as columns ~1–2 µs per frame. So plain frames (the hot path) travel as columns: one row
 * of numbers per frame in `rows` (a Float64Array: one copy, not one per number), text payloads back to back in
 * `payloads`, binary payloads back to back as raw bytes in `binary` (no base64 on the page's thread). Every other
 * event (connect, open, close, error, frame parts, frames with a note, rule or original payload) is rare and
 * travels as the wire object itself in `extra`.
 *
 * The row layout is the page hook's own (PageEventsMessage), so the relay can pass a hook batch on as it came
 * (CaptureRelay's fast path) instead of rebuilding it frame by frame on the page's thread.
 *
 * Packing runs in the relay; unpacking runs in the background and validates everything, since a batch is only as
 * trustworthy as the renderer that sent it.
 */
import type { Direction, FrameOrigin, FrameStatus, Opcode, BlobBytes, PackedBatch, WireEvent, WireFrameEvent } from './protocol';

export type { PackedBatch } from './protocol';
import { PACKED_EXTRA, PACKED_ROW_WIDTH, frameCodeOf } from './protocol';
import { sliceEnd, toWellFormed, utf8ByteLength } from './wire';

/** Set in a row's code when its payload is in `large` (the row's length field is then its index). */
export const LARGE_PAYLOAD = 128;

const ROW_WIDTH = PACKED_ROW_WIDTH;
/** Below this a Blob's fixed cost (about a millisecond) outweighs what it saves. */
export const BLOB_MIN_BYTES = 1 << 16;
const EXTRA = PACKED_EXTRA;

const DIRECTIONS: readonly Direction[] = ['send', 'receive'];
const ORIGINS: readonly FrameOrigin[] = ['page', 'inspector', 'simulated'];
const STATUSES: readonly FrameStatus[] = ['sent', 'dropped', 'refused', 'blocked'];

export interface DecodedFrameCode {
  dir: Direction;
  opcode: Opcode;
  origin: FrameOrigin;
  status: FrameStatus;
}

/** The inverse of frameCodeOf; undefined for a code it never makes. */
export function decodeFrameCode(code: number): DecodedFrameCode | undefined {
  if (!Number.isInteger(code) || code < 0 || code >= 128) return undefined;
  const origin = ORIGINS[(code >> 3) & 3];
  if (origin === undefined) return undefined;
  return {
    dir: DIRECTIONS[code & 1],
    opcode: code & 2 ? 2 : 1,
    origin,
    status: STATUSES[(code >> 5) & 3],
  };
}

/** decodeFrameCode for a code frameCodeOf makes (bit 2 repeats bit 1); undefined for any other. */
export function decodeRowCode(code: number): DecodedFrameCode | undefined {
  return ((code >> 1) & 1) === ((code >> 2) & 1) ? decodeFrameCode(code) : undefined;
}

function isPlainFrame(event: WireEvent): event is WireFrameEvent {
  return (
    event.k === 'frame' &&
    event.encoding === 'text' &&
    event.note === undefined &&
    event.rule === undefined &&
    event.original === undefined &&
    ORIGINS.includes(event.origin) &&
    STATUSES.includes(event.status)
  );
}

/** Collects wire events and seals them into one PackedBatch. */
export class PackedBatchBuilder {
  private ids: string[] = [];
  private idIndex = new Map<string, number>();
  private rows = new Float64Array(ROW_WIDTH * 64);
  private rowLength = 0;
  private payloadParts: string[] = [];
  private bytes = new Uint8Array(0);
  private byteLength = 0;
  private extra: WireEvent[] = [];
  private large: Blob[] = [];
  private events = 0;

  get count(): number {
    return this.events;
  }

  add(event: WireEvent): void {
    if (!isPlainFrame(event)) {
      this.pushRow(EXTRA, this.extra.length, 0, 0, 0);
      this.extra.push(event);
      return;
    }
    this.addFrame(event.connectionId, frameCodeOf(event.dir, event.opcode, event.origin, event.status), event.seq, event.time, event.payload);
  }

  /** A plain frame given by its parts (the relay's fast path: no event object). `code` is a frameCodeOf value. */
  addFrame(connectionId: string, code: number, seq: number, time: number, payload: string): void {
    this.addRow(connectionId, code, seq, time, payload.length);
    this.payloadParts.push(payload);
  }

  /** A plain binary frame: its bytes are copied. `code` is a frameCodeOf value with opcode 2 and base64. */
  addBinaryFrame(connectionId: string, code: number, seq: number, time: number, payload: Uint8Array): void {
    this.addRow(connectionId, code, seq, time, payload.byteLength);
    const needed = this.byteLength + payload.byteLength;
    if (needed > this.bytes.byteLength) {
      const grown = new Uint8Array(Math.max(needed, this.bytes.byteLength * 2, 1 << 16));
      grown.set(this.bytes.subarray(0, this.byteLength));
      this.bytes = grown;
    }
    this.bytes.set(payload, this.byteLength);
    this.byteLength = needed;
  }

  /** A plain frame whose payload is a Blob (text frames: its UTF-8). `code` is a frameCodeOf value. */
  addLargeFrame(connectionId: string, code: number, seq: number, time: number, payload: Blob): void {
    this.addRow(connectionId, code | LARGE_PAYLOAD, seq, time, this.large.length);
    this.large.push(payload);
  }

  private addRow(connectionId: string, code: number, seq: number, time: number, length: number): void {
    let index = this.idIndex.get(connectionId);
    if (index === undefined) {
      index = this.ids.length;
      this.ids.push(connectionId);
      this.idIndex.set(connectionId, index);
    }
    this.pushRow(code, index, seq, time, length);
  }

  private pushRow(code: number, index: number, seq: number, time: number, length: number): void {
    let rows = this.rows;
    const at = this.rowLength;
    if (at + ROW_WIDTH > rows.length) {
      const grown = new Float64Array(rows.length * 2);
      grown.set(rows);
      this.rows = rows = grown;
    }
    rows[at] = code;
    rows[at + 1] = index;
    rows[at + 2] = seq;
    rows[at + 3] = time;
    rows[at + 4] = length;
    this.rowLength = at + ROW_WIDTH;
    this.events++;
  }

  /** The batch so far; the builder is empty afterwards. */
  seal(): PackedBatch {
    const batch: PackedBatch = {
      count: this.events,
      ids: this.ids,
      rows: this.rows.slice(0, this.rowLength),
      payloads: this.payloadParts.join(''),
      binary: binaryPayloads(this.bytes.subarray(0, this.byteLength)),
      extra: this.extra,
      large: this.large,
    };
    this.bytes = new Uint8Array(0);
    this.byteLength = 0;
    this.ids = [];
    this.idIndex = new Map();
    this.rows = new Float64Array(ROW_WIDTH * 64);
    this.rowLength = 0;
    this.payloadParts = [];
    this.extra = [];
    this.large = [];
    this.events = 0;
    return batch;
  }
}

/**
 * A batch's binary payloads as they should cross the port: from BLOB_MIN_BYTES on a Blob (creating one costs the
 * page about a third of what cloning the bytes into the port message does), below that the bytes themselves
 * (a copy only when `bytes` is a view of a larger buffer).
 */
export function binaryPayloads(bytes: Uint8Array<ArrayBuffer>): ArrayBuffer | Blob {
  if (bytes.byteLength >= BLOB_MIN_BYTES && typeof Blob === 'function') return new Blob([bytes]);
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes.buffer as ArrayBuffer;
  return bytes.slice().buffer;
}

/** Packs a list of wire events in one go (tests, tools). */
export function packWireEvents(events: readonly WireEvent[]): PackedBatch {
  const builder = new PackedBatchBuilder();
  for (const event of events) builder.add(event);
  return builder.seal();
}

export class PackedBatchError extends Error {
  constructor(message: string) {
    super(`malformed capture batch: ${message}`);
    this.name = 'PackedBatchError';
  }
}

const isArrayBuffer = (value: unknown): value is ArrayBuffer => Object.prototype.toString.call(value) === '[object ArrayBuffer]'; // any realm's
const isIndex = (n: unknown, length: number): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < length;

const isFloat64Array = (value: unknown): value is Float64Array => Object.prototype.toString.call(value) === '[object Float64Array]';

const isBlob = (value: unknown): value is Blob => typeof Blob === 'function' && value instanceof Blob;

/** A row whose payload is in `large` (its code has LARGE_PAYLOAD set). */
const isLargeRowCode = (code: number): boolean => Number.isInteger(code) && code >= LARGE_PAYLOAD && code < 2 * LARGE_PAYLOAD;

/**
 * The batch with the large payloads of its text frames as ArrayBuffers (reads those Blobs: text is stored as a
 * string). Binary payloads stay as they came, Blobs included: unpackBatch hands those on as BlobBytes.
 */
export async function withLargeTextBytes(packed: unknown): Promise<unknown> {
  if (typeof packed !== 'object' || packed === null) return packed;
  const { rows, large } = packed as { rows?: unknown; large?: unknown };
  if (!isFloat64Array(rows) || !Array.isArray(large)) return packed; // unpackBatch says what is wrong
  const textIndexes = new Set<number>();
  for (let r = 0; r + ROW_WIDTH <= rows.length; r += ROW_WIDTH) {
    const code = rows[r];
    if (isLargeRowCode(code) && decodeRowCode(code - LARGE_PAYLOAD)?.opcode === 1) textIndexes.add(rows[r + 4]);
  }
  if (textIndexes.size === 0) return packed;
  return { ...packed, large: await Promise.all(large.map((value: unknown, i) => (textIndexes.has(i) && isBlob(value) ? value.arrayBuffer() : value))) };
}

/**
 * Makes a Blob of `data` one slice per task, so that no task on the page's thread lasts long: on a slow machine a
 * 16 MiB Blob in one go took 0.1–0.9 s. Text becomes UTF-8, and a lone surrogate U+FFFD, as WebSocket send()
 * does; slices never split a surrogate pair. `schedule` runs its callback in a later task.
 */
export function blobInSlices(data: string | ArrayBuffer | Uint8Array<ArrayBuffer>, schedule: (next: () => void) => void, done: (blob: Blob) => void, sliceSize = LARGE_SLICE): void {
  const parts: Blob[] = [];
  const length = typeof data === 'string' ? data.length : data.byteLength;
  const bytes = typeof data === 'string' ? undefined : data instanceof Uint8Array ? data : new Uint8Array(data);
  let at = 0;
  const step = () => {
    const end = typeof data === 'string' ? sliceEnd(data, at, sliceSize) : Math.min(at + sliceSize, length);
    parts.push(new Blob([bytes ? bytes.subarray(at, end) : (data as string).slice(at, end)]));
    at = end;
    if (at < length) schedule(step);
    else done(new Blob(parts));
  };
  step();
}

/** UTF-16 units (text) or bytes (binary) per slice: a few milliseconds of work each on this project's test machine. */
export const LARGE_SLICE = 1 << 18;

/**
 * The wire events of a packed batch, in order (the large payloads of its text frames already bytes: see
 * withLargeTextBytes). Binary payloads that came in a Blob become BlobBytes ranges of it, not copies. Throws
 * PackedBatchError on anything inconsistent.
 */
export function unpackBatch(packed: unknown): WireEvent[] {
  if (typeof packed !== 'object' || packed === null) throw new PackedBatchError('not an object');
  const { count, ids, rows, payloads, binary, extra, large } = packed as Partial<Omit<PackedBatch, 'large'>> & { large?: unknown[] };
  if (!Number.isInteger(count) || (count as number) < 0) throw new PackedBatchError('bad count');
  if (typeof payloads !== 'string' || !(isArrayBuffer(binary) || isBlob(binary)) || !Array.isArray(extra) || !Array.isArray(large)) {
    throw new PackedBatchError('missing fields');
  }
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string') || !isFloat64Array(rows)) throw new PackedBatchError('bad rows');
  if (rows.length !== (count as number) * ROW_WIDTH) throw new PackedBatchError(`${rows.length} row numbers for ${count} events`);
  const bytes = isBlob(binary) ? undefined : new Uint8Array(binary);
  const binarySize = bytes ? bytes.byteLength : (binary as Blob).size;
  let byteOffset = 0;
  const events: WireEvent[] = [];
  let offset = 0;
  for (let r = 0; r < rows.length; r += ROW_WIDTH) {
    const code = rows[r];
    if (code === EXTRA) {
      const event = extra[rows[r + 1]] as unknown;
      if (!isIndex(rows[r + 1], extra.length) || typeof event !== 'object' || event === null || typeof (event as { k?: unknown }).k !== 'string') {
        throw new PackedBatchError(`event ${r / ROW_WIDTH} refers to a missing extra event`);
      }
      events.push(event as WireEvent);
      continue;
    }
    const [connection, seq, time, length] = [rows[r + 1], rows[r + 2], rows[r + 3], rows[r + 4]];
    const inLarge = isLargeRowCode(code);
    const decoded = decodeRowCode(inLarge ? code - LARGE_PAYLOAD : code);
    if (decoded === undefined) throw new PackedBatchError(`event ${r / ROW_WIDTH} has a bad code`);
    if (!isIndex(connection, ids.length) || !Number.isInteger(seq) || !Number.isFinite(time) || !Number.isInteger(length) || length < 0) {
      throw new PackedBatchError(`event ${r / ROW_WIDTH} has bad fields`);
    }
    const text = decoded.opcode === 1;
    let payload = '';
    let raw: ArrayBuffer | BlobBytes | undefined;
    if (inLarge) {
      const bytes = large[length];
      if (!isIndex(length, large.length) || !(isArrayBuffer(bytes) || (!text && isBlob(bytes)))) {
        throw new PackedBatchError(`event ${r / ROW_WIDTH} refers to a missing large payload`);
      }
      if (text) {
        // Not fatal: bytes that are not UTF-8 (only a tampered renderer sends them) become U+FFFD, like any text.
        payload = new TextDecoder().decode(bytes as ArrayBuffer);
      } else {
        raw = isBlob(bytes) ? { blob: bytes, start: 0, size: bytes.size } : bytes;
      }
    } else if (text) {
      if (offset + length > payloads.length) throw new PackedBatchError(`event ${r / ROW_WIDTH} runs past the payloads`);
      // Text as it went on the wire (send() takes a USVString): the relay leaves this to us, off the page's thread.
      payload = toWellFormed(payloads.slice(offset, offset + length));
      offset += length;
    } else {
      if (byteOffset + length > binarySize) throw new PackedBatchError(`event ${r / ROW_WIDTH} runs past the binary payloads`);
      raw = bytes ? bytes.slice(byteOffset, byteOffset + length).buffer : { blob: binary as Blob, start: byteOffset, size: length };
      byteOffset += length;
    }
    const frame: WireFrameEvent = {
      k: 'frame',
      connectionId: ids[connection],
      seq,
      time,
      dir: decoded.dir,
      opcode: decoded.opcode,
      // Raw bytes are 'bytes', never 'base64': nothing here was ever base64.
      encoding: text ? 'text' : 'bytes',
      payload,
      // Measured here, not sent: the background's time is not the page's.
      size: raw === undefined ? utf8ByteLength(payload) : isArrayBuffer(raw) ? raw.byteLength : raw.size,
      origin: decoded.origin,
      status: decoded.status,
    };
    if (raw !== undefined) frame.bytes = raw; // stored as it came: no base64 and back
    events.push(frame);
  }
  if (offset !== payloads.length) throw new PackedBatchError(`${payloads.length - offset} payload characters left over`);
  if (byteOffset !== binarySize) throw new PackedBatchError(`${binarySize - byteOffset} binary payload bytes left over`);
  return events;
}
