/**
 * The frame store: sessions, connections and frames in IndexedDB (via idb), shared by the background (writes)
 * and the panel (reads straight from the same extension-origin database).
 *
 * Keys are chosen so that everything the panel pages through is a key range, never a scan:
 * - frames: primary key [sessionId, connectionId, seq]: one connection's rows in order; a whole session's rows
 *   deleted with one range delete; writes idempotent (a batch resent after a worker restart overwrites nothing,
 *   see writeEvents).
 * - frames.bySessionTime [sessionId, time]: all connections of a session, interleaved by time.
 * - connections.bySession [sessionId, startedAt]; sessions.byStartedAt, sessions.byTab [tabId, startedAt].
 */
import { openDB, unwrap, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { ConnectionInitiator, Direction, FrameOrigin, FrameStatus, Opcode, WireEvent } from './protocol';
import { base64ToBytes, decodePayload, toArrayBuffer } from './wire';

export const DB_NAME = 'websocket-inspector';
export const DB_VERSION = 1;

export type RowKind = 'frame' | 'open' | 'close' | 'error';

export interface SessionRecord {
  id: string;
  /** The tab it was captured in; null for imported sessions. */
  tabId: number | null;
  pageUrl: string;
  title: string;
  startedAt: number;
  lastActivity: number;
  source: 'captured' | 'imported';
  /** For imported sessions: the file name it came from. */
  importedFrom?: string;
  connectionCount: number;
  frameCount: number;
  /** Payload bytes stored for this session (frames only), for retention. */
  bytes: number;
  /**
   * Rows in the frames store for this session (frames and open/close/error rows), kept by every writer in the
   * transaction that writes them: counting an index range costs ~10 µs a row (18 s at 1M before the panel's first
   * rows). Absent on sessions stored before it existed; readers then count.
   */
  rowCount?: number;
}

export type ConnectionState = 'connecting' | 'open' | 'closed' | 'error';

export interface ConnectionRecord {
  id: string;
  sessionId: string;
  url: string;
  /** Subprotocols the page asked for. */
  protocols: string[];
  /** Negotiated subprotocol and extensions (from the open event). */
  protocol: string;
  extensions: string;
  frameUrl: string;
  pageUrl: string;
  startedAt: number;
  openedAt?: number;
  closedAt?: number;
  state: ConnectionState;
  closeCode?: number;
  closeReason?: string;
  wasClean?: boolean;
  errored: boolean;
  sentCount: number;
  receivedCount: number;
  sentBytes: number;
  receivedBytes: number;
  /** Highest seq stored: rows at or below it are already in the store. */
  lastSeq: number;
  /** 'replay' for connections the inspector opened to replay a sequence. Absent means the page. */
  initiator?: ConnectionInitiator;
  /** Rows in the frames store for this connection; see SessionRecord.rowCount. */
  rowCount?: number;
}

export interface FrameRecord {
  sessionId: string;
  connectionId: string;
  /** Order within the connection, as the page saw it (open, frames, error and close share one sequence). */
  seq: number;
  /** Wall-clock milliseconds since the epoch, sub-millisecond precision. */
  time: number;
  kind: RowKind;
  dir?: Direction;
  opcode?: Opcode;
  /** Text frames: the string; binary frames: the exact bytes. */
  data?: string | ArrayBuffer;
  /** Payload bytes (UTF-8 for text). 0 for control rows. */
  size: number;
  origin?: FrameOrigin;
  status?: FrameStatus;
  note?: string;
  code?: number;
  reason?: string;
  wasClean?: boolean;
  protocol?: string;
  extensions?: string;
  /** When a rule or an edit at a breakpoint changed the payload: what it was before. */
  original?: string | ArrayBuffer;
  /** The rule that held, changed or blocked it. */
  rule?: string;
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
  frames: {
    key: [string, string, number];
    value: FrameRecord;
    indexes: { bySessionTime: [string, number] };
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
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const sessions = db.createObjectStore('sessions', { keyPath: 'id' });
        sessions.createIndex('byStartedAt', 'startedAt');
        sessions.createIndex('byTab', ['tabId', 'startedAt']);
        const connections = db.createObjectStore('connections', { keyPath: 'id' });
        connections.createIndex('bySession', ['sessionId', 'startedAt']);
        const frames = db.createObjectStore('frames', { keyPath: ['sessionId', 'connectionId', 'seq'] });
        frames.createIndex('bySessionTime', ['sessionId', 'time']);
        db.createObjectStore('settings');
      }
      // Later versions add `if (oldVersion < 2) { … }` here.
    },
  });
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
}

type WriteTx = IDBPTransaction<InspectorDB, ('sessions' | 'connections' | 'frames')[], 'readwrite'>;

/**
 * Writes wire events of one session in one transaction. Idempotent: a connect for a known connection and any
 * row whose seq is at or below the connection's `lastSeq` are skipped, so a batch resent after a service-worker
 * restart stores every frame exactly once. `frame-part` events must be joined before (see lib/wire.ts).
 * With `skipFrames` (capture paused) frames are dropped but connection lifecycle is still recorded.
 */
export async function writeEvents(
  db: InspectorDatabase,
  sessionId: string,
  pageUrl: string,
  events: WireEvent[],
  options: { skipFrames?: boolean } = {},
): Promise<WriteResult> {
  const tx: WriteTx = db.transaction(['sessions', 'connections', 'frames'], 'readwrite');
  const connectionStore = tx.objectStore('connections');
  // Frames go through the raw store: idb's wrapper adds a promise and two listeners per put, which was a fifth of
  // the service worker's time in a 100k-frame burst. A failed put aborts the transaction, so tx.done still rejects.
  const frameStore = unwrap(tx.objectStore('frames'));

  const ids = new Set<string>();
  for (const event of events) ids.add(event.connectionId);
  const connections = new Map<string, ConnectionRecord>();
  await Promise.all(
    [...ids].map(async (id) => {
      const record = await connectionStore.get(id);
      if (record) connections.set(id, record);
    }),
  );

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
      connections.set(event.connectionId, {
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
      });
      touched.add(event.connectionId);
      newConnections++;
      lastTime = Math.max(lastTime, event.time);
      continue;
    }
    let connection = connections.get(event.connectionId);
    if (!connection) {
      // Its connect row was lost before we ever saw it (should not happen): keep the frames anyway.
      connection = {
        id: event.connectionId, sessionId, url: '', protocols: [], protocol: '', extensions: '', frameUrl: pageUrl, pageUrl,
        startedAt: event.time, state: 'open', errored: false, sentCount: 0, receivedCount: 0, sentBytes: 0,
        receivedBytes: 0, lastSeq: 0, rowCount: 0,
      };
      connections.set(event.connectionId, connection);
      newConnections++;
    }
    if (event.seq <= connection.lastSeq) continue;
    connection.lastSeq = event.seq;
    touched.add(connection.id);
    lastTime = Math.max(lastTime, event.time);
    const row: FrameRecord = { sessionId, connectionId: connection.id, seq: event.seq, time: event.time, kind: event.k, size: 0 };
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
        row.data = event.encoding === 'text' ? event.payload : toArrayBuffer(base64ToBytes(event.payload));
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
    frameStore.put(row);
    written++;
    // Only a count kept from the connection's first row is exact: older records have none and stay without.
    if (connection.rowCount !== undefined) connection.rowCount++;
  }

  for (const id of touched) void connectionStore.put(connections.get(id)!);
  if (touched.size > 0) {
    const sessions = tx.objectStore('sessions');
    const session = await sessions.get(sessionId);
    if (session) {
      session.connectionCount += newConnections;
      session.frameCount += newFrames;
      session.bytes += newBytes;
      if (session.rowCount !== undefined) session.rowCount += written;
      session.lastActivity = Math.max(session.lastActivity, lastTime);
      void sessions.put(session);
    }
  }
  await tx.done;
  return { connectionIds: [...touched], written };
}

/** Deletes a session with its connections and frames. */
export async function deleteSession(db: InspectorDatabase, sessionId: string): Promise<void> {
  const tx = db.transaction(['sessions', 'connections', 'frames'], 'readwrite');
  void tx.objectStore('frames').delete(IDBKeyRange.bound([sessionId], [sessionId, []]));
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
  const tx = db.transaction(['sessions', 'connections', 'frames'], 'readwrite');
  await Promise.all([tx.objectStore('sessions').clear(), tx.objectStore('connections').clear(), tx.objectStore('frames').clear(), tx.done]);
}

export async function listSessions(db: InspectorDatabase): Promise<SessionRecord[]> {
  const sessions = await db.getAllFromIndex('sessions', 'byStartedAt');
  return sessions.reverse();
}

export async function listConnections(db: InspectorDatabase, sessionId: string): Promise<ConnectionRecord[]> {
  return db.getAllFromIndex('connections', 'bySession', IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]));
}

/** Every row of one connection in seq order (for tests, export and small sessions; the panel pages instead). */
export async function connectionFrames(db: InspectorDatabase, sessionId: string, connectionId: string): Promise<FrameRecord[]> {
  return db.getAll('frames', IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, Infinity]));
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
 * Sessions in `keep` (live captures) are never evicted. Returns the evicted ids.
 */
export async function enforceRetention(db: InspectorDatabase, settings: RetentionSettings, keep: ReadonlySet<string> = new Set()): Promise<string[]> {
  const plan = planEviction(await db.getAllFromIndex('sessions', 'byStartedAt'), settings, keep);
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
