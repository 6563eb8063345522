// The frame store's schema: its stores and indexes, reopening, a database someone else created empty, and the
// upgrade from version 1 (one record per row) to chunks.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DB_VERSION, openFrameStore } from '@/lib/store/schema';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { connectionFrames, getRow, listConnections, sessionFrames } from '@/lib/store/read';
import { DEFAULT_RETENTION, getRetention } from '@/lib/store/retention-settings';
import { frame, freshDb } from './frame-store-fixtures';

/** Numbers the databases these tests name themselves. */
let counter = 0;

describe('schema', () => {
  it('has the stores, keys and indexes the panel pages through', async () => {
    const db = await freshDb();
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual(['chunks', 'connections', 'sessions', 'settings']);
    const tx = db.transaction(['sessions', 'connections', 'chunks', 'settings']);
    const sessions = tx.objectStore('sessions');
    expect(sessions.keyPath).toBe('id');
    expect([...sessions.indexNames].sort()).toEqual(['byStartedAt', 'byTab']);
    expect(sessions.index('byTab').keyPath).toEqual(['tabId', 'startedAt']);
    const connections = tx.objectStore('connections');
    expect(connections.index('bySession').keyPath).toEqual(['sessionId', 'startedAt']);
    const chunks = tx.objectStore('chunks');
    expect(chunks.keyPath).toEqual(['sessionId', 'pos']);
    expect(chunks.index('byConnectionPos').keyPath).toBe('connPos');
    expect(chunks.index('byConnectionPos').multiEntry).toBe(true);
    expect(chunks.index('byConnectionSeq').keyPath).toBe('connSeq');
    expect(chunks.index('byConnectionSeq').multiEntry).toBe(true);
    expect(tx.objectStore('settings').keyPath).toBeNull();
    db.close();
  });

  it('opening an existing database again keeps its data', async () => {
    const name = `frame-store-reopen-${++counter}`;
    const first = await openFrameStore(name);
    await ensureSession(first, newSession({ id: 's', pageUrl: 'u', startedAt: 5 }));
    first.close();
    const second = await openFrameStore(name);
    expect(await second.get('sessions', 's')).toMatchObject({ id: 's', startedAt: 5 });
  });
});

describe('openFrameStore over a database someone else created empty', () => {
  it('an empty version-1 database (indexedDB.open(name) with no version) opens as a new one, and stores', async () => {
    const name = 'empty-v1';
    const empty = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    expect([empty.version, empty.objectStoreNames.length]).toEqual([1, 0]);
    empty.close();
    const db = await openFrameStore(name);
    expect([...db.objectStoreNames].sort()).toEqual(['chunks', 'connections', 'sessions', 'settings']);
    await ensureSession(db, newSession({ id: 's', tabId: 1, pageUrl: 'p', startedAt: 1 }));
    await writeEvents(db, 's', 'p', [{ k: 'connect', connectionId: 'c', url: 'wss://x/', protocols: [], frameUrl: 'p', time: 1 }]);
    expect((await listConnections(db, 's')).map((c) => c.id)).toEqual(['c']);
    db.close();
  });
});

describe('upgrade from version 1 (one record per row)', () => {
  /** A version-1 database as that schema made it, with rows stored out of time order across connections. */
  async function versionOne(name: string): Promise<void> {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(name, 1);
      request.onupgradeneeded = () => {
        const d = request.result;
        d.createObjectStore('sessions', { keyPath: 'id' }).createIndex('byStartedAt', 'startedAt');
        request.transaction!.objectStore('sessions').createIndex('byTab', ['tabId', 'startedAt']);
        d.createObjectStore('connections', { keyPath: 'id' }).createIndex('bySession', ['sessionId', 'startedAt']);
        d.createObjectStore('frames', { keyPath: ['sessionId', 'connectionId', 'seq'] }).createIndex('bySessionTime', ['sessionId', 'time']);
        d.createObjectStore('settings');
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const tx = db.transaction(['sessions', 'connections', 'frames', 'settings'], 'readwrite');
    const session = { id: 's', tabId: 1, pageUrl: 'p', title: '', startedAt: 1, lastActivity: 9, source: 'captured', connectionCount: 2, frameCount: 3, bytes: 6 };
    tx.objectStore('sessions').put(session);
    tx.objectStore('sessions').put({ ...session, id: 'empty', connectionCount: 0, frameCount: 0, bytes: 0 });
    for (const id of ['a', 'b']) {
      tx.objectStore('connections').put({ id, sessionId: 's', url: `wss://x/${id}`, protocols: [], protocol: '', extensions: '', frameUrl: 'p', pageUrl: 'p', startedAt: 1, state: 'open', errored: false, sentCount: 0, receivedCount: 0, sentBytes: 0, receivedBytes: 0, lastSeq: 2 });
    }
    const bytes = new Uint8Array([0, 255, 7]).buffer;
    tx.objectStore('frames').put({ sessionId: 's', connectionId: 'a', seq: 1, time: 30, kind: 'frame', dir: 'send', opcode: 2, data: bytes, size: 3, origin: 'page', status: 'sent' });
    tx.objectStore('frames').put({ sessionId: 's', connectionId: 'a', seq: 2, time: 50, kind: 'close', size: 0, code: 4001, reason: 'bye', wasClean: true });
    tx.objectStore('frames').put({ sessionId: 's', connectionId: 'b', seq: 1, time: 20, kind: 'frame', dir: 'receive', opcode: 1, data: 'hi', size: 2, origin: 'page', status: 'sent' });
    tx.objectStore('frames').put({ sessionId: 's', connectionId: 'b', seq: 2, time: 40, kind: 'frame', dir: 'send', opcode: 1, data: 'yo', size: 2, origin: 'page', status: 'sent' });
    // A clock that went backwards: the connection must stay in seq order.
    tx.objectStore('frames').put({ sessionId: 's', connectionId: 'b', seq: 3, time: 10, kind: 'frame', dir: 'send', opcode: 1, data: 'late', size: 4, origin: 'page', status: 'sent' });
    tx.objectStore('settings').put({ maxSessions: 7, maxBytes: 70 }, 'retention');
    await new Promise((resolve, reject) => {
      tx.oncomplete = resolve;
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }

  it('moves every row into chunks merged by time, each connection in seq order, with exact positions and counts, and drops the old store', async () => {
    const name = `frame-store-v1-${++counter}`;
    await versionOne(name);
    const db = await openFrameStore(name);
    expect([...db.objectStoreNames].sort()).toEqual(['chunks', 'connections', 'sessions', 'settings']);
    const rows = await sessionFrames(db, 's');
    expect(rows.map((r) => [r.connectionId, r.seq, r.time, r.pos, r.cpos])).toEqual([
      ['b', 1, 20, 0, 0],
      ['a', 1, 30, 1, 0],
      ['b', 2, 40, 2, 1],
      ['b', 3, 10, 3, 2],
      ['a', 2, 50, 4, 1],
    ]);
    expect(new Uint8Array(rows[1].data as ArrayBuffer)).toEqual(new Uint8Array([0, 255, 7]));
    expect(rows[4]).toMatchObject({ kind: 'close', code: 4001, reason: 'bye', wasClean: true });
    expect(await getRow(db, 's', 'b', 3)).toMatchObject({ data: 'late', cpos: 2 });
    expect(await db.get('sessions', 's')).toMatchObject({ rowCount: 5, frameCount: 3 });
    expect(await db.get('sessions', 'empty')).toMatchObject({ rowCount: 0 });
    expect((await listConnections(db, 's')).map((c) => [c.id, c.rowCount])).toEqual([
      ['a', 2],
      ['b', 3],
    ]);
    // A setting stored before the per-session cap existed reads back with its default.
    expect(await getRetention(db)).toEqual({ maxSessions: 7, maxBytes: 70, maxSessionBytes: DEFAULT_RETENTION.maxSessionBytes });
    // Capture goes on where the old rows end.
    await writeEvents(db, 's', 'p', [frame('a', 3)]);
    expect((await connectionFrames(db, 's', 'a')).map((r) => [r.seq, r.pos, r.cpos])).toEqual([
      [1, 1, 0],
      [2, 4, 1],
      [3, 5, 2],
    ]);
  });
});
