/**
 * The chunk codec: how rows are kept in IndexedDB. No database here: it turns rows into chunk records and back.
 *
 * Rows (frames and open/close/error events) are kept in chunks: one record holds up to CHUNK_ROWS consecutive
 * rows of a session, by column (FrameChunk). Why: this Chromium's IndexedDB costs 100–400 µs per record whatever
 * it holds, and 2–6 µs per row when 100 rows share one (`node bench/idb-probe.mjs`); one record per frame made a
 * 100,000-frame burst take 15 s to store.
 *
 * The record shape is also written and read by hand inside the browser, where this module cannot be imported
 * (tests/support/seed-store.ts and read-store.ts, tests/e2e/fixtures.ts, bench/lib/panel.mjs and browser.mjs):
 * change them with it. bench/lib/panel.mjs reads CHUNK_ROWS from this file by regex.
 */
import type { BlobBytes, Direction, FrameOrigin, FrameStatus } from '../shared/protocol';
import type { FrameRecord, RowKind } from '../shared/records';

/** Rows per chunk at most: a read at position N looks back at most this far for the chunk that holds it. */
export const CHUNK_ROWS = 256;
/** A chunk is sealed once its payloads reach this, so reading a screenful never pulls much more than it shows. */
export const CHUNK_BYTES = 1 << 20;

/**
 * A row as a writer hands it to ChunkBuilder: its session and `pos` come from the chunk. A binary payload may
 * still be in the Blob it came in (BlobBytes): the chunk keeps it there (FrameChunk.bin).
 */
export type ChunkRow = Omit<FrameRecord, 'sessionId' | 'pos' | 'data'> & { cpos: number; data?: string | ArrayBuffer | BlobBytes };

/** Fields few rows have: a chunk keeps them per row only where present (FrameChunk.extra). */
const RARE_FIELDS = ['note', 'rule', 'original', 'code', 'reason', 'wasClean', 'protocol', 'extensions'] as const;
type RareFields = Partial<Pick<FrameRecord, (typeof RARE_FIELDS)[number]>>;

/**
 * Consecutive rows of one session, by column (see the module comment). Columns, not row objects: reading a record
 * back costs ~4 µs a row as typed arrays plus one array of payloads, and ~13–20 µs as 256 objects (the structured
 * clone builds every object property by property), which was most of the panel's filter scan.
 */
export interface FrameChunk {
  sessionId: string;
  /** `pos` of row 0; row i has pos + i. */
  pos: number;
  /** The connections with rows here, in order of first appearance; `conn` indexes it. */
  ids: string[];
  conn: Uint16Array;
  seq: Float64Array;
  cpos: Float64Array;
  time: Float64Array;
  size: Float64Array;
  /** kind | dir << 2 | opcode << 3 | origin << 4 | status << 6; bits 2–7 only for frames (see packFlags). */
  flags: Uint8Array;
  /** Payloads; null for open/close/error rows, and for the rows in `bin` until hydrateChunks has read it. */
  data: (string | ArrayBuffer | null)[];
  /**
   * Binary payloads that reached the background in a Blob, kept in one: the bytes of the rows listed in `binRows`,
   * back to back in that order, `size` bytes each. IndexedDB stores a Blob as a file of its own, and neither the
   * background nor the store's serializer copies its bytes: with binary traffic, reading every batch's Blob into
   * the worker and cloning it into the record cost the page a fifth of its speed (docs/benchmarks.md). Absent in
   * chunks without such rows. Readers never see it: every read goes through hydrateChunks.
   */
  bin?: Blob;
  binRows?: number[];
  /** [row index, its rare fields], for the rows that have any. */
  extra: [number, RareFields][];
  /** Per entry of `ids`: [sessionId, connectionId, cpos of its first row here]. */
  connPos: [string, string, number][];
  /** Per entry of `ids`: [sessionId, connectionId, seq of its first row here]. */
  connSeq: [string, string, number][];
}

const KINDS: readonly RowKind[] = ['frame', 'open', 'close', 'error'];
const DIRS: readonly Direction[] = ['send', 'receive'];
const ORIGIN_CODES: readonly FrameOrigin[] = ['page', 'inspector', 'simulated'];
const STATUS_CODES: readonly FrameStatus[] = ['sent', 'dropped', 'refused', 'blocked'];

function packFlags(row: ChunkRow): number {
  const kind = KINDS.indexOf(row.kind);
  if (row.kind !== 'frame') return kind;
  return kind | (row.dir === 'receive' ? 4 : 0) | (row.opcode === 2 ? 8 : 0) | (Math.max(0, ORIGIN_CODES.indexOf(row.origin ?? 'page')) << 4) | (Math.max(0, STATUS_CODES.indexOf(row.status ?? 'sent')) << 6);
}

/**
 * Groups rows, in session order, into chunks: at most CHUNK_ROWS rows, sealed early once their payloads reach
 * CHUNK_BYTES. Rows get `pos` from the builder; the caller gives each row's `cpos`.
 */
export class ChunkBuilder {
  private readonly sessionId: string;
  /** `pos` of the next row added. */
  nextPos: number;
  private rows: ChunkRow[] = [];
  private bytes = 0;

  constructor(sessionId: string, firstPos: number) {
    this.sessionId = sessionId;
    this.nextPos = firstPos;
  }

  /** Adds a row (its `cpos` set by the caller); returns a chunk when that filled it. */
  add(row: ChunkRow): FrameChunk | undefined {
    this.rows.push(row);
    this.nextPos++;
    this.bytes += chunkRowBytes(row);
    return this.rows.length >= CHUNK_ROWS || this.bytes >= CHUNK_BYTES ? this.seal() : undefined;
  }

  /** The rows added since the last chunk, as a chunk (undefined if none). */
  seal(): FrameChunk | undefined {
    if (this.rows.length === 0) return undefined;
    const chunk = packChunk(this.sessionId, this.nextPos - this.rows.length, this.rows);
    this.rows = [];
    this.bytes = 0;
    return chunk;
  }
}

/**
 * Payload bytes a row holds in a chunk (what seals a chunk, and bounds an import's write transaction). A frame
 * stored without its payload (a session past its cap, lib/store/payload-cap.ts) holds none, whatever its size:
 * counting its size would seal a chunk per large frame, one record each, the cost chunks exist to avoid.
 */
export function chunkRowBytes(row: ChunkRow): number {
  return (row.data === undefined ? 0 : row.size) + (row.original === undefined ? 0 : typeof row.original === 'string' ? row.original.length : row.original.byteLength);
}

/** Rows (consecutive in their session from `pos`) as one chunk record. */
export function packChunk(sessionId: string, pos: number, rows: readonly ChunkRow[]): FrameChunk {
  const n = rows.length;
  const chunk: FrameChunk = {
    sessionId, pos, ids: [], conn: new Uint16Array(n), seq: new Float64Array(n), cpos: new Float64Array(n), time: new Float64Array(n),
    size: new Float64Array(n), flags: new Uint8Array(n), data: new Array<string | ArrayBuffer | null>(n), extra: [], connPos: [], connSeq: [],
  };
  const index = new Map<string, number>();
  const inBlob: number[] = [];
  const blobParts: { blob: Blob; start: number; end: number }[] = [];
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    let c = index.get(row.connectionId);
    if (c === undefined) {
      c = chunk.ids.length;
      index.set(row.connectionId, c);
      chunk.ids.push(row.connectionId);
      chunk.connPos.push([sessionId, row.connectionId, row.cpos]);
      chunk.connSeq.push([sessionId, row.connectionId, row.seq]);
    }
    chunk.conn[i] = c;
    chunk.seq[i] = row.seq;
    chunk.cpos[i] = row.cpos;
    chunk.time[i] = row.time;
    chunk.size[i] = row.size;
    chunk.flags[i] = packFlags(row);
    const data = row.kind === 'frame' ? row.data : undefined;
    if (isBlobBytes(data)) {
      inBlob.push(i);
      const last = blobParts[blobParts.length - 1];
      // Consecutive frames of one batch are consecutive bytes of its Blob: one slice for all of them.
      if (last && last.blob === data.blob && last.end === data.start) last.end += data.size;
      else blobParts.push({ blob: data.blob, start: data.start, end: data.start + data.size });
      chunk.data[i] = null;
    } else chunk.data[i] = data ?? null;
    let rare: RareFields | undefined;
    for (const field of RARE_FIELDS) {
      if (row[field] === undefined) continue;
      rare ??= {};
      (rare as Record<string, unknown>)[field] = row[field];
    }
    if (rare) chunk.extra.push([i, rare]);
  }
  if (inBlob.length > 0) {
    const only = blobParts.length === 1 ? blobParts[0] : undefined;
    chunk.bin =
      only && only.start === 0 && only.end === only.blob.size ? only.blob : new Blob(blobParts.map((part) => part.blob.slice(part.start, part.end)));
    chunk.binRows = inBlob;
  }
  return chunk;
}

function isBlobBytes(data: unknown): data is BlobBytes {
  return typeof data === 'object' && data !== null && 'blob' in data;
}

/**
 * Reads each chunk's `bin` into the `data` of its rows (in place; returns the same array). Every read of chunks
 * for their rows goes through here. A Blob that cannot be read (its file gone) leaves those rows empty with a
 * note saying so, rather than failing the whole read.
 */
export async function hydrateChunks(chunks: FrameChunk[]): Promise<FrameChunk[]> {
  await Promise.all(
    chunks.map(async (chunk) => {
      const { bin, binRows } = chunk;
      if (!bin) return;
      delete chunk.bin;
      delete chunk.binRows;
      const rows = binRows ?? [];
      let bytes: ArrayBuffer | undefined;
      let problem: string | undefined;
      try {
        bytes = await bin.arrayBuffer();
        const expected = rows.reduce((sum, i) => sum + chunk.size[i], 0);
        if (bytes.byteLength !== expected) problem = `stored payload has ${bytes.byteLength} bytes, its frames ${expected}`;
      } catch (error) {
        problem = `stored payload could not be read: ${String(error)}`;
      }
      let at = 0;
      for (const i of rows) {
        const size = chunk.size[i];
        if (problem === undefined) chunk.data[i] = bytes!.slice(at, at + size);
        else {
          chunk.data[i] = new ArrayBuffer(0);
          const rare = chunk.extra.find(([row]) => row === i);
          if (rare) rare[1].note = rare[1].note === undefined ? problem : `${rare[1].note}; ${problem}`;
          else chunk.extra.push([i, { note: problem }]);
        }
        at += size;
      }
    }),
  );
  return chunks;
}

/** A row as a chunk keeps it: without its session and session position, with its connection position. */
export function toChunkRow(row: FrameRecord, cpos: number): ChunkRow {
  const { sessionId: _session, pos: _pos, ...rest } = row;
  return { ...rest, cpos };
}

/** A chunk's rows as readers see them. */
export function rowsOfChunk(chunk: FrameChunk): FrameRecord[] {
  const n = chunk.seq.length;
  const rows = new Array<FrameRecord>(n);
  for (let i = 0; i < n; i++) rows[i] = rowOfChunk(chunk, i);
  for (const [i, rare] of chunk.extra) Object.assign(rows[i], rare);
  return rows;
}

/**
 * Appends the chunk's rows of one connection with positions in [start, end) to `out`, building no others: a
 * chunk of many interleaved connections is read once per connection, and decoding all its rows each time
 * multiplied the work by their number.
 */
export function connectionRowsOfChunk(chunk: FrameChunk, connectionId: string, start: number, end: number, out: FrameRecord[]): void {
  const c = chunk.ids.indexOf(connectionId);
  if (c < 0) return;
  // Rare fields by row index, only when the chunk has any.
  const at = chunk.extra.length > 0 ? new Map<number, FrameRecord>() : undefined;
  for (let i = 0; i < chunk.seq.length; i++) {
    if (chunk.conn[i] !== c || chunk.cpos[i] < start || chunk.cpos[i] >= end) continue;
    const row = rowOfChunk(chunk, i);
    out.push(row);
    at?.set(i, row);
  }
  if (!at) return;
  for (const [i, rare] of chunk.extra) {
    const row = at.get(i);
    if (row) Object.assign(row, rare);
  }
}

function rowOfChunk(chunk: FrameChunk, i: number): FrameRecord {
  if (chunk.bin) throw new Error('a chunk read without hydrateChunks: its binary payloads are still in its Blob');
  const flags = chunk.flags[i];
  const kind = KINDS[flags & 3];
  const row: FrameRecord = {
    sessionId: chunk.sessionId, connectionId: chunk.ids[chunk.conn[i]], seq: chunk.seq[i], time: chunk.time[i], kind, size: chunk.size[i],
    pos: chunk.pos + i, cpos: chunk.cpos[i],
  };
  if (kind === 'frame') {
    row.dir = DIRS[(flags >> 2) & 1];
    row.opcode = flags & 8 ? 2 : 1;
    row.data = chunk.data[i] ?? undefined;
    row.origin = ORIGIN_CODES[(flags >> 4) & 3];
    row.status = STATUS_CODES[flags >> 6];
  }
  return row;
}

