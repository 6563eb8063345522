/**
 * Paging queries for the panel: any window of rows of a session (one connection, or all of them in session
 * order), with or without a filter, read straight from IndexedDB without ever holding the whole session in memory.
 *
 * Every stored row has a dense position in its session (`pos`) and in its connection (`cpos`), given by its
 * writer (lib/store/write.ts; imports: lib/io/session-io.ts), and the session and connection records keep the row
 * count. So:
 * - FrameSequence (no filter): row N of the view is the row at position N: one request for any window, the total
 *   is a field of one record, and a row's position is a field of the row. Nothing is counted and nothing walked.
 * - FilteredFrames (a filter): matching needs the values, so the view is read forward in slices sized by the
 *   bytes they hold, and the positions of matching rows are kept in a typed array (8 bytes per match); a window of
 *   matches is read by position. The first slice is small so the first screen of results comes quickly; the
 *   caller keeps scanning between frames and picks up rows stored later from where the scan stopped.
 *
 * Transactions are short (one request each): a long read-only transaction would hold back the background's writes.
 */
import type { FrameRecord, SessionRecord } from '../shared/records';
import type { RowMatcher } from '../shared/filters';
import { CHUNK_ROWS, hydrateChunks, rowsOfChunk } from './chunk-codec';
import { readConnectionRows, readSessionRows } from './read';
import type { InspectorDatabase } from './schema';

/** A filter scan reads about this many payload bytes per slice. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
const FIRST_SCAN_CHUNK = 256;
const MAX_SCAN_CHUNK = 8192;
/**
 * Matching rows the scan keeps (the first ones, and the newest, which a view following new rows shows), so those
 * screens need no second read: re-reading a screen of sparse matches reads every chunk they span (~150 ms for 91
 * rows at 1 match in 100). Rows over KEEP_ROW_BYTES are read again: at most ~8 MiB kept.
 */
const KEEP_FIRST = 1024;
const KEEP_LATEST = 1024;
const KEEP_ROW_BYTES = 4096;
/** Until this many rows matched, each slice is sized to find the rest at the density seen so far. */
const FIRST_SCREEN_MATCHES = 100;

export interface ViewScope {
  sessionId: string;
  /** null: every connection of the session, in session order. */
  connectionId: string | null;
}

/** A row as a view finds it again: its identity and both of its positions. */
export interface RowRef {
  connectionId: string;
  seq: number;
  /** Position in the session. */
  pos: number;
  /** Position in the connection. */
  cpos: number;
}

/** The ref of a row read from the store (which sets both positions). */
export function refOf(row: Pick<FrameRecord, 'connectionId' | 'seq' | 'pos' | 'cpos'>): RowRef {
  return { connectionId: row.connectionId, seq: row.seq, pos: row.pos ?? -1, cpos: row.cpos ?? -1 };
}

const yieldToUi = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

abstract class ScopedRange {
  protected readonly db: InspectorDatabase;
  readonly scope: ViewScope;

  constructor(db: InspectorDatabase, scope: ViewScope) {
    this.db = db;
    this.scope = scope;
  }

  /** Rows at view positions [start, start + count). */
  protected read(start: number, count: number): Promise<FrameRecord[]> {
    const { sessionId, connectionId } = this.scope;
    return connectionId === null ? readSessionRows(this.db, sessionId, start, count) : readConnectionRows(this.db, sessionId, connectionId, start, count);
  }

  /** A row's position in this view, or -1 when it is not in it. */
  protected positionIn(ref: RowRef): number {
    if (this.scope.connectionId === null) return ref.pos;
    return ref.connectionId === this.scope.connectionId ? ref.cpos : -1;
  }
}

/** The unfiltered rows of a view, by position. See the module comment. */
export class FrameSequence extends ScopedRange {
  total = 0;

  /** Re-reads the row count. Returns true when it changed. */
  async refresh(): Promise<boolean> {
    const before = this.total;
    const record = this.scope.connectionId !== null ? await this.db.get('connections', this.scope.connectionId) : await this.db.get('sessions', this.scope.sessionId);
    const count = record?.rowCount;
    this.total = typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 0;
    return this.total !== before;
  }

  /** Rows [start, start + count) of the view (fewer at the end). */
  async rows(start: number, count: number): Promise<FrameRecord[]> {
    start = Math.max(0, Math.floor(start));
    const n = Math.min(count, this.total - start);
    return n > 0 ? this.read(start, n) : [];
  }

  /** Position of a row in the view (for jumping to a search hit or keeping a selection), or -1. */
  positionOf(ref: RowRef): number {
    const position = this.positionIn(ref);
    return position >= 0 && position < this.total ? position : -1;
  }
}

/** The rows of a view that pass a filter, found by scanning. See the module comment. */
export class FilteredFrames extends ScopedRange {
  private readonly matcher: RowMatcher;
  /** Rows that match, found so far. */
  count = 0;
  /** Rows looked at so far (the view position the next scan starts at). */
  scanned = 0;
  /** The last scan reached the end of what is stored (more may be stored later). */
  atEnd = false;
  /** View positions of the matches, ascending. */
  private matches = new Float64Array(1024);
  /** Rows of matches, by match index (see KEEP_FIRST). */
  private readonly kept = new Map<number, FrameRecord>();
  private nextChunk = FIRST_SCAN_CHUNK;

  constructor(db: InspectorDatabase, scope: ViewScope, matcher: RowMatcher) {
    super(db, scope);
    this.matcher = matcher;
  }

  /** Scans one slice past where the last one stopped. Returns the number of new matches. */
  async scanChunk(): Promise<number> {
    const limit = this.nextChunk;
    const rows = await this.read(this.scanned, limit);
    const before = this.count;
    let bytes = 0;
    for (const row of rows) {
      bytes += row.size;
      if (this.matcher(row)) this.push(this.positionIn(refOf(row)), row);
    }
    this.scanned += rows.length;
    this.atEnd = rows.length < limit;
    const average = rows.length > 0 ? Math.max(64, bytes / rows.length) : 64;
    const cap = Math.min(MAX_SCAN_CHUNK, Math.floor(SCAN_CHUNK_BYTES / average));
    let next = Math.min(cap, limit * 4);
    if (this.count < FIRST_SCREEN_MATCHES && this.scanned > 0) {
      // Sparse matches: growing 4× a slice took three slices (and three screen updates) to fill a first screen.
      const density = Math.max(this.count, 1) / this.scanned;
      next = Math.max(next, Math.min(cap, Math.ceil((FIRST_SCREEN_MATCHES - this.count) / density)));
    }
    this.nextChunk = Math.max(16, next);
    return this.count - before;
  }

  private push(position: number, row: FrameRecord): void {
    if (this.count === this.matches.length) {
      const grown = new Float64Array(this.matches.length * 2);
      grown.set(this.matches);
      this.matches = grown;
    }
    const index = this.count++;
    this.matches[index] = position;
    if (row.size <= KEEP_ROW_BYTES) this.kept.set(index, row);
    if (index - KEEP_LATEST >= KEEP_FIRST) this.kept.delete(index - KEEP_LATEST);
  }

  /** Matching rows [start, start + count): kept ones as they are, runs of nearby others read together. */
  async rows(start: number, count: number): Promise<FrameRecord[]> {
    start = Math.max(0, Math.floor(start));
    const end = Math.min(this.count, start + count);
    if (start >= end) return [];
    const runs: Array<[number, number]> = [];
    const wanted = new Set<number>();
    for (let i = start; i < end; i++) {
      if (this.kept.has(i)) continue;
      const p = this.matches[i];
      wanted.add(p);
      const run = runs[runs.length - 1];
      if (run && p - run[0] < 2 * CHUNK_ROWS) run[1] = p;
      else runs.push([p, p]);
    }
    const read = new Map<number, FrameRecord>();
    if (runs.length > 0) {
      const batches = await Promise.all(runs.map(([first, last]) => this.read(first, last - first + 1)));
      for (const row of batches.flat()) {
        const position = this.positionIn(refOf(row));
        if (wanted.has(position)) read.set(position, row);
      }
    }
    const rows: FrameRecord[] = [];
    for (let i = start; i < end; i++) {
      const row = this.kept.get(i) ?? read.get(this.matches[i]);
      if (row) rows.push(row);
    }
    return rows;
  }

  /** Position of a matching row among the matches, or -1. */
  positionOf(ref: RowRef): number {
    const position = this.positionIn(ref);
    if (position < 0) return -1;
    let low = 0;
    let high = this.count - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const p = this.matches[mid];
      if (p === position) return mid;
      if (p < position) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}

export interface SearchHit {
  session: SessionRecord;
  /** The matching frame, when the hit is in a payload (otherwise the session's URL or title matched). */
  row?: FrameRecord;
}

/**
 * Text search over every stored session: session URLs and titles, connection URLs, then payloads, scanning the
 * stored chunks in key order a few at a time. Stops after `limit` hits or when `signal` aborts.
 */
export async function searchAllSessions(
  db: InspectorDatabase,
  matcher: RowMatcher,
  text: string,
  options: { limit?: number; signal?: AbortSignal; onProgress?: (hits: SearchHit[], scanned: number) => void } = {},
): Promise<SearchHit[]> {
  const limit = options.limit ?? 200;
  const needle = text.toLowerCase();
  const sessions = new Map((await db.getAll('sessions')).map((s) => [s.id, s]));
  const hits: SearchHit[] = [];
  const connections = await db.getAll('connections');
  const urlHit = new Set<string>();
  for (const session of sessions.values()) {
    if (session.pageUrl.toLowerCase().includes(needle) || session.title.toLowerCase().includes(needle)) urlHit.add(session.id);
  }
  for (const c of connections) if (c.url.toLowerCase().includes(needle)) urlHit.add(c.sessionId);
  for (const id of urlHit) {
    const session = sessions.get(id);
    if (session) hits.push({ session });
  }
  let after: [string, number] | undefined;
  let scanned = 0;
  while (hits.length < limit && !options.signal?.aborted) {
    const range = after ? IDBKeyRange.lowerBound(after, true) : undefined;
    const chunks = await hydrateChunks(await db.getAll('chunks', range, 4));
    if (chunks.length === 0) break;
    const rows = chunks.flatMap(rowsOfChunk);
    for (const row of rows) {
      if (hits.length >= limit) break;
      if (matcher(row)) {
        const session = sessions.get(row.sessionId);
        if (session) hits.push({ session, row });
      }
    }
    scanned += rows.length;
    const tail = chunks[chunks.length - 1];
    after = [tail.sessionId, tail.pos];
    options.onProgress?.(hits, scanned);
    await yieldToUi();
  }
  return hits;
}
