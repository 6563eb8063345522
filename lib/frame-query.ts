/**
 * Paging queries for the panel: any window of rows of a session (one connection, or all of them by time), with
 * or without a filter, read straight from IndexedDB without ever holding the whole session in memory.
 *
 * Two kinds of view:
 * - FrameSequence (no filter). Rows are key ranges: one connection is the primary key range [s, c, *] in seq
 *   order, all connections the bySessionTime index range [s, *]. When a connection's seqs are dense (the usual
 *   case), row N is the key seq = first + N: one getAll. Otherwise a key cursor records a checkpoint every
 *   CHECKPOINT_EVERY rows in short slices (advance() runs inside the database, no values are read), and row N is
 *   found by opening a cursor at the checkpoint below it and advancing the rest. Until checkpoints cover N, the
 *   read starts from whichever end is nearer (the tail, where live views sit, is read with a reverse cursor).
 *   New rows are counted incrementally past the last known row, so a refresh costs one small count.
 * - FilteredFrames (a filter). Matching needs the values, so the range is scanned forward in chunks sized by the
 *   bytes they hold; the keys of matching rows are kept in typed arrays (a few bytes per match) and a window is
 *   read by primary key. The first chunk is small so the first screen of results comes quickly; the caller
 *   keeps scanning between frames and picks up rows stored later from where the scan stopped.
 *
 * Transactions are short (one request or one slice): a long read-only transaction would hold back the
 * background's writes.
 */
import type { FrameRecord, InspectorDatabase, SessionRecord } from './frame-store';
import type { RowMatcher } from './filters';

export const CHECKPOINT_EVERY = 1024;
/** Below this many rows a refresh recounts everything (cheap), which also notices rows stored out of order. */
const FULL_RECOUNT_BELOW = 100_000;
/** A filter scan reads about this many payload bytes per chunk. */
const SCAN_CHUNK_BYTES = 4 * 1024 * 1024;
const FIRST_SCAN_CHUNK = 256;
const MAX_SCAN_CHUNK = 8192;

export interface ViewScope {
  sessionId: string;
  /** null: every connection of the session, ordered by time. */
  connectionId: string | null;
}

/** Where a row sits in a view's order. `time` is only used (and only known) in the all-connections order. */
export interface RowRef {
  connectionId: string;
  seq: number;
  time: number;
}

export function refOf(row: Pick<FrameRecord, 'connectionId' | 'seq' | 'time'>): RowRef {
  return { connectionId: row.connectionId, seq: row.seq, time: row.time };
}

/** Order of two rows of one session by time, then by primary key (the index's own order). */
export function compareByTime(a: RowRef, b: RowRef): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  if (a.connectionId !== b.connectionId) return a.connectionId < b.connectionId ? -1 : 1;
  return a.seq - b.seq;
}

type FrameKey = [string, string, number];
type AnyCursor = {
  key: IDBValidKey;
  primaryKey: IDBValidKey;
  advance(n: number): Promise<AnyCursor | null>;
  continue(): Promise<AnyCursor | null>;
  continuePrimaryKey(key: IDBValidKey, primaryKey: IDBValidKey): Promise<AnyCursor | null>;
};
interface ValueCursor extends AnyCursor {
  value: FrameRecord;
  continue(): Promise<ValueCursor | null>;
  advance(n: number): Promise<ValueCursor | null>;
  continuePrimaryKey(key: IDBValidKey, primaryKey: IDBValidKey): Promise<ValueCursor | null>;
}

const yieldToUi = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

abstract class ScopedRange {
  protected readonly db: InspectorDatabase;
  readonly scope: ViewScope;

  constructor(db: InspectorDatabase, scope: ViewScope) {
    this.db = db;
    this.scope = scope;
  }

  protected get byConnection(): boolean {
    return this.scope.connectionId !== null;
  }

  protected fullRange(): IDBKeyRange {
    const s = this.scope.sessionId;
    const c = this.scope.connectionId;
    return c !== null ? IDBKeyRange.bound([s, c, -Infinity], [s, c, Infinity]) : IDBKeyRange.bound([s, -Infinity], [s, Infinity]);
  }

  /** Range starting at `ref` (inclusive); in time order it starts at the ref's time (ties are skipped by pk). */
  protected rangeFrom(ref: RowRef, exclusive = false): IDBKeyRange {
    const s = this.scope.sessionId;
    const c = this.scope.connectionId;
    return c !== null
      ? IDBKeyRange.bound([s, c, ref.seq], [s, c, Infinity], exclusive)
      : IDBKeyRange.bound([s, ref.time], [s, Infinity], exclusive);
  }

  protected source(mode: 'readonly' = 'readonly') {
    const tx = this.db.transaction('frames', mode);
    return this.byConnection ? tx.store : tx.store.index('bySessionTime');
  }

  protected refFromCursor(cursor: AnyCursor): RowRef {
    const pk = cursor.primaryKey as FrameKey;
    const time = this.byConnection ? NaN : (cursor.key as [string, number])[1];
    return { connectionId: pk[1], seq: pk[2], time };
  }

  protected primaryKey(ref: RowRef): FrameKey {
    return [this.scope.sessionId, ref.connectionId, ref.seq];
  }

  /** Opens a cursor positioned exactly at `ref` (or the first row after it, if it is gone). */
  protected async openAt<C extends AnyCursor>(open: (range: IDBKeyRange) => Promise<C | null>, ref: RowRef): Promise<C | null> {
    let cursor = await open(this.rangeFrom(ref));
    if (cursor && !this.byConnection) {
      const here = this.refFromCursor(cursor);
      if (here.time === ref.time && compareByTime(here, ref) < 0) {
        cursor = (await cursor.continuePrimaryKey([this.scope.sessionId, ref.time], this.primaryKey(ref))) as C | null;
      }
    }
    return cursor;
  }

  /** Rows in the view after `ref` (exclusive). */
  protected async countAfter(ref: RowRef): Promise<number> {
    const source = this.source();
    if (this.byConnection) return source.count(this.rangeFrom(ref, true));
    const later = await source.count(this.rangeFrom(ref, true));
    // Rows sharing the ref's time and sorting after it (rare: equal sub-millisecond times).
    let ties = 0;
    let cursor = (await source.openKeyCursor(IDBKeyRange.only([this.scope.sessionId, ref.time]))) as AnyCursor | null;
    while (cursor) {
      if (compareByTime(this.refFromCursor(cursor), ref) > 0) ties++;
      cursor = await cursor.continue();
    }
    return later + ties;
  }
}

/** The unfiltered rows of a view, by position. See the module comment. */
export class FrameSequence extends ScopedRange {
  total = 0;
  private first: RowRef | undefined;
  private last: RowRef | undefined;
  /** checkpoints[j] is the row at position j * CHECKPOINT_EVERY. */
  private checkpoints: RowRef[] = [];
  private checkpointsComplete = false;

  /** Re-reads the row count. Returns true when anything changed. */
  async refresh(): Promise<boolean> {
    const before = this.total;
    const previousLast = this.last;
    let total: number;
    const kept = await this.keptRowCount();
    if (kept !== undefined) {
      // Exact, and free: the writers keep it (SessionRecord.rowCount). Counting the view instead took 18 s at 1M.
      total = kept;
      if (previousLast) {
        // Read after `kept`, so rows stored meanwhile can only make `appended` larger: more rows than the known
        // ones plus those after the last means rows landed before it (positions moved); fewer, that rows went.
        const appended = await this.countAfter(previousLast);
        if (kept > before + appended || kept < before) this.dropCheckpoints();
      }
    } else if (!previousLast || this.total < FULL_RECOUNT_BELOW) {
      total = await this.source().count(this.fullRange());
      // Rows that did not all land after the last known one (cleared, or stored out of time order): positions
      // of earlier rows moved, so checkpoints are stale.
      const appended = previousLast ? await this.countAfter(previousLast) : total;
      if (total !== before + appended) this.dropCheckpoints();
    } else {
      total = before + (await this.countAfter(previousLast));
    }
    this.total = total;
    if (total === 0) {
      this.first = this.last = undefined;
      this.dropCheckpoints();
      return before !== 0;
    }
    if (total !== before || !this.first) {
      const source = this.source();
      const [head, tail] = await Promise.all([
        source.openKeyCursor(this.fullRange(), 'next') as Promise<AnyCursor | null>,
        source.openKeyCursor(this.fullRange(), 'prev') as Promise<AnyCursor | null>,
      ]);
      if (head) this.first = this.refFromCursor(head);
      if (tail) this.last = this.refFromCursor(tail);
      if (total > before) this.checkpointsComplete = false;
    }
    return total !== before;
  }

  /** The view's row count as its writers keep it, or undefined for records stored before they did. */
  private async keptRowCount(): Promise<number | undefined> {
    const record = this.byConnection ? await this.db.get('connections', this.scope.connectionId!) : await this.db.get('sessions', this.scope.sessionId);
    const count = record?.rowCount;
    return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : undefined;
  }

  private dropCheckpoints(): void {
    this.checkpoints = [];
    this.checkpointsComplete = false;
  }

  /** True when one connection's seqs have no gaps, so a position is a key. */
  private get dense(): boolean {
    return this.byConnection && !!this.first && !!this.last && this.last.seq - this.first.seq + 1 === this.total;
  }

  get checkpointCount(): number {
    return this.checkpoints.length;
  }

  /** Whether positions anywhere in the view are cheap to reach. */
  get indexed(): boolean {
    return this.dense || this.checkpointsComplete;
  }

  /** Rows [start, start + count) of the view (fewer at the end). */
  async rows(start: number, count: number): Promise<FrameRecord[]> {
    start = Math.max(0, Math.floor(start));
    const n = Math.min(count, this.total - start);
    if (n <= 0) return [];
    if (this.dense) {
      const s = this.scope.sessionId;
      const c = this.scope.connectionId!;
      const from = this.first!.seq + start;
      return this.db.getAll('frames', IDBKeyRange.bound([s, c, from], [s, c, from + n - 1]));
    }
    const j = Math.min(Math.floor(start / CHECKPOINT_EVERY), this.checkpoints.length - 1);
    const skipFromCheckpoint = j >= 0 ? start - j * CHECKPOINT_EVERY : start;
    const skipFromEnd = this.total - (start + n);
    if (skipFromEnd < skipFromCheckpoint) return this.readBackward(skipFromEnd, n);
    const source = this.source();
    let cursor: ValueCursor | null;
    if (j >= 0) cursor = await this.openAt((range) => source.openCursor(range) as Promise<ValueCursor | null>, this.checkpoints[j]);
    else cursor = (await source.openCursor(this.fullRange())) as ValueCursor | null;
    if (cursor && skipFromCheckpoint > 0) cursor = await cursor.advance(skipFromCheckpoint);
    const rows: FrameRecord[] = [];
    while (cursor && rows.length < n) {
      rows.push(cursor.value);
      if (rows.length < n) cursor = await cursor.continue();
    }
    return rows;
  }

  private async readBackward(skip: number, n: number): Promise<FrameRecord[]> {
    let cursor = (await this.source().openCursor(this.fullRange(), 'prev')) as ValueCursor | null;
    if (cursor && skip > 0) cursor = await cursor.advance(skip);
    const rows: FrameRecord[] = [];
    while (cursor && rows.length < n) {
      rows.push(cursor.value);
      if (rows.length < n) cursor = await cursor.continue();
    }
    return rows.reverse();
  }

  /**
   * Extends the checkpoints by up to `slices` short transactions of `stepsPerSlice` checkpoints each, yielding
   * to the UI between slices. Returns true once they cover every row counted so far.
   */
  async buildCheckpoints(signal: AbortSignal, stepsPerSlice = 64, slices = Infinity): Promise<boolean> {
    for (let slice = 0; slice < slices && !this.checkpointsComplete && !signal.aborted; slice++) {
      if (this.dense) return true;
      const source = this.source();
      let cursor: AnyCursor | null;
      const known = this.checkpoints.length;
      if (known === 0) {
        cursor = (await source.openKeyCursor(this.fullRange())) as AnyCursor | null;
        if (cursor) this.checkpoints.push(this.refFromCursor(cursor));
      } else {
        cursor = await this.openAt((range) => source.openKeyCursor(range) as Promise<AnyCursor | null>, this.checkpoints[known - 1]);
      }
      for (let step = 0; cursor && step < stepsPerSlice; step++) {
        cursor = await cursor.advance(CHECKPOINT_EVERY);
        if (cursor) this.checkpoints.push(this.refFromCursor(cursor));
      }
      if (!cursor) this.checkpointsComplete = true;
      if (!this.checkpointsComplete) await yieldToUi();
    }
    return this.checkpointsComplete || this.dense;
  }

  /** Position of a row in the view (for jumping to a search hit or keeping a selection). */
  async positionOf(ref: RowRef): Promise<number> {
    const s = this.scope.sessionId;
    const source = this.source();
    if (this.byConnection) return source.count(IDBKeyRange.bound([s, ref.connectionId, -Infinity], [s, ref.connectionId, ref.seq], false, true));
    const earlier = await source.count(IDBKeyRange.bound([s, -Infinity], [s, ref.time], false, true));
    let ties = 0;
    let cursor = (await source.openKeyCursor(IDBKeyRange.only([s, ref.time]))) as AnyCursor | null;
    while (cursor && compareByTime(this.refFromCursor(cursor), ref) < 0) {
      ties++;
      cursor = await cursor.continue();
    }
    return earlier + ties;
  }
}

/** The rows of a view that pass a filter, found by scanning. See the module comment. */
export class FilteredFrames extends ScopedRange {
  private readonly matcher: RowMatcher;
  /** Rows that match, found so far. */
  count = 0;
  /** Rows looked at so far. */
  scanned = 0;
  /** The last scan reached the end of what is stored (more may be stored later). */
  atEnd = false;
  private connectionIds: string[] = [];
  private readonly connectionIndex = new Map<string, number>();
  private matchConnection = new Int32Array(1024);
  private matchSeq = new Float64Array(1024);
  private matchTime = new Float64Array(1024);
  private last: RowRef | undefined;
  /** How many rows at `last.time` the scan has consumed (ties are skipped by key on the next chunk). */
  private tiesAtLast = 0;
  private nextChunk = FIRST_SCAN_CHUNK;

  constructor(db: InspectorDatabase, scope: ViewScope, matcher: RowMatcher) {
    super(db, scope);
    this.matcher = matcher;
  }

  /** Scans one chunk past where the last one stopped. Returns the number of new matches. */
  async scanChunk(): Promise<number> {
    const limit = this.nextChunk;
    let rows: FrameRecord[];
    const last = this.last;
    if (this.byConnection) {
      rows = await this.db.getAll('frames', last ? this.rangeFrom(last, true) : this.fullRange(), limit);
    } else {
      const index = this.db.transaction('frames').store.index('bySessionTime');
      rows = await index.getAll(last ? this.rangeFrom(last) : this.fullRange(), limit + this.tiesAtLast);
      if (last) rows = rows.filter((row) => row.time !== last.time || compareByTime(refOf(row), last) > 0);
    }
    const before = this.count;
    let bytes = 0;
    for (const row of rows) {
      bytes += row.size;
      if (this.matcher(row)) this.push(row);
    }
    this.scanned += rows.length;
    if (rows.length > 0) {
      const end = refOf(rows[rows.length - 1]);
      if (!this.byConnection) {
        let ties = 0;
        for (let i = rows.length - 1; i >= 0 && rows[i].time === end.time; i--) ties++;
        this.tiesAtLast = last && last.time === end.time ? this.tiesAtLast + ties : ties;
      }
      this.last = end;
    }
    this.atEnd = rows.length < limit;
    const average = rows.length > 0 ? Math.max(64, bytes / rows.length) : 64;
    this.nextChunk = Math.max(16, Math.min(MAX_SCAN_CHUNK, Math.floor(SCAN_CHUNK_BYTES / average), limit * 4));
    return this.count - before;
  }

  private push(row: FrameRecord): void {
    if (this.count === this.matchSeq.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.matchConnection = grow(this.matchConnection, (n) => new Int32Array(n));
      this.matchSeq = grow(this.matchSeq, (n) => new Float64Array(n));
      this.matchTime = grow(this.matchTime, (n) => new Float64Array(n));
    }
    let index = this.connectionIndex.get(row.connectionId);
    if (index === undefined) {
      index = this.connectionIds.length;
      this.connectionIds.push(row.connectionId);
      this.connectionIndex.set(row.connectionId, index);
    }
    this.matchConnection[this.count] = index;
    this.matchSeq[this.count] = row.seq;
    this.matchTime[this.count] = row.time;
    this.count++;
  }

  refAt(position: number): RowRef | undefined {
    if (position < 0 || position >= this.count) return undefined;
    return { connectionId: this.connectionIds[this.matchConnection[position]], seq: this.matchSeq[position], time: this.matchTime[position] };
  }

  /** Matching rows [start, start + count), read by key. */
  async rows(start: number, count: number): Promise<FrameRecord[]> {
    const end = Math.min(this.count, start + count);
    if (start >= end) return [];
    const store = this.db.transaction('frames').store;
    const reads: Promise<FrameRecord | undefined>[] = [];
    for (let i = Math.max(0, start); i < end; i++) reads.push(store.get(this.primaryKey(this.refAt(i)!)));
    const rows = await Promise.all(reads);
    return rows.filter((row): row is FrameRecord => row !== undefined);
  }

  /** Position of a matching row, or -1. */
  positionOf(ref: RowRef): number {
    const index = this.connectionIndex.get(ref.connectionId);
    if (index === undefined) return -1;
    for (let i = 0; i < this.count; i++) if (this.matchSeq[i] === ref.seq && this.matchConnection[i] === index) return i;
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
 * frames store in key order in short chunks. Stops after `limit` hits or when `signal` aborts.
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
  let after: FrameKey | undefined;
  let scanned = 0;
  while (hits.length < limit && !options.signal?.aborted) {
    const range = after ? IDBKeyRange.lowerBound(after, true) : undefined;
    const rows = await db.getAll('frames', range, 1000);
    if (rows.length === 0) break;
    for (const row of rows) {
      if (hits.length >= limit) break;
      if (matcher(row)) {
        const session = sessions.get(row.sessionId);
        if (session) hits.push({ session, row });
      }
    }
    scanned += rows.length;
    const tail = rows[rows.length - 1];
    after = [tail.sessionId, tail.connectionId, tail.seq];
    options.onProgress?.(hits, scanned);
    await yieldToUi();
  }
  return hits;
}
