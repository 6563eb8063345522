/**
 * The relay's batches as they cross the runtime port: a few long strings instead of thousands of small objects.
 *
 * Why: the runtime port's serialisation runs on the page's main thread and costs per element, not just per
 * byte. Measured in Chromium 156 (structured-clone ports): 1,000 frame objects per message cost ~10–30 µs per
 * frame; the same frames as one metadata string plus one payload string cost ~1–2 µs per frame. So plain frames
 * (the hot path) travel as columns: one row of numbers per frame in `meta`, text payloads back to back in
 * `payloads`, binary payloads back to back as raw bytes in `binary` (no base64 on the page's thread). Every other event (connect, open, close, error, frame parts, frames with a note, rule or original
 * payload) is rare and travels as the wire object itself in `extra`.
 *
 * Packing runs in the relay; unpacking runs in the background and validates everything, since a batch is only as
 * trustworthy as the renderer that sent it.
 */
import type { Direction, FrameOrigin, FrameStatus, Opcode, PayloadEncoding, WireEvent, WireFrameEvent } from './protocol';
import { PACKED_EXTRA, PACKED_ROW_WIDTH, frameCodeOf } from './protocol';
import { bytesToBase64, toWellFormed, utf8ByteLength } from './wire';

export interface PackedBatch {
  /** Number of events. */
  count: number;
  /** JSON of PackedMeta. */
  meta: string;
  /** The text payloads of the column rows (opcode 1), back to back, in event order. */
  payloads: string;
  /**
   * The binary payloads of the column rows (opcode 2), back to back, in event order. From BLOB_MIN_BYTES on, a
   * Blob: creating one costs the page about a third of what cloning the bytes into the port message does.
   */
  binary: ArrayBuffer | Blob;
  /** Rare events, whole, referenced by PACKED_EXTRA rows. */
  extra: WireEvent[];
}

/** What `meta` holds. */
interface PackedMeta {
  /** Connection ids used in this batch; rows refer to them by index. */
  ids: string[];
  /** Time of the first row; rows hold `time - t0` (exact: both are nearby epoch milliseconds). */
  t0: number;
  /** PACKED_ROW_WIDTH numbers per event: frame code, connection index, seq, time - t0, payload length. */
  rows: number[];
}

const ROW_WIDTH = PACKED_ROW_WIDTH;
/** Below this a Blob's fixed cost (about a millisecond) outweighs what it saves. */
export const BLOB_MIN_BYTES = 1 << 16;
const EXTRA = PACKED_EXTRA;

const DIRECTIONS: readonly Direction[] = ['send', 'receive'];
const ENCODINGS: readonly PayloadEncoding[] = ['text', 'base64'];
const ORIGINS: readonly FrameOrigin[] = ['page', 'inspector', 'simulated'];
const STATUSES: readonly FrameStatus[] = ['sent', 'dropped', 'refused', 'blocked'];

export interface DecodedFrameCode {
  dir: Direction;
  opcode: Opcode;
  encoding: PayloadEncoding;
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
    encoding: ENCODINGS[(code >> 2) & 1],
    origin,
    status: STATUSES[(code >> 5) & 3],
  };
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
  private rows: number[] = [];
  private payloadParts: string[] = [];
  private bytes = new Uint8Array(0);
  private byteLength = 0;
  private extra: WireEvent[] = [];
  private t0: number | undefined;
  private events = 0;

  get count(): number {
    return this.events;
  }

  add(event: WireEvent): void {
    if (!isPlainFrame(event)) {
      this.rows.push(EXTRA, this.extra.length, 0, 0, 0);
      this.extra.push(event);
      this.events++;
      return;
    }
    this.addFrame(event.connectionId, frameCodeOf(event.dir, event.opcode, event.encoding, event.origin, event.status), event.seq, event.time, event.payload);
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

  private addRow(connectionId: string, code: number, seq: number, time: number, length: number): void {
    let index = this.idIndex.get(connectionId);
    if (index === undefined) {
      index = this.ids.length;
      this.ids.push(connectionId);
      this.idIndex.set(connectionId, index);
    }
    this.t0 ??= time;
    this.rows.push(code, index, seq, time - this.t0, length);
    this.events++;
  }

  /** The batch so far; the builder is empty afterwards. */
  seal(): PackedBatch {
    const meta: PackedMeta = { ids: this.ids, t0: this.t0 ?? 0, rows: this.rows };
    const batch: PackedBatch = {
      count: this.events,
      meta: JSON.stringify(meta),
      payloads: this.payloadParts.join(''),
      binary:
        this.byteLength >= BLOB_MIN_BYTES && typeof Blob === 'function'
          ? new Blob([this.bytes.subarray(0, this.byteLength)])
          : this.bytes.buffer.slice(0, this.byteLength),
      extra: this.extra,
    };
    this.bytes = new Uint8Array(0);
    this.byteLength = 0;
    this.ids = [];
    this.idIndex = new Map();
    this.rows = [];
    this.payloadParts = [];
    this.extra = [];
    this.t0 = undefined;
    this.events = 0;
    return batch;
  }
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

const isIndex = (n: unknown, length: number): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) < length;

/** The batch with its binary payloads as an ArrayBuffer (reads a Blob). */
export async function withBinaryBytes(packed: unknown): Promise<unknown> {
  if (typeof packed !== 'object' || packed === null) return packed;
  const binary = (packed as { binary?: unknown }).binary;
  if (typeof Blob === 'function' && binary instanceof Blob) return { ...packed, binary: await binary.arrayBuffer() };
  return packed;
}

/** The wire events of a packed batch, in order (its binary already bytes: see withBinaryBytes). Throws PackedBatchError on anything inconsistent. */
export function unpackBatch(packed: unknown): WireEvent[] {
  if (typeof packed !== 'object' || packed === null) throw new PackedBatchError('not an object');
  const { count, meta: metaText, payloads, binary, extra } = packed as Partial<PackedBatch>;
  if (!Number.isInteger(count) || (count as number) < 0) throw new PackedBatchError('bad count');
  if (typeof metaText !== 'string' || typeof payloads !== 'string' || Object.prototype.toString.call(binary) !== '[object ArrayBuffer]' || !Array.isArray(extra)) {
    throw new PackedBatchError('missing fields');
  }
  const bytes = new Uint8Array(binary as ArrayBuffer); // checked by tag: another realm's ArrayBuffer is fine
  let byteOffset = 0;
  let meta: PackedMeta;
  try {
    meta = JSON.parse(metaText) as PackedMeta;
  } catch {
    throw new PackedBatchError('metadata is not JSON');
  }
  const { ids, t0, rows } = meta ?? ({} as PackedMeta);
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string') || typeof t0 !== 'number' || !Array.isArray(rows)) {
    throw new PackedBatchError('bad metadata');
  }
  if (rows.length !== (count as number) * ROW_WIDTH) throw new PackedBatchError(`${rows.length} row numbers for ${count} events`);
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
    const [connection, seq, dt, length] = [rows[r + 1], rows[r + 2], rows[r + 3], rows[r + 4]];
    const decoded = decodeFrameCode(code);
    if (decoded === undefined) throw new PackedBatchError(`event ${r / ROW_WIDTH} has a bad code`);
    if (!isIndex(connection, ids.length) || !Number.isInteger(seq) || typeof dt !== 'number' || !Number.isInteger(length) || length < 0) {
      throw new PackedBatchError(`event ${r / ROW_WIDTH} has bad fields`);
    }
    const { encoding } = decoded;
    if ((encoding === 'text') !== (decoded.opcode === 1)) throw new PackedBatchError(`event ${r / ROW_WIDTH} has a bad code`);
    let payload: string;
    if (encoding === 'text') {
      if (offset + length > payloads.length) throw new PackedBatchError(`event ${r / ROW_WIDTH} runs past the payloads`);
      // Text as it went on the wire (send() takes a USVString): the relay leaves this to us, off the page's thread.
      payload = toWellFormed(payloads.slice(offset, offset + length));
      offset += length;
    } else {
      if (byteOffset + length > bytes.byteLength) throw new PackedBatchError(`event ${r / ROW_WIDTH} runs past the binary payloads`);
      payload = bytesToBase64(bytes.subarray(byteOffset, byteOffset + length));
      byteOffset += length;
    }
    events.push({
      k: 'frame',
      connectionId: ids[connection],
      seq,
      time: t0 + dt,
      dir: decoded.dir,
      opcode: decoded.opcode,
      encoding,
      payload,
      // Measured here, not sent: the background's time is not the page's.
      size: encoding === 'text' ? utf8ByteLength(payload) : length,
      origin: decoded.origin,
      status: decoded.status,
    });
  }
  if (offset !== payloads.length) throw new PackedBatchError(`${payloads.length - offset} payload characters left over`);
  if (byteOffset !== bytes.byteLength) throw new PackedBatchError(`${bytes.byteLength - byteOffset} binary payload bytes left over`);
  return events;
}
