/**
 * The database: its name, version, stores, keys and indexes, how it is opened, and how a version-1 database becomes
 * version 2. The frame store is shared by the background (writes) and the panel (reads straight from the same
 * extension-origin database).
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
 * What a chunk holds is lib/store/chunk-codec.ts.
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { ConnectionRecord, FrameRecord, SessionRecord } from '../shared/records';
import { ChunkBuilder, toChunkRow, type FrameChunk } from './chunk-codec';

export const DB_NAME = 'websocket-inspector';
export const DB_VERSION = 2;

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

/**
 * Keys that start with `prefix` and end in a number in [from, to]: one session's, tab's or connection's share of a
 * compound key or index above (every one ends in a number).
 */
export function keyRange(prefix: readonly (string | number)[], from = -Infinity, to = Infinity): IDBKeyRange {
  return IDBKeyRange.bound([...prefix, from], [...prefix, to]);
}

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
    const connections = (await connectionStore.index('bySession').getAll(keyRange([session.id]))) as ConnectionRecord[];
    const cursors = await Promise.all(connections.map((c) => frames.openCursor(keyRange([session.id, c.id]))));
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
