/**
 * Writing the store: sessions as they start, the wire events of a capture batch as rows in chunks (writeEvents),
 * and deleting. Only the background writes captures (lib/worker/capture-router.ts); imports write their chunks
 * themselves (lib/io/session-io.ts) with the same codec.
 *
 * Writes are idempotent: a batch resent after a worker restart stores nothing twice (see writeEvents). A captured
 * session past its payload cap gets rows without payloads (lib/store/payload-cap.ts).
 */
import { unwrap, type IDBPTransaction } from 'idb';
import type { WireConnectEvent, WireEvent, WireOpenEvent } from '../shared/protocol';
import { base64ToBytes, decodePayload, toArrayBuffer } from '../shared/wire';
import type { ConnectionRecord, SessionRecord } from '../shared/records';
import { ChunkBuilder, type ChunkRow } from './chunk-codec';
import { PayloadCapCounter } from './payload-cap';
import { RETENTION_KEY, retentionWithDefaults, sessionPayloadLimit } from './retention-settings';
import { keyRange, type InspectorDatabase, type InspectorDB } from './schema';

/** A session record with nothing in it yet (captured, no tab unless given); `fields` override these. */
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

export interface WriteResult {
  /** Connections that got new rows or changed. */
  connectionIds: string[];
  /** Rows written (events already stored are skipped). */
  written: number;
  /** The session has no record (it was cleared while its page kept capturing): nothing was written. */
  sessionMissing?: boolean;
}

type WriteTx = IDBPTransaction<InspectorDB, ('sessions' | 'connections' | 'chunks' | 'settings')[], 'readwrite'>;

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
 * A captured session stores payloads up to the retention setting's maxSessionBytes (read here, in the same
 * transaction); past it, frames keep their rows and totals but not their payloads (lib/store/payload-cap.ts).
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
  const tx: WriteTx = db.transaction(['sessions', 'connections', 'chunks', 'settings'], 'readwrite');
  const connectionStore = tx.objectStore('connections');
  const sessionStore = tx.objectStore('sessions');
  // Chunks go through the raw store: idb's wrapper adds a promise and two listeners per put. A failed put aborts
  // the transaction, so tx.done still rejects.
  const chunkStore = unwrap(tx.objectStore('chunks'));

  const ids = new Set<string>();
  for (const event of events) ids.add(event.connectionId);
  const connections = new Map<string, ConnectionRecord>();
  const [session, retention] = await Promise.all([
    sessionStore.get(sessionId),
    tx.objectStore('settings').get(RETENTION_KEY),
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
  const cap = new PayloadCapCounter(session, session.source === 'captured' ? sessionPayloadLimit(retentionWithDefaults(retention)) : Infinity);

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
        row.size = event.size;
        row.origin = event.origin;
        row.status = event.status;
        if (event.note !== undefined) row.note = event.note;
        if (event.rule !== undefined) row.rule = event.rule;
        if (cap.admit(event.size, event.time)) {
          row.data = event.encoding === 'text' ? event.payload : (event.bytes ?? toArrayBuffer(base64ToBytes(event.payload)));
          if (event.original !== undefined) row.original = decodePayload(event.original);
        } else row.note = row.note === undefined ? cap.note : `${row.note}; ${cap.note}`;
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
    if (cap.reached) session.payloadCap = cap.reached;
    void sessionStore.put(session);
  }
  await tx.done;
  return { connectionIds: [...touched], written };
}

/** Deletes a session with its connections and frames. */
export async function deleteSession(db: InspectorDatabase, sessionId: string): Promise<void> {
  const tx = db.transaction(['sessions', 'connections', 'chunks'], 'readwrite');
  void tx.objectStore('chunks').delete(keyRange([sessionId]));
  const connections = tx.objectStore('connections');
  let cursor = await connections.index('bySession').openKeyCursor(keyRange([sessionId]));
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
