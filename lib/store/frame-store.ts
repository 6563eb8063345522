/**
 * The frame store: sessions, connections and frames in IndexedDB (via idb), shared by the background (writes)
 * and the panel (reads straight from the same extension-origin database).
 *
 * Rows (frames and open/close/error events) are kept in chunks: one record holds up to CHUNK_ROWS consecutive
 * rows of a session, by column (FrameChunk). Why: this Chromium's IndexedDB costs 100–400 µs per record whatever
 * it holds, and 2–6 µs per row when 100 rows share one (`node bench/idb-probe.mjs`); one record per frame made a
 * 100,000-frame burst take 15 s to store.
 *
 * Every row has two positions, given by its writer in the transaction that stores it: `pos` in its session (the
 * order the background received the rows: the page's order within a frame context) and `cpos` in its connection.
 * Positions are dense, so everything the panel pages through is a key range, never a count or a scan:
 * - chunks: primary key [sessionId, pos of its first row]; row N of a session is in the chunk with the greatest
 *   key ≤ [s, N] (at most CHUNK_ROWS − 1 back). A whole session is one range delete.
 * - chunks.byConnectionPos (multiEntry) [sessionId, connectionId, cpos of the connection's first row in it]:
 *   row N of one connection, the same way.
 * - chunks.byConnectionSeq (multiEntry) [sessionId, connectionId, its first seq in it]: a row by seq.
 * - connections.bySession [sessionId, startedAt]; sessions.byStartedAt, sessions.byTab [tabId, startedAt].
 * Writes are idempotent: a batch resent after a worker restart stores nothing twice (see writeEvents).
 */
import { openDB, unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { BlobBytes, Direction, FrameOrigin, FrameStatus, WireConnectEvent, WireEvent, WireOpenEvent } from '../shared/protocol';
import { base64ToBytes, decodePayload, toArrayBuffer } from '../shared/wire';
import type { ConnectionRecord, FrameRecord, RowKind, SessionRecord } from '../shared/records';

export const DB_NAME = 'websocket-inspector';
export const DB_VERSION = 2;
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

export interface RetentionSettings {
  maxSessions: number;
  maxBytes: number;
}
export const DEFAULT_RETENTION: RetentionSettings = { maxSessions: 100, maxBytes: 1024 * 1024 * 1024 };

export interface InspectorDB extends DBSchema {
  sessions: {
    key: string;
    value: SessionRecord;
    indexes: { byStartedAt: number; byTab: [number, number] };
  };
  connections: {
    key: string;
    value: ConnectionRecord;
    indexes: { bySession: [string, number] };
  };
  chunks: {
    key: [string, number];
    value: FrameChunk;
    indexes: { byConnectionPos: [string, string, number]; byConnectionSeq: [string, string, number] };
  };
  settings: {
    key: string;
    value: unknown;
  };
}

export type InspectorDatabase = IDBPDatabase<InspectorDB>;

/** Opens (and creates or migrates) the database. Each version's step runs once, in order. */
export function openFrameStore(name = DB_NAME): Promise<InspectorDatabase> {
  return openDB<InspectorDB>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, transaction) {
      // `indexedDB.open(name)` without a version, before we ever opened it, leaves an empty version-1 database
      // (test harnesses did): without this it would fail to migrate on every open, and capture would stop for good.
      if (oldVersion >= 1 && !db.objectStoreNames.contains('sessions')) oldVersion = 0;
      if (oldVersion < 1) {
        const sessions = db.createObjectStore('sessions', { keyPath: 'id' });
        sessions.createIndex('byStartedAt', 'startedAt');
        sessions.createIndex('byTab', ['tabId', 'startedAt']);
        const connections = db.createObjectStore('connections', { keyPath: 'id' });
        connections.createIndex('bySession', ['sessionId', 'startedAt']);
        db.createObjectStore('settings');
      }
      if (oldVersion < 2) {
        const chunks = db.createObjectStore('chunks', { keyPath: ['sessionId', 'pos'] });
        chunks.createIndex('byConnectionPos', 'connPos', { multiEntry: true });
        chunks.createIndex('byConnectionSeq', 'connSeq', { multiEntry: true });
        // Version 1 kept one record per row in `frames`: move them into chunks, then drop the store.
        if (oldVersion === 1) {
          migrateRowsToChunks(db as unknown as IDBPDatabase<unknown>, transaction as unknown as LegacyUpgradeTx).catch(() => {
            try {
              transaction.abort();
            } catch {
              // already over: a failed request aborted it
            }
          });
        }
      }
    },
  });
}

type LegacyUpgradeTx = IDBPTransaction<unknown, string[], 'versionchange'>;

/**
 * Version 1 → 2, inside the upgrade transaction. Each session's rows are merged by time (version 1's
 * all-connections order) from one cursor per connection in seq order, so each connection stays in seq order even
 * where its clock went backwards (a connection's positions must follow its seqs). Streams: one row per
 * connection in memory. Only IndexedDB requests are awaited, so the transaction stays alive; any failure aborts
 * it and version 1 stays as it was.
 */
async function migrateRowsToChunks(db: IDBPDatabase<unknown>, tx: LegacyUpgradeTx): Promise<void> {
  const frames = tx.objectStore('frames');
  const chunks = tx.objectStore('chunks');
  const sessions = tx.objectStore('sessions');
  const connectionStore = tx.objectStore('connections');
  for (const session of (await sessions.getAll()) as SessionRecord[]) {
    const connections = (await connectionStore.index('bySession').getAll(IDBKeyRange.bound([session.id, -Infinity], [session.id, Infinity]))) as ConnectionRecord[];
    const cursors = await Promise.all(connections.map((c) => frames.openCursor(IDBKeyRange.bound([session.id, c.id, -Infinity], [session.id, c.id, Infinity]))));
    const builder = new ChunkBuilder(session.id, 0);
    const counts = connections.map(() => 0);
    for (;;) {
      let next = -1;
      for (let i = 0; i < cursors.length; i++) {
        const time = (cursors[i]?.value as FrameRecord | undefined)?.time;
        if (time !== undefined && (next < 0 || time < (cursors[next]!.value as FrameRecord).time)) next = i;
      }
      if (next < 0) break;
      const sealed = builder.add(toChunkRow(cursors[next]!.value as FrameRecord, counts[next]++));
      if (sealed) void chunks.put(sealed);
      cursors[next] = await cursors[next]!.continue();
    }
    const last = builder.seal();
    if (last) void chunks.put(last);
    session.rowCount = builder.nextPos;
    void sessions.put(session);
    connections.forEach((connection, i) => {
      connection.rowCount = counts[i];
      void connectionStore.put(connection);
    });
  }
  db.deleteObjectStore('frames');
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

/** Payload bytes a row holds in a chunk (what seals a chunk, and bounds an import's write transaction). */
export function chunkRowBytes(row: ChunkRow): number {
  return row.size + (row.original === undefined ? 0 : typeof row.original === 'string' ? row.original.length : row.original.byteLength);
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

export function newSession(fields: Partial<SessionRecord> & Pick<SessionRecord, 'id' | 'pageUrl' | 'startedAt'>): SessionRecord {
  return {
    tabId: null,
    title: '',
    lastActivity: fields.startedAt,
    source: 'captured',
    connectionCount: 0,
    frameCount: 0,
    bytes: 0,
    rowCount: 0,
    ...fields,
  };
}

/** Creates the session if it does not exist yet; returns the stored record. */
export async function ensureSession(db: InspectorDatabase, session: SessionRecord): Promise<SessionRecord> {
  const tx = db.transaction('sessions', 'readwrite');
  const existing = await tx.store.get(session.id);
  if (!existing) await tx.store.put(session);
  await tx.done;
  return existing ?? session;
}

/** The newest session captured in a tab, if any. */
export async function latestSessionForTab(db: InspectorDatabase, tabId: number): Promise<SessionRecord | undefined> {
  const range = IDBKeyRange.bound([tabId, -Infinity], [tabId, Infinity]);
  const cursor = await db.transaction('sessions').store.index('byTab').openCursor(range, 'prev');
  return cursor?.value;
}

export interface WriteResult {
  /** Connections that got new rows or changed. */
  connectionIds: string[];
  /** Rows written (events already stored are skipped). */
  written: number;
  /** The session has no record (it was cleared while its page kept capturing): nothing was written. */
  sessionMissing?: boolean;
}

type WriteTx = IDBPTransaction<InspectorDB, ('sessions' | 'connections' | 'chunks')[], 'readwrite'>;

/** A live connection as its capture port remembers it (see writeEvents' `recall`). */
export interface RecalledConnection {
  connect: WireConnectEvent;
  open?: WireOpenEvent;
}

function newConnectionRecord(event: WireConnectEvent, sessionId: string, pageUrl: string): ConnectionRecord {
  return {
    id: event.connectionId,
    sessionId,
    url: event.url,
    protocols: event.protocols,
    protocol: '',
    extensions: '',
    frameUrl: event.frameUrl,
    pageUrl,
    startedAt: event.time,
    state: 'connecting',
    errored: false,
    sentCount: 0,
    receivedCount: 0,
    sentBytes: 0,
    receivedBytes: 0,
    lastSeq: 0,
    rowCount: 0,
    ...(event.initiator ? { initiator: event.initiator } : {}),
  };
}

/**
 * Writes wire events of one session in one transaction. Idempotent: a connect for a known connection and any
 * row whose seq is at or below the connection's `lastSeq` are skipped, so a batch resent after a service-worker
 * restart stores every frame exactly once. `frame-part` events must be joined before (see lib/shared/wire.ts).
 * With `skipFrames` (capture paused) frames are dropped but connection lifecycle is still recorded.
 */
export async function writeEvents(
  db: InspectorDatabase,
  sessionId: string,
  pageUrl: string,
  events: WireEvent[],
  options: {
    skipFrames?: boolean;
    /**
     * What the writer's caller still knows of a connection with no record (its connect and open events, from an
     * earlier batch): a session cleared while its page kept capturing lists its live connections again with their
     * URL and handshake, not as blanks.
     */
    recall?: (connectionId: string) => RecalledConnection | undefined;
  } = {},
): Promise<WriteResult> {
  const tx: WriteTx = db.transaction(['sessions', 'connections', 'chunks'], 'readwrite');
  const connectionStore = tx.objectStore('connections');
  const sessionStore = tx.objectStore('sessions');
  // Chunks go through the raw store: idb's wrapper adds a promise and two listeners per put. A failed put aborts
  // the transaction, so tx.done still rejects.
  const chunkStore = unwrap(tx.objectStore('chunks'));

  const ids = new Set<string>();
  for (const event of events) ids.add(event.connectionId);
  const connections = new Map<string, ConnectionRecord>();
  const [session] = await Promise.all([
    sessionStore.get(sessionId),
    ...[...ids].map(async (id) => {
      const record = await connectionStore.get(id);
      if (record) connections.set(id, record);
    }),
  ]);
  if (!session) {
    // Cleared while its page kept capturing: there is nothing to list the rows under (the caller recreates it).
    await tx.done;
    return { connectionIds: [], written: 0, sessionMissing: true };
  }
  const chunks = new ChunkBuilder(sessionId, session.rowCount ?? 0);

  const touched = new Set<string>();
  let newConnections = 0;
  let newFrames = 0;
  let newBytes = 0;
  let written = 0;
  let lastTime = 0;

  for (const event of events) {
    if (event.k === 'frame-part') throw new Error('writeEvents: join frame parts before writing');
    if (event.k === 'connect') {
      if (connections.has(event.connectionId)) continue;
      connections.set(event.connectionId, newConnectionRecord(event, sessionId, pageUrl));
      touched.add(event.connectionId);
      newConnections++;
      lastTime = Math.max(lastTime, event.time);
      continue;
    }
    let connection = connections.get(event.connectionId);
    if (!connection) {
      const recalled = options.recall?.(event.connectionId);
      if (recalled) {
        connection = newConnectionRecord(recalled.connect, sessionId, pageUrl);
        const { open } = recalled;
        if (open) Object.assign(connection, { state: 'open', openedAt: open.time, protocol: open.protocol, extensions: open.extensions });
      } else {
        // Its connect event was never seen here (should not happen): keep the frames anyway, as an open socket
        // with no URL.
        const unseen: WireConnectEvent = { k: 'connect', connectionId: event.connectionId, url: '', protocols: [], frameUrl: pageUrl, time: event.time };
        connection = { ...newConnectionRecord(unseen, sessionId, pageUrl), state: 'open' };
      }
      connections.set(event.connectionId, connection);
      newConnections++;
    }
    if (event.seq <= connection.lastSeq) continue;
    connection.lastSeq = event.seq;
    touched.add(connection.id);
    lastTime = Math.max(lastTime, event.time);
    connection.rowCount ??= 0;
    const row: ChunkRow = { connectionId: connection.id, seq: event.seq, time: event.time, kind: event.k, size: 0, cpos: connection.rowCount };
    switch (event.k) {
      case 'open':
        connection.state = 'open';
        connection.openedAt = event.time;
        connection.protocol = event.protocol;
        connection.extensions = event.extensions;
        row.protocol = event.protocol;
        row.extensions = event.extensions;
        break;
      case 'error':
        connection.errored = true;
        if (connection.state !== 'closed') connection.state = 'error';
        break;
      case 'close':
        connection.state = 'closed';
        connection.closedAt = event.time;
        connection.closeCode = event.code;
        connection.closeReason = event.reason;
        connection.wasClean = event.wasClean;
        row.code = event.code;
        row.reason = event.reason;
        row.wasClean = event.wasClean;
        break;
      case 'frame': {
        if (options.skipFrames) continue;
        row.dir = event.dir;
        row.opcode = event.opcode;
        row.data = event.encoding === 'text' ? event.payload : (event.bytes ?? toArrayBuffer(base64ToBytes(event.payload)));
        row.size = event.size;
        row.origin = event.origin;
        row.status = event.status;
        if (event.note !== undefined) row.note = event.note;
        if (event.rule !== undefined) row.rule = event.rule;
        if (event.original !== undefined) row.original = decodePayload(event.original);
        if (event.status === 'sent') {
          if (event.dir === 'send') {
            connection.sentCount++;
            connection.sentBytes += event.size;
          } else {
            connection.receivedCount++;
            connection.receivedBytes += event.size;
          }
        }
        newFrames++;
        newBytes += event.size;
        break;
      }
    }
    connection.rowCount++;
    const sealed = chunks.add(row);
    if (sealed) chunkStore.put(sealed);
    written++;
  }
  const last = chunks.seal();
  if (last) chunkStore.put(last);

  for (const id of touched) void connectionStore.put(connections.get(id)!);
  if (touched.size > 0) {
    session.connectionCount += newConnections;
    session.frameCount += newFrames;
    session.bytes += newBytes;
    session.rowCount = chunks.nextPos;
    session.lastActivity = Math.max(session.lastActivity, lastTime);
    void sessionStore.put(session);
  }
  await tx.done;
  return { connectionIds: [...touched], written };
}

/** Deletes a session with its connections and frames. */
export async function deleteSession(db: InspectorDatabase, sessionId: string): Promise<void> {
  const tx = db.transaction(['sessions', 'connections', 'chunks'], 'readwrite');
  void tx.objectStore('chunks').delete(IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]));
  const connections = tx.objectStore('connections');
  let cursor = await connections.index('bySession').openKeyCursor(IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]));
  while (cursor) {
    void connections.delete(cursor.primaryKey);
    cursor = await cursor.continue();
  }
  void tx.objectStore('sessions').delete(sessionId);
  await tx.done;
}

/** Deletes everything captured or imported. Settings stay. */
export async function clearAll(db: InspectorDatabase): Promise<void> {
  const tx = db.transaction(['sessions', 'connections', 'chunks'], 'readwrite');
  await Promise.all([tx.objectStore('sessions').clear(), tx.objectStore('connections').clear(), tx.objectStore('chunks').clear(), tx.done]);
}

export async function listSessions(db: InspectorDatabase): Promise<SessionRecord[]> {
  const sessions = await db.getAllFromIndex('sessions', 'byStartedAt');
  return sessions.reverse();
}

/**
 * A session's connections by start time. Sockets a page opens within one tick of its clock start at the same time;
 * they then go in the order the page opened them: a page's ids end in a counter ("…-9" before "…-10").
 */
export async function listConnections(db: InspectorDatabase, sessionId: string): Promise<ConnectionRecord[]> {
  const connections = await db.getAllFromIndex('connections', 'bySession', IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]));
  return connections.sort((a, b) => a.startedAt - b.startedAt || byCounter.compare(a.id, b.id));
}

const byCounter = new Intl.Collator('en', { numeric: true });

/** Session rows [start, start + count), in session order. */
export async function readSessionRows(db: InspectorDatabase, sessionId: string, start: number, count: number): Promise<FrameRecord[]> {
  if (count <= 0) return [];
  const end = start + count;
  const chunks = await hydrateChunks(await db.getAll('chunks', IDBKeyRange.bound([sessionId, start - CHUNK_ROWS + 1], [sessionId, end - 1])));
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
  const holder = await index.openKeyCursor(IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, start]), 'prev');
  const from = holder ? (holder.key as [string, string, number])[2] : start;
  const chunks = await hydrateChunks(await index.getAll(IDBKeyRange.bound([sessionId, connectionId, from], [sessionId, connectionId, end - 1])));
  const rows: FrameRecord[] = [];
  for (const chunk of chunks) connectionRowsOfChunk(chunk, connectionId, start, end, rows);
  return rows;
}

/** The `cpos` of the first row of a connection with seq ≥ `seq` (its row count if there is none). */
export async function connectionPositionOfSeq(db: InspectorDatabase, sessionId: string, connectionId: string, seq: number): Promise<number> {
  const index = db.transaction('chunks').store.index('byConnectionSeq');
  // The chunk that holds `seq` if any starts at or before it; otherwise the answer is that chunk's first row.
  const holder = await index.openCursor(IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, seq]), 'prev');
  const chunk = holder?.value ?? (await index.get(IDBKeyRange.bound([sessionId, connectionId, seq], [sessionId, connectionId, Infinity])));
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
  const range = IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, seq]);
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
  const range = IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, Infinity]);
  const [chunks, first, last] = await Promise.all([index.count(range), index.openKeyCursor(range, 'next'), index.openKeyCursor(range, 'prev')]);
  if (!first || !last) return undefined;
  return { chunks, firstChunk: (first.primaryKey as [string, number])[1], lastChunk: (last.primaryKey as [string, number])[1] };
}

/** Keys (session positions) of every chunk of a session, in order. */
export async function sessionChunkKeys(db: InspectorDatabase, sessionId: string): Promise<number[]> {
  const keys = await db.getAllKeys('chunks', IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]));
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
    const chunks = await hydrateChunks(await db.getAll('chunks', IDBKeyRange.bound([sessionId, from], [sessionId, lastChunk]), batch));
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
  const chunks = await hydrateChunks(await db.getAll('chunks', IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity])));
  return chunks.flatMap(rowsOfChunk);
}

export async function getRetention(db: InspectorDatabase): Promise<RetentionSettings> {
  const stored = (await db.get('settings', 'retention')) as Partial<RetentionSettings> | undefined;
  return { ...DEFAULT_RETENTION, ...stored };
}

export async function setRetention(db: InspectorDatabase, settings: RetentionSettings): Promise<void> {
  await db.put('settings', settings, 'retention');
}

/**
 * Evicts the oldest sessions until at most `maxSessions` remain and their bytes fit in `maxBytes`.
 * Sessions in `keep` (live captures) are never evicted, nor those `stillLive` names among the ones that would be
 * (asked only of those: a page whose relay is not connected may still be on its session). Returns the evicted ids.
 */
export async function enforceRetention(
  db: InspectorDatabase,
  settings: RetentionSettings,
  keep: ReadonlySet<string> = new Set(),
  stillLive?: (candidates: SessionRecord[]) => Promise<Iterable<string>>,
): Promise<string[]> {
  const sessions = await db.getAllFromIndex('sessions', 'byStartedAt');
  let plan = planEviction(sessions, settings, keep);
  if (stillLive && plan.length > 0) {
    const byId = new Map(sessions.map((s) => [s.id, s]));
    const live = new Set(keep);
    for (const id of await stillLive(plan.map((id) => byId.get(id)!))) live.add(id);
    if (live.size > keep.size) plan = planEviction(sessions, settings, live);
  }
  for (const id of plan) await deleteSession(db, id);
  return plan;
}

/**
 * Pure part of retention: which sessions (oldest first) must go. `sessions` is sorted oldest first.
 * Every page load opens a session, most with no WebSocket at all: captured sessions that stayed empty (and are
 * not live) go first and never count against the cap, so ordinary browsing cannot push real captures out.
 */
export function planEviction(sessions: SessionRecord[], settings: RetentionSettings, keep: ReadonlySet<string>): string[] {
  const evict: string[] = [];
  const rest: SessionRecord[] = [];
  for (const session of sessions) {
    const empty = session.source === 'captured' && session.connectionCount === 0 && session.frameCount === 0;
    if (empty && !keep.has(session.id)) evict.push(session.id);
    else rest.push(session);
  }
  let count = rest.length;
  let bytes = rest.reduce((sum, s) => sum + s.bytes, 0);
  for (const session of rest) {
    if (count <= settings.maxSessions && bytes <= settings.maxBytes) break;
    if (keep.has(session.id)) continue;
    evict.push(session.id);
    count--;
    bytes -= session.bytes;
  }
  return evict;
}
