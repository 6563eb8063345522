/**
 * Reading the store: sessions and connections, and rows by position (a window of a session or of one connection),
 * by seq, or all of several connections at once. Positions are dense (lib/store/schema.ts), so every read is a key
 * range of chunks; every chunk read goes through hydrateChunks before its rows are built. Paging with a filter is
 * lib/store/frame-query.ts, built on these.
 */
import type { ConnectionRecord, FrameRecord, SessionRecord } from '../shared/records';
import { CHUNK_ROWS, connectionRowsOfChunk, hydrateChunks, rowsOfChunk } from './chunk-codec';
import { keyRange, type InspectorDatabase } from './schema';

/** Every session, newest first. */
export async function listSessions(db: InspectorDatabase): Promise<SessionRecord[]> {
  const sessions = await db.getAllFromIndex('sessions', 'byStartedAt');
  return sessions.reverse();
}

/**
 * A session's connections by start time. Sockets a page opens within one tick of its clock start at the same time;
 * they then go in the order the page opened them: a page's ids end in a counter ("…-9" before "…-10").
 */
export async function listConnections(db: InspectorDatabase, sessionId: string): Promise<ConnectionRecord[]> {
  const connections = await db.getAllFromIndex('connections', 'bySession', keyRange([sessionId]));
  return connections.sort((a, b) => a.startedAt - b.startedAt || byCounter.compare(a.id, b.id));
}

const byCounter = new Intl.Collator('en', { numeric: true });

/** The newest session captured in a tab, if any. */
export async function latestSessionForTab(db: InspectorDatabase, tabId: number): Promise<SessionRecord | undefined> {
  const range = keyRange([tabId]);
  const cursor = await db.transaction('sessions').store.index('byTab').openCursor(range, 'prev');
  return cursor?.value;
}

/** Session rows [start, start + count), in session order. */
export async function readSessionRows(db: InspectorDatabase, sessionId: string, start: number, count: number): Promise<FrameRecord[]> {
  if (count <= 0) return [];
  const end = start + count;
  const chunks = await hydrateChunks(await db.getAll('chunks', keyRange([sessionId], start - CHUNK_ROWS + 1, end - 1)));
  const rows: FrameRecord[] = [];
  for (const chunk of chunks) {
    for (const row of rowsOfChunk(chunk)) if (row.pos! >= start && row.pos! < end) rows.push(row);
  }
  return rows;
}

/** Rows [start, start + count) of one connection (by `cpos`), in order. */
export async function readConnectionRows(db: InspectorDatabase, sessionId: string, connectionId: string, start: number, count: number): Promise<FrameRecord[]> {
  if (count <= 0) return [];
  const end = start + count;
  // The chunk holding `start` is the last one whose first row of this connection is at or before it. Not simply
  // CHUNK_ROWS back: a connection with a small share of its session has few rows per chunk.
  const index = db.transaction('chunks').store.index('byConnectionPos');
  const holder = await index.openKeyCursor(keyRange([sessionId, connectionId], -Infinity, start), 'prev');
  const from = holder ? (holder.key as [string, string, number])[2] : start;
  const chunks = await hydrateChunks(await index.getAll(keyRange([sessionId, connectionId], from, end - 1)));
  const rows: FrameRecord[] = [];
  for (const chunk of chunks) connectionRowsOfChunk(chunk, connectionId, start, end, rows);
  return rows;
}

/** The `cpos` of the first row of a connection with seq ≥ `seq` (its row count if there is none). */
export async function connectionPositionOfSeq(db: InspectorDatabase, sessionId: string, connectionId: string, seq: number): Promise<number> {
  const index = db.transaction('chunks').store.index('byConnectionSeq');
  // The chunk that holds `seq` if any starts at or before it; otherwise the answer is that chunk's first row.
  const holder = await index.openCursor(keyRange([sessionId, connectionId], -Infinity, seq), 'prev');
  const chunk = holder?.value ?? (await index.get(keyRange([sessionId, connectionId], seq)));
  if (!chunk) {
    const connection = await db.get('connections', connectionId);
    return connection?.rowCount ?? 0;
  }
  let after: number | undefined;
  const c = chunk.ids.indexOf(connectionId);
  for (let i = 0; i < chunk.seq.length; i++) {
    if (chunk.conn[i] !== c) continue;
    if (chunk.seq[i] >= seq) return chunk.cpos[i];
    after = chunk.cpos[i] + 1;
  }
  return after!;
}

/** One row by its connection and seq: from the chunk that holds that seq, if any. */
export async function getRow(db: InspectorDatabase, sessionId: string, connectionId: string, seq: number): Promise<FrameRecord | undefined> {
  const range = keyRange([sessionId, connectionId], -Infinity, seq);
  const holder = await db.transaction('chunks').store.index('byConnectionSeq').openCursor(range, 'prev');
  if (!holder) return undefined;
  const [chunk] = await hydrateChunks([holder.value]);
  return rowsOfChunk(chunk).find((row) => row.connectionId === connectionId && row.seq === seq);
}

/** Every row of one connection in order (for tests and small sessions; the panel and export page instead). */
export async function connectionFrames(db: InspectorDatabase, sessionId: string, connectionId: string): Promise<FrameRecord[]> {
  return readConnectionRows(db, sessionId, connectionId, 0, Infinity);
}

/** About how many chunks one read of a connection's rows may pull in (see connectionReadStep). */
export const MAX_CHUNKS_PER_READ = 64;

/**
 * How many of a connection's rows to read at a time. A read returns whole chunks, other connections' rows and
 * payloads included, so where the connection has a small share of its session's rows, reading `pageRows` of them
 * at once could pull in the whole session. This reads fewer: about MAX_CHUNKS_PER_READ chunks' worth at its share
 * (at most that many rows + 1 chunks whatever the mix, since every chunk a read returns holds one of its rows).
 */
export function connectionReadStep(pageRows: number, connectionRows: number, sessionRows: number): number {
  const share = sessionRows > 0 ? Math.min(1, connectionRows / sessionRows) : 1;
  return Math.max(1, Math.min(pageRows, Math.floor(MAX_CHUNKS_PER_READ * CHUNK_ROWS * share)));
}

/**
 * Reads one connection's rows with seq in [fromSeq, toSeq], in order, `chunkRows` at a time (every page full but
 * the last). Positions in a connection are dense and in seq order, so this finds where fromSeq starts once and
 * then reads by position, a bounded number of chunks per read (connectionReadStep).
 */
export async function* connectionRowChunks(
  db: InspectorDatabase,
  sessionId: string,
  connectionId: string,
  chunkRows: number,
  fromSeq = -Infinity,
  toSeq = Infinity,
): AsyncGenerator<FrameRecord[]> {
  if (!(chunkRows >= 1)) throw new RangeError(`connectionRowChunks: chunkRows must be at least 1, got ${chunkRows}`);
  const [session, connection] = await Promise.all([db.get('sessions', sessionId), db.get('connections', connectionId)]);
  const step = connectionReadStep(chunkRows, connection?.rowCount ?? 0, session?.rowCount ?? 0);
  let cpos = fromSeq === -Infinity ? 0 : await connectionPositionOfSeq(db, sessionId, connectionId, fromSeq);
  let page: FrameRecord[] = [];
  for (;;) {
    const want = Math.min(step, chunkRows - page.length);
    const rows = await readConnectionRows(db, sessionId, connectionId, cpos, want);
    cpos += want;
    // Rows come in seq order: keep those up to toSeq. Fewer than asked for means the range (or the connection) ended.
    let end = rows.length;
    while (end > 0 && rows[end - 1].seq > toSeq) end--;
    for (let i = 0; i < end; i++) page.push(rows[i]);
    const finished = end < want;
    if (page.length > 0 && (finished || page.length === chunkRows)) {
      yield page;
      page = [];
    }
    if (finished) return;
  }
}

/** Where one connection's rows lie among its session's chunks: for planning reads of several connections at once. */
export interface ConnectionSpan {
  /** Chunks holding at least one of its rows: what reading it on its own (by its index) reads. */
  chunks: number;
  /** Keys (session positions) of its first and last chunks. */
  firstChunk: number;
  lastChunk: number;
}

/** A connection's ConnectionSpan from its index keys alone (no chunk is read); undefined when it has no rows. */
export async function connectionSpan(db: InspectorDatabase, sessionId: string, connectionId: string): Promise<ConnectionSpan | undefined> {
  const index = db.transaction('chunks').store.index('byConnectionPos');
  const range = keyRange([sessionId, connectionId]);
  const [chunks, first, last] = await Promise.all([index.count(range), index.openKeyCursor(range, 'next'), index.openKeyCursor(range, 'prev')]);
  if (!first || !last) return undefined;
  return { chunks, firstChunk: (first.primaryKey as [string, number])[1], lastChunk: (last.primaryKey as [string, number])[1] };
}

/** Keys (session positions) of every chunk of a session, in order. */
export async function sessionChunkKeys(db: InspectorDatabase, sessionId: string): Promise<number[]> {
  const keys = await db.getAllKeys('chunks', keyRange([sessionId]));
  return keys.map((key) => (key as [string, number])[1]);
}

/**
 * Every row of several connections, read in one pass over the session's chunks from `firstChunk` to `lastChunk`
 * (keys), `batch` chunks per read: where their rows interleave, reading each on its own reads the same chunks
 * once per connection. Rows come per connection in order. `signal` stops it between reads.
 */
export async function readConnectionsTogether(
  db: InspectorDatabase,
  sessionId: string,
  connectionIds: readonly string[],
  firstChunk: number,
  lastChunk: number,
  options: { batch?: number; signal?: AbortSignal } = {},
): Promise<Map<string, FrameRecord[]>> {
  const out = new Map<string, FrameRecord[]>(connectionIds.map((id) => [id, []]));
  const batch = options.batch ?? 64;
  let from = firstChunk;
  while (from <= lastChunk) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('read cancelled');
    const chunks = await hydrateChunks(await db.getAll('chunks', keyRange([sessionId], from, lastChunk), batch));
    for (const chunk of chunks) {
      for (const id of chunk.ids) {
        const rows = out.get(id);
        if (rows) connectionRowsOfChunk(chunk, id, 0, Infinity, rows);
      }
    }
    if (chunks.length < batch) break;
    from = chunks[chunks.length - 1].pos + 1;
  }
  return out;
}

/** Every row of one session in session order (for tests and small sessions). */
export async function sessionFrames(db: InspectorDatabase, sessionId: string): Promise<FrameRecord[]> {
  const chunks = await hydrateChunks(await db.getAll('chunks', keyRange([sessionId])));
  return chunks.flatMap(rowsOfChunk);
}
