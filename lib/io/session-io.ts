/**
 * Sessions in and out of the store.
 *
 * Export streams: rows are read by connection position, a page at a time, and each page becomes one string
 * (planExport's `chunks`). Those strings become either a Blob (exportSession) or the body of a streamed download
 * (lib/io/export-stream.ts). Between pages the loop yields to the event loop, so a million rows never freeze the page
 * it runs in (the panel runs it in a worker anyway, see lib/io/session-io-worker.ts).
 *
 * Import never damages what is stored: the file is validated completely first (lib/formats), then written under a
 * new session id — connections first, then the rows (all connections merged by time, see mergeByTime) as store
 * chunks, a bounded number per transaction, the session record last, so nothing shows in the panel until
 * everything is in — and if any write fails, everything under that new id is deleted.
 */
import { CHUNK_BYTES, CHUNK_ROWS, ChunkBuilder, chunkRowBytes, connectionRowChunks, connectionSpan, deleteSession, listConnections, readConnectionsTogether, sessionChunkKeys, type ConnectionSpan, type ChunkRow, type FrameChunk, type InspectorDatabase } from '../store/frame-store';
import type { ConnectionRecord, FrameRecord, SessionRecord } from '../shared/records';
import { FormatError } from './formats/errors';
import { readSessionText } from './formats/detect';
import { HAR_EXTENSION, HarWriter } from './formats/har';
import { connectionFields, type PortableConnection, type PortableRow, type PortableSession } from './formats/model';
import { WSI_EXTENSION, WsiWriter, type ExportScopeKind } from './formats/wsi-json';
import { base64ToBytes, toArrayBuffer } from '../shared/wire';
import { randomId } from '../shared/random-id';

export const EXPORTER = { name: 'WebSocket Inspector', version: '0.1.0' };

export type ExportFormat = 'wsi' | 'har';

/** A row's key in the store, as the panel knows it. */
export interface RowKey {
  connectionId: string;
  seq: number;
}

export type ExportScope =
  | { kind: 'session'; sessionId: string }
  | { kind: 'connection'; sessionId: string; connectionId: string }
  /** A selection or a filtered view given as the keys of its rows (this crosses to a worker). */
  | { kind: 'selection' | 'filtered'; sessionId: string; keys: RowKey[] }
  /** A filtered view given as a predicate (main thread only: functions do not cross to a worker). */
  | { kind: 'filtered'; sessionId: string; connectionIds?: string[]; predicate: (row: FrameRecord) => boolean };

export interface ExportOptions {
  /** Rows read per IndexedDB request (one part of the Blob). */
  chunkRows?: number;
  onProgress?: (rowsDone: number) => void;
  signal?: AbortSignal;
  /** Fixed export time, for reproducible files in tests. */
  now?: Date;
  /**
   * Memory, in estimated bytes, that connections read together may hold (see groupConnectionReads); 0 reads
   * every connection on its own. Default SHARED_READ_BUDGET.
   */
  sharedReadBudget?: number;
}

/** Default ExportOptions.sharedReadBudget: the rows of connections read in one pass are held until written. */
export const SHARED_READ_BUDGET = 64 * 1024 * 1024;

/** A connection to export, with where its rows lie and about what they take in memory. */
export interface ConnectionReadCost extends ConnectionSpan {
  id: string;
  memory: number;
}

/** Connections read in one pass over the chunks with keys in [firstChunk, lastChunk]. */
export interface ReadRun {
  members: ConnectionReadCost[];
  firstChunk: number;
  lastChunk: number;
}

/**
 * Splits connections (in file order) into runs read in one pass over the chunks their rows span, instead of
 * one read of each connection by its index. Chunks hold the rows of every connection active at the time, so
 * a busy stream with a few heartbeat sockets beside it was read once per socket. A connection joins the run
 * before it when that reads fewer chunks than reading it on its own, and the run's rows fit in `budget` bytes.
 * `chunksBetween(first, last)` counts the session's chunks with keys in that range.
 */
export function groupConnectionReads(
  costs: readonly ConnectionReadCost[],
  chunksBetween: (first: number, last: number) => number,
  budget: number,
): ReadRun[] {
  const runs: ReadRun[] = [];
  let run: ReadRun | undefined;
  let memory = 0;
  for (const c of costs) {
    if (run && c.chunks > 0 && run.members[0].chunks > 0) {
      const first = Math.min(run.firstChunk, c.firstChunk);
      const last = Math.max(run.lastChunk, c.lastChunk);
      const alone = run.members.length === 1 ? run.members[0].chunks : chunksBetween(run.firstChunk, run.lastChunk);
      if (memory + c.memory <= budget && chunksBetween(first, last) < alone + c.chunks) {
        run.members.push(c);
        run.firstChunk = first;
        run.lastChunk = last;
        memory += c.memory;
        continue;
      }
    }
    run = { members: [c], firstChunk: c.firstChunk, lastChunk: c.lastChunk };
    runs.push(run);
    memory = c.memory;
  }
  return runs;
}

/** About what a connection's rows take as row objects in memory: payload strings plus each row's fields. */
function rowsMemory(connection: ConnectionRecord): number {
  return 2 * (connection.sentBytes + connection.receivedBytes) + 300 * connection.rowCount;
}

/** The number of keys in sorted `keys` within [first, last]. */
function keysBetween(keys: readonly number[], first: number, last: number): number {
  const lowerBound = (value: number) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return lowerBound(last + 1) - lowerBound(first);
}

export interface ExportResult {
  blob: Blob;
  fileName: string;
  rows: number;
  connections: number;
}

interface StreamWriter {
  start(session: SessionRecord): string;
  connectionStart(connection: ConnectionRecord): string;
  row(row: FrameRecord): string;
  connectionEnd(): string;
  end(): string;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function safeFileStem(text: string): string {
  let host = '';
  try {
    host = new URL(text).host;
  } catch {
    host = text;
  }
  return (host || 'session').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
}

/** What an export yields when it ends. */
export interface ExportTotals {
  rows: number;
  connections: number;
}

/** An export resolved against the store, ready to produce its text. */
export interface ExportPlan {
  fileName: string;
  /** The file's media type (both formats are JSON). */
  mimeType: string;
  /**
   * The file's text, one string per chunk of rows (plus the head and the tail); their concatenation is the file.
   * Rows are read while it is iterated, so nothing but the current chunk is held in memory.
   */
  chunks: AsyncGenerator<string, ExportTotals, undefined>;
}

/**
 * Resolves what to export (the session, its connections, which rows) and names the file; the rows are read and
 * encoded only as `chunks` is iterated. Both the Blob export below and the streamed download
 * (lib/io/export-stream.ts) are this, so both produce the same bytes. A missing session or connection throws here,
 * before anything is produced.
 */
export async function planExport(db: InspectorDatabase, scope: ExportScope, format: ExportFormat, options: ExportOptions = {}): Promise<ExportPlan> {
  const chunkRows = options.chunkRows ?? 5000;
  const now = options.now ?? new Date();
  const session = await db.get('sessions', scope.sessionId);
  if (!session) throw new Error(`session ${scope.sessionId} is not in the store (deleted?)`);
  let connections = await listConnections(db, scope.sessionId);

  // Which rows of which connection: everything, a key set, or a predicate.
  let keysByConnection: Map<string, Set<number>> | undefined;
  let predicate: ((row: FrameRecord) => boolean) | undefined;
  const scopeKind: ExportScopeKind = scope.kind;
  if (scope.kind === 'connection') {
    connections = connections.filter((c) => c.id === scope.connectionId);
    if (connections.length === 0) throw new Error(`connection ${scope.connectionId} is not in session ${scope.sessionId}`);
  } else if ('keys' in scope) {
    keysByConnection = new Map();
    for (const key of scope.keys) {
      let set = keysByConnection.get(key.connectionId);
      if (!set) keysByConnection.set(key.connectionId, (set = new Set()));
      set.add(key.seq);
    }
    connections = connections.filter((c) => keysByConnection!.has(c.id));
  } else if ('predicate' in scope) {
    predicate = scope.predicate;
    if (scope.connectionIds) {
      const wanted = new Set(scope.connectionIds);
      connections = connections.filter((c) => wanted.has(c.id));
    }
  }

  const writer: StreamWriter =
    format === 'wsi'
      ? new WsiWriter({ scope: scopeKind, exportedAt: now.toISOString(), exporter: `${EXPORTER.name} ${EXPORTER.version}` })
      : new HarWriter(EXPORTER);
  const partial = scope.kind === 'selection' || scope.kind === 'filtered';

  // Runs of connections read in one pass (whole connections only: a selection reads just its own seq range).
  const budget = keysByConnection ? 0 : (options.sharedReadBudget ?? SHARED_READ_BUDGET);
  // Without spans (nothing to share) every connection has 0 chunks, so each is a run of its own.
  const shareReads = budget > 0 && connections.length > 1;
  const spans = shareReads ? await Promise.all(connections.map((c) => connectionSpan(db, scope.sessionId, c.id))) : [];
  const costs = connections.map((c, i): ConnectionReadCost => ({ id: c.id, memory: rowsMemory(c), ...(spans[i] ?? { chunks: 0, firstChunk: 0, lastChunk: 0 }) }));
  const keys = shareReads ? await sessionChunkKeys(db, scope.sessionId) : [];
  const runs = groupConnectionReads(costs, (first, last) => keysBetween(keys, first, last), budget);
  const byId = new Map(connections.map((c) => [c.id, c]));

  /** A run's rows, read together, per connection: yielded a page at a time like connectionRowChunks'. */
  async function* sharedRows(rows: FrameRecord[]): AsyncGenerator<FrameRecord[]> {
    for (let i = 0; i < rows.length; i += chunkRows) yield rows.slice(i, i + chunkRows);
  }

  async function* chunks(): AsyncGenerator<string, ExportTotals, undefined> {
    let rowsDone = 0;
    let connectionsWritten = 0;
    yield writer.start(session!);
    for (const run of runs) {
      const shared =
        run.members.length > 1
          ? await readConnectionsTogether(db, scope.sessionId, run.members.map((c) => c.id), run.firstChunk, run.lastChunk, { signal: options.signal })
          : undefined;
      for (const { id } of run.members) {
        const connection = byId.get(id)!;
        let started = false;
        const begin = () => {
          if (started) return '';
          started = true;
          connectionsWritten++;
          return writer.connectionStart(connection);
        };
        // A whole connection appears even without rows; a selection only lists connections it has rows from.
        if (!partial) yield begin();
        const keys = keysByConnection?.get(connection.id);
        let fromSeq = -Infinity;
        let toSeq = Infinity;
        if (keys) {
          fromSeq = Infinity;
          toSeq = -Infinity;
          for (const seq of keys) {
            if (seq < fromSeq) fromSeq = seq;
            if (seq > toSeq) toSeq = seq;
          }
        }
        const pages = shared ? sharedRows(shared.get(connection.id) ?? []) : connectionRowChunks(db, scope.sessionId, connection.id, chunkRows, fromSeq, toSeq);
        for await (const rows of pages) {
          if (options.signal?.aborted) throw options.signal.reason ?? new Error('export cancelled');
          let text = '';
          for (const row of rows) {
            if (keys && !keys.has(row.seq)) continue;
            if (predicate && !predicate(row)) continue;
            text += begin();
            text += writer.row(row);
            rowsDone++;
          }
          yield text;
          options.onProgress?.(rowsDone);
          await yieldToEventLoop();
        }
        if (started) yield writer.connectionEnd();
        shared?.delete(connection.id); // written: its rows may go
      }
    }
    yield writer.end();
    return { rows: rowsDone, connections: connectionsWritten };
  }

  const extension = format === 'wsi' ? WSI_EXTENSION : HAR_EXTENSION;
  const what = scope.kind === 'session' ? '' : `-${scope.kind}`;
  const fileName = `${safeFileStem(session.pageUrl || session.title)}-${stamp(new Date(session.startedAt))}${what}${extension}`;
  return { fileName, mimeType: 'application/json', chunks: chunks() };
}

/** Writes the chosen part of a session as a `.wsi.json` or HAR Blob. */
export async function exportSession(db: InspectorDatabase, scope: ExportScope, format: ExportFormat, options: ExportOptions = {}): Promise<ExportResult> {
  const plan = await planExport(db, scope, format, options);
  const parts: string[] = [];
  for (;;) {
    const next = await plan.chunks.next();
    if (next.done) return { blob: new Blob(parts, { type: plan.mimeType }), fileName: plan.fileName, ...next.value };
    parts.push(next.value);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Import

/** Files larger than this are refused before reading: a JavaScript string cannot hold much more. */
export const MAX_IMPORT_BYTES = 256 * 1024 * 1024;
/** Payload bytes per import write transaction, about (see writeImportedSession). */
const MAX_IMPORT_TX_BYTES = CHUNK_BYTES * 8;

export interface ImportOptions {
  /** Rows per write transaction at most (default CHUNK_ROWS × 8; fewer when payloads are large). */
  chunkRows?: number;
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
  /** New ids; randomId by default. */
  newId?: () => string;
  now?: () => number;
}

export interface ImportResult {
  sessionId: string;
  connectionIds: string[];
  rows: number;
  format: PortableSession['format'];
  warnings: string[];
}

/** An import that failed: what went wrong and where, for the user. */
export class ImportError extends Error {
  constructor(
    readonly fileName: string,
    message: string,
  ) {
    super(`${fileName}: ${message}`);
    this.name = 'ImportError';
  }
}

function portableToChunkRow(row: PortableRow, connectionId: string, cpos: number): ChunkRow {
  const record: ChunkRow = { connectionId, seq: row.seq, time: row.time, kind: row.kind, size: 0, cpos };
  switch (row.kind) {
    case 'frame':
      record.dir = row.dir;
      record.opcode = row.opcode;
      record.data = row.encoding === 'base64' ? toArrayBuffer(base64ToBytes(row.data ?? '')) : (row.data ?? '');
      record.size = row.size ?? 0;
      record.origin = row.origin ?? 'page';
      record.status = row.status ?? 'sent';
      if (row.note !== undefined) record.note = row.note;
      if (row.rule !== undefined) record.rule = row.rule;
      if (row.original !== undefined) record.original = row.originalEncoding === 'base64' ? toArrayBuffer(base64ToBytes(row.original)) : row.original;
      break;
    case 'open':
      record.protocol = row.protocol ?? '';
      record.extensions = row.extensions ?? '';
      break;
    case 'close':
      record.code = row.code;
      record.reason = row.reason ?? '';
      record.wasClean = row.wasClean ?? false;
      break;
    case 'error':
      break;
  }
  return record;
}

/**
 * The session order of imported rows, as [connection index, row index] pairs: all connections' rows merged by
 * time, ties going to the earlier connection in the file. Each connection's rows keep their own (seq) order even
 * where a file's clock goes backwards, because the store needs a connection's positions in session order to be
 * in seq order too (lib/store/frame-store.ts). A binary heap of connections keyed on their next row: O(rows · log
 * connections).
 */
export function* mergeByTime(connections: readonly { rows: readonly { time: number }[] }[]): Generator<[number, number]> {
  const next = connections.map(() => 0);
  const heap: number[] = [];
  const before = (a: number, b: number): boolean => {
    const ta = connections[a].rows[next[a]].time;
    const tb = connections[b].rows[next[b]].time;
    return ta < tb || (ta === tb && a < b);
  };
  const siftDown = (at: number): void => {
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) return;
      const child = left + 1 < heap.length && before(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!before(heap[child], heap[at])) return;
      [heap[at], heap[child]] = [heap[child], heap[at]];
      at = child;
    }
  };
  for (let ci = 0; ci < connections.length; ci++) {
    if (connections[ci].rows.length === 0) continue;
    heap.push(ci);
    for (let at = heap.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (!before(heap[at], heap[parent])) break;
      [heap[at], heap[parent]] = [heap[parent], heap[at]];
      at = parent;
    }
  }
  while (heap.length > 0) {
    const ci = heap[0];
    yield [ci, next[ci]++];
    if (next[ci] === connections[ci].rows.length) {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    siftDown(0);
  }
}

function toConnectionRecord(c: PortableConnection, id: string, sessionId: string): ConnectionRecord {
  const record: ConnectionRecord = {
    id,
    sessionId,
    ...connectionFields(c),
    sentCount: 0,
    receivedCount: 0,
    sentBytes: 0,
    receivedBytes: 0,
    lastSeq: 0,
    rowCount: c.rows.length,
  };
  // Counted as frame-store's writeEvents counts: only frames that went through.
  for (const row of c.rows) {
    record.lastSeq = Math.max(record.lastSeq, row.seq);
    if (row.kind !== 'frame' || (row.status ?? 'sent') !== 'sent') continue;
    if (row.dir === 'send') {
      record.sentCount++;
      record.sentBytes += row.size ?? 0;
    } else {
      record.receivedCount++;
      record.receivedBytes += row.size ?? 0;
    }
  }
  return record;
}

/**
 * Writes a validated session into the store under fresh ids (importing the same file twice gives two sessions).
 * On failure everything written under the new session id is removed, and the error is rethrown.
 */
export async function writeImportedSession(db: InspectorDatabase, portable: PortableSession, fileName: string, options: ImportOptions = {}): Promise<ImportResult> {
  const chunkRows = options.chunkRows ?? CHUNK_ROWS * 8;
  const newId = options.newId ?? (() => randomId());
  // The store finds a row by seq within its connection: seqs must be strictly increasing (the readers ensure it,
  // this checks whoever else built `portable`), before anything is written.
  portable.connections.forEach((c, ci) => {
    for (let i = 1; i < c.rows.length; i++) {
      if (!(c.rows[i].seq > c.rows[i - 1].seq)) {
        throw new ImportError(fileName, `connection ${ci} row ${i}: seq ${c.rows[i].seq} is not greater than the previous row's seq ${c.rows[i - 1].seq}`);
      }
    }
  });
  const sessionId = newId();
  const total = portable.connections.reduce((sum, c) => sum + c.rows.length, 0);
  const connectionRecords = portable.connections.map((c) => toConnectionRecord(c, newId(), sessionId));
  try {
    const tx = db.transaction('connections', 'readwrite');
    await Promise.all([...connectionRecords.map((record) => tx.store.put(record)), tx.done]);

    // Rows in session order, grouped into chunks; a write transaction holds whole chunks and at most `chunkRows`
    // rows or MAX_IMPORT_TX_BYTES payload bytes (a few rows past them), so no transaction grows without bound.
    const builder = new ChunkBuilder(sessionId, 0);
    const nextCpos = portable.connections.map(() => 0);
    let pending: FrameChunk[] = [];
    let txRows = 0;
    let txBytes = 0;
    const flush = async (): Promise<void> => {
      const last = builder.seal();
      if (last) pending.push(last);
      if (pending.length === 0) return;
      const chunks = db.transaction('chunks', 'readwrite');
      await Promise.all([...pending.map((chunk) => chunks.store.put(chunk)), chunks.done]);
      pending = [];
      txRows = 0;
      txBytes = 0;
      options.onProgress?.(builder.nextPos, total);
    };
    for (const [ci, i] of mergeByTime(portable.connections)) {
      const row = portableToChunkRow(portable.connections[ci].rows[i], connectionRecords[ci].id, nextCpos[ci]++);
      const sealed = builder.add(row);
      if (sealed) pending.push(sealed);
      txRows++;
      txBytes += chunkRowBytes(row);
      if (txRows >= chunkRows || txBytes >= MAX_IMPORT_TX_BYTES) await flush();
    }
    await flush();

    // Same counting as captured sessions (frame-store writeEvents): every frame row, refused or not.
    let frameCount = 0;
    let bytes = 0;
    let lastActivity = portable.startedAt;
    for (const c of portable.connections) {
      for (const row of c.rows) {
        if (row.kind === 'frame') {
          frameCount++;
          bytes += row.size ?? 0;
        }
        if (row.time > lastActivity) lastActivity = row.time;
      }
    }
    const session: SessionRecord = {
      id: sessionId,
      tabId: null,
      pageUrl: portable.pageUrl,
      title: portable.title,
      startedAt: portable.startedAt,
      lastActivity,
      source: 'imported',
      importedFrom: fileName,
      connectionCount: connectionRecords.length,
      frameCount,
      bytes,
      rowCount: builder.nextPos,
    };
    await db.put('sessions', session);
  } catch (error) {
    try {
      await deleteSession(db, sessionId);
    } catch {
      // The original failure is what the user needs to see; a failed clean-up leaves only unlisted rows.
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImportError(fileName, `could not store the import (${reason}); nothing was kept`);
  }
  return { sessionId, connectionIds: connectionRecords.map((c) => c.id), rows: total, format: portable.format, warnings: portable.warnings };
}

/** A file as import sees it: a name, a size and its text (a File satisfies this). */
export interface ImportSource {
  name: string;
  size: number;
  text(): Promise<string>;
}

/** Reads, validates and stores one file. Every failure is an ImportError naming the file, the problem and where. */
export async function importFile(db: InspectorDatabase, file: ImportSource, options: ImportOptions & { maxBytes?: number } = {}): Promise<ImportResult> {
  const maxBytes = options.maxBytes ?? MAX_IMPORT_BYTES;
  if (file.size > maxBytes) {
    throw new ImportError(file.name, `the file is ${formatMegabytes(file.size)}; the largest file Import reads is ${formatMegabytes(maxBytes)}`);
  }
  let portable: PortableSession;
  try {
    portable = readSessionText(await file.text());
  } catch (error) {
    if (error instanceof FormatError) throw new ImportError(file.name, error.message);
    const reason = error instanceof Error ? error.message : String(error);
    throw new ImportError(file.name, `could not read the file (${reason})`);
  }
  return writeImportedSession(db, portable, file.name, options);
}

export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}
