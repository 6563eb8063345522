import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { DB_VERSION, openFrameStore } from '@/lib/store/schema';
import { CHUNK_BYTES, CHUNK_ROWS, connectionRowsOfChunk, hydrateChunks, packChunk, rowsOfChunk, type ChunkRow } from '@/lib/store/chunk-codec';
import { clearAll, deleteSession, ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { connectionFrames, connectionPositionOfSeq, getRow, latestSessionForTab, listConnections, listSessions, readConnectionRows, readConnectionsTogether, readSessionRows, sessionFrames } from '@/lib/store/read';
import { enforceRetention, planEviction } from '@/lib/store/retention';
import { DEFAULT_RETENTION, getRetention, setRetention } from '@/lib/store/retention-settings';
import type { FrameRecord, SessionRecord } from '@/lib/shared/records';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';
import { searchAllSessions } from '@/lib/store/frame-query';

let counter = 0;
const freshDb = () => openFrameStore(`frame-store-test-${++counter}`);

const connect = (id: string, time = 10): WireEvent => ({ k: 'connect', connectionId: id, url: `wss://x.test/${id}`, protocols: ['p'], frameUrl: 'https://x.test/f', time });
const frame = (id: string, seq: number, fields: Partial<WireFrameEvent> = {}): WireFrameEvent => ({
  k: 'frame', connectionId: id, seq, time: 10 + seq, dir: 'send', opcode: 1, encoding: 'text', payload: `m${seq}`, size: `m${seq}`.length,
  origin: 'page', status: 'sent', ...fields,
});

async function withSession(id: string, fields: Partial<SessionRecord> = {}) {
  const db = await freshDb();
  await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'https://x.test/', startedAt: 1, ...fields }));
  return db;
}

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

describe('chunk columns', () => {
  it('give back every field of every kind of row exactly, and nothing a row did not have', () => {
    const bytes = new Uint8Array([0, 1, 254, 255]).buffer;
    const rows: ChunkRow[] = [
      { connectionId: 'a', seq: 1, time: 1.25, kind: 'open', size: 0, cpos: 0, protocol: 'chat', extensions: 'permessage-deflate' },
      { connectionId: 'a', seq: 2, time: 2.5, kind: 'frame', size: 2, cpos: 1, dir: 'send', opcode: 1, data: 'hi', origin: 'page', status: 'sent' },
      { connectionId: 'b', seq: 7, time: 3.125, kind: 'frame', size: 4, cpos: 0, dir: 'receive', opcode: 2, data: bytes, origin: 'simulated', status: 'sent', note: 'n' },
      { connectionId: 'a', seq: 3, time: 4, kind: 'frame', size: 1, cpos: 2, dir: 'send', opcode: 1, data: 'x', origin: 'inspector', status: 'refused', rule: 'r1', original: 'y' },
      { connectionId: 'a', seq: 4, time: 5, kind: 'frame', size: 4, cpos: 3, dir: 'receive', opcode: 2, data: bytes, origin: 'page', status: 'blocked', original: bytes },
      { connectionId: 'b', seq: 8, time: 5.5, kind: 'frame', size: 0, cpos: 1, dir: 'send', opcode: 1, data: '', origin: 'page', status: 'dropped' },
      { connectionId: 'b', seq: 9, time: 6, kind: 'error', size: 0, cpos: 2 },
      { connectionId: 'a', seq: 5, time: 7, kind: 'close', size: 0, cpos: 4, code: 4001, reason: 'bye', wasClean: false },
    ];
    const chunk = packChunk('s', 40, rows);
    expect(chunk.ids).toEqual(['a', 'b']);
    expect(chunk.connPos).toEqual([['s', 'a', 0], ['s', 'b', 0]]);
    expect(chunk.connSeq).toEqual([['s', 'a', 1], ['s', 'b', 7]]);
    expect(chunk.extra.map(([i]) => i)).toEqual([0, 2, 3, 4, 7]);
    const back = rowsOfChunk(chunk);
    expect(back).toEqual(rows.map((row, i) => ({ ...row, sessionId: 's', pos: 40 + i })));
    // No field a row did not have, not even as undefined.
    back.forEach((row, i) => expect(Object.keys(row).sort()).toEqual([...Object.keys(rows[i]), 'sessionId', 'pos'].sort()));
  });
});

describe('binary payloads kept in a Blob (FrameChunk.bin)', () => {
  const frameRow = (seq: number, data: ChunkRow['data'], size: number, note?: string): ChunkRow => ({
    connectionId: 'a', seq, time: seq, kind: 'frame', size, cpos: seq, dir: 'receive', opcode: 2, data, origin: 'page', status: 'sent', ...(note ? { note } : {}),
  });
  const first = new Blob([new Uint8Array([1, 2, 3, 4, 5, 6])]);
  const second = new Blob([new Uint8Array([7, 8, 9])]);

  it('packs consecutive ranges of one Blob as one slice, others beside them, and reads every row back exactly', async () => {
    const rows = [
      frameRow(0, { blob: first, start: 1, size: 2 }, 2), // [2, 3]
      frameRow(1, { blob: first, start: 3, size: 0 }, 0),
      frameRow(2, { blob: first, start: 3, size: 3 }, 3), // [4, 5, 6]
      frameRow(3, 'text between', 12),
      frameRow(4, new Uint8Array([42]).buffer, 1), // came as an ArrayBuffer: stays inline
      frameRow(5, { blob: second, start: 0, size: 3 }, 3), // a whole Blob
    ];
    const chunk = packChunk('s', 0, rows);
    expect(chunk.binRows).toEqual([0, 1, 2, 5]);
    expect(chunk.data).toEqual([null, null, null, 'text between', new Uint8Array([42]).buffer, null]);
    expect([...new Uint8Array(await chunk.bin!.arrayBuffer())]).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => rowsOfChunk(chunk)).toThrow(/without hydrateChunks/);
    const [read] = await hydrateChunks([structuredClone(chunk)]); // as IndexedDB gives it back
    expect(read.bin).toBeUndefined();
    expect(rowsOfChunk(read).map((row) => (typeof row.data === 'string' ? row.data : [...new Uint8Array(row.data!)]))).toEqual([
      [2, 3], [], [4, 5, 6], 'text between', [42], [7, 8, 9],
    ]);
  });

  it('every way of reading a session fills in the payloads a chunk keeps in its Blob', async () => {
    const db = await freshDb();
    await ensureSession(db, newSession({ id: 's', pageUrl: 'p', startedAt: 1 }));
    const batch = new Blob([new Uint8Array([10, 11, 12, 13, 14])]);
    await writeEvents(db, 's', 'p', [
      { k: 'connect', connectionId: 'a', url: 'wss://x/', protocols: [], frameUrl: 'p', time: 1 },
      frame('a', 1, { opcode: 2, encoding: 'base64', payload: '', size: 2, bytes: { blob: batch, start: 0, size: 2 } }),
      frame('a', 2, { payload: 'text' }),
      frame('a', 3, { opcode: 2, encoding: 'base64', payload: '', size: 3, bytes: { blob: batch, start: 2, size: 3 } }),
    ]);
    const bytesOf = (row: FrameRecord | undefined) => (row?.data instanceof ArrayBuffer ? [...new Uint8Array(row.data)] : row?.data);
    expect((await readSessionRows(db, 's', 0, 10)).map(bytesOf)).toEqual([[10, 11], 'text', [12, 13, 14]]);
    expect((await sessionFrames(db, 's')).map(bytesOf)).toEqual([[10, 11], 'text', [12, 13, 14]]);
    expect((await readConnectionRows(db, 's', 'a', 2, 1)).map(bytesOf)).toEqual([[12, 13, 14]]);
    expect(bytesOf(await getRow(db, 's', 'a', 1))).toEqual([10, 11]);
    expect((await readConnectionsTogether(db, 's', ['a'], 0, 0)).get('a')!.map(bytesOf)).toEqual([[10, 11], 'text', [12, 13, 14]]);
    const hits = await searchAllSessions(db, () => true, 'no url has this');
    expect(hits.map((hit) => bytesOf(hit.row))).toEqual([[10, 11], 'text', [12, 13, 14]]);
  });

  it('a Blob used whole is stored as it is, not sliced', () => {
    expect(packChunk('s', 0, [frameRow(0, { blob: second, start: 0, size: 3 }, 3)]).bin).toBe(second);
  });

  it('a stored Blob that cannot be read, or does not add up, leaves its rows empty with a note, the rest intact', async () => {
    const unreadable = packChunk('s', 0, [frameRow(0, { blob: first, start: 0, size: 6 }, 6, 'kept'), frameRow(1, 'still here', 10)]);
    unreadable.bin = { arrayBuffer: () => Promise.reject(new Error('file gone')) } as unknown as Blob;
    const short = packChunk('s', 2, [frameRow(2, { blob: second, start: 0, size: 3 }, 3)]);
    short.bin = second.slice(1);
    const [a, b] = await hydrateChunks([unreadable, short]);
    const [broken, intact] = rowsOfChunk(a);
    expect([broken.data, broken.note]).toEqual([new ArrayBuffer(0), 'kept; stored payload could not be read: Error: file gone']);
    expect(intact.data).toBe('still here');
    expect(rowsOfChunk(b)[0]).toMatchObject({ data: new ArrayBuffer(0), note: 'stored payload has 2 bytes, its frames 3', size: 3 });
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

describe('ensureSession / latestSessionForTab', () => {
  it('creates once and returns the stored record afterwards', async () => {
    const db = await freshDb();
    const created = await ensureSession(db, newSession({ id: 's', tabId: 3, pageUrl: 'a', startedAt: 1 }));
    const again = await ensureSession(db, newSession({ id: 's', tabId: 9, pageUrl: 'b', startedAt: 2 }));
    expect(created).toMatchObject({ tabId: 3, pageUrl: 'a' });
    expect(again).toMatchObject({ tabId: 3, pageUrl: 'a' });
  });

  it('finds the newest session of a tab only', async () => {
    const db = await freshDb();
    await ensureSession(db, newSession({ id: 'old', tabId: 3, pageUrl: 'a', startedAt: 1 }));
    await ensureSession(db, newSession({ id: 'new', tabId: 3, pageUrl: 'a', startedAt: 5 }));
    await ensureSession(db, newSession({ id: 'other-tab', tabId: 4, pageUrl: 'a', startedAt: 9 }));
    expect((await latestSessionForTab(db, 3))?.id).toBe('new');
    expect(await latestSessionForTab(db, 5)).toBeUndefined();
  });
});

describe('writeEvents', () => {
  it('stores rows and keeps connection and session statistics', async () => {
    const db = await withSession('s');
    const binary = frame('c', 3, { dir: 'receive', opcode: 2, encoding: 'base64', payload: Buffer.from([1, 2, 3, 4]).toString('base64'), size: 4 });
    const result = await writeEvents(db, 's', 'https://x.test/', [
      connect('c'),
      { k: 'open', connectionId: 'c', seq: 1, time: 11, protocol: 'p', extensions: 'permessage-deflate' },
      frame('c', 2, { payload: 'héllo', size: 6 }),
      binary,
      frame('c', 4, { status: 'refused', note: 'Still in CONNECTING state.' }),
      frame('c', 5, { status: 'dropped' }),
      { k: 'error', connectionId: 'c', seq: 6, time: 16 },
      { k: 'close', connectionId: 'c', seq: 7, time: 17, code: 1006, reason: '', wasClean: false },
    ]);
    expect(result).toEqual({ connectionIds: ['c'], written: 7 });
    const [c] = await listConnections(db, 's');
    expect(c).toMatchObject({
      id: 'c', sessionId: 's', url: 'wss://x.test/c', protocols: ['p'], protocol: 'p', extensions: 'permessage-deflate', frameUrl: 'https://x.test/f',
      pageUrl: 'https://x.test/', startedAt: 10, openedAt: 11, closedAt: 17, state: 'closed', closeCode: 1006, closeReason: '', wasClean: false,
      errored: true, sentCount: 1, sentBytes: 6, receivedCount: 1, receivedBytes: 4, lastSeq: 7,
    });
    const rows = await connectionFrames(db, 's', 'c');
    expect(rows.map((r) => [r.seq, r.kind, r.status])).toEqual([
      [1, 'open', undefined],
      [2, 'frame', 'sent'],
      [3, 'frame', 'sent'],
      [4, 'frame', 'refused'],
      [5, 'frame', 'dropped'],
      [6, 'error', undefined],
      [7, 'close', undefined],
    ]);
    expect(rows[1]).toMatchObject({ data: 'héllo', size: 6, opcode: 1, dir: 'send', origin: 'page' });
    expect(rows[2].data).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(rows[2].data as ArrayBuffer)]).toEqual([1, 2, 3, 4]);
    expect(rows[3].note).toBe('Still in CONNECTING state.');
    expect(rows[6]).toMatchObject({ code: 1006, reason: '', wasClean: false });
    const session = await db.get('sessions', 's');
    expect(session).toMatchObject({ connectionCount: 1, frameCount: 4, bytes: 6 + 4 + 2 + 2, lastActivity: 17 });
  });

  it('is idempotent: a resent batch, a repeated connect and old seqs change nothing', async () => {
    const db = await withSession('s');
    const batch = [connect('c'), frame('c', 1), frame('c', 2)];
    await writeEvents(db, 's', 'p', batch);
    const again = await writeEvents(db, 's', 'p', [...batch, frame('c', 1, { payload: 'changed' })]);
    expect(again).toEqual({ connectionIds: [], written: 0 });
    const more = await writeEvents(db, 's', 'p', [frame('c', 2), frame('c', 3)]);
    expect(more.written).toBe(1);
    expect((await connectionFrames(db, 's', 'c')).map((r) => r.data)).toEqual(['m1', 'm2', 'm3']);
    expect((await listConnections(db, 's'))[0]).toMatchObject({ sentCount: 3, lastSeq: 3 });
    expect(await db.get('sessions', 's')).toMatchObject({ connectionCount: 1, frameCount: 3 });
  });

  it('keeps frames whose connect it never saw', async () => {
    const db = await withSession('s');
    await writeEvents(db, 's', 'https://x.test/', [frame('ghost', 4)]);
    const [c] = await listConnections(db, 's');
    expect(c).toMatchObject({ id: 'ghost', state: 'open', lastSeq: 4, sentCount: 1 });
    expect(await db.get('sessions', 's')).toMatchObject({ connectionCount: 1, frameCount: 1 });
  });

  it('skips frames but keeps lifecycle when asked to (capture paused)', async () => {
    const db = await withSession('s');
    await writeEvents(db, 's', 'p', [connect('c'), { k: 'open', connectionId: 'c', seq: 1, time: 11, protocol: '', extensions: '' }, frame('c', 2)], { skipFrames: true });
    expect((await connectionFrames(db, 's', 'c')).map((r) => r.kind)).toEqual(['open']);
    expect(await db.get('sessions', 's')).toMatchObject({ frameCount: 0, bytes: 0 });
  });

  it('refuses unjoined frame parts and writes nothing of that batch', async () => {
    const db = await withSession('s');
    await expect(writeEvents(db, 's', 'p', [connect('c'), { k: 'frame-part', connectionId: 'c', seq: 1, index: 0, count: 2, payload: 'x' }])).rejects.toThrow(/join/);
    expect(await listConnections(db, 's')).toEqual([]);
  });

  it('gives every row a dense position in its session and in its connection, in the order written', async () => {
    const db = await withSession('s');
    await writeEvents(db, 's', 'p', [connect('a'), connect('b'), frame('a', 1, { time: 30 }), frame('b', 1, { time: 20 })]);
    await writeEvents(db, 's', 'p', [frame('a', 2, { time: 40 }), frame('b', 2, { time: 50 })]);
    const rows = await sessionFrames(db, 's');
    expect(rows.map((r) => [r.connectionId, r.seq, r.pos, r.cpos])).toEqual([
      ['a', 1, 0, 0],
      ['b', 1, 1, 0],
      ['a', 2, 2, 1],
      ['b', 2, 3, 1],
    ]);
    expect(rows.every((r) => r.sessionId === 's')).toBe(true);
    expect(await db.get('sessions', 's')).toMatchObject({ rowCount: 4 });
    expect((await listConnections(db, 's')).map((c) => [c.id, c.rowCount])).toEqual([
      ['a', 2],
      ['b', 2],
    ]);
  });

  it('lists connections by start time, and those started in the same clock tick in the order the page opened them', async () => {
    const db = await withSession('s');
    const ids = Array.from({ length: 12 }, (_, i) => `k3f9a2-mq1x-${i + 1}`);
    // Written out of order, all at one time but the last.
    await writeEvents(db, 's', 'p', [...ids.slice(0, 11)].reverse().map((id) => connect(id, 50)));
    await writeEvents(db, 's', 'p', [connect(ids[11], 40)]);
    expect((await listConnections(db, 's')).map((c) => c.id)).toEqual([ids[11], ...ids.slice(0, 11)]);
  });

  it('keeps at most CHUNK_ROWS rows in a record, and reads any window across chunk boundaries', async () => {
    const db = await withSession('s');
    const n = CHUNK_ROWS * 2 + 17;
    const events: WireEvent[] = [connect('a'), connect('b')];
    for (let i = 1; i <= n; i++) events.push(frame(i % 3 === 0 ? 'b' : 'a', i));
    await writeEvents(db, 's', 'p', events);
    const chunks = await db.getAll('chunks');
    expect(chunks.map((c) => c.seq.length)).toEqual([CHUNK_ROWS, CHUNK_ROWS, 17]);
    expect(chunks.map((c) => c.pos)).toEqual([0, CHUNK_ROWS, 2 * CHUNK_ROWS]);
    const window = await readSessionRows(db, 's', CHUNK_ROWS - 3, 6);
    expect(window.map((r) => r.pos)).toEqual([253, 254, 255, 256, 257, 258].map((p) => p - 256 + CHUNK_ROWS));
    expect(window.map((r) => r.seq)).toEqual(window.map((r) => r.pos! + 1));
    const bRows = events.filter((e) => e.k === 'frame' && e.connectionId === 'b').map((e) => (e as WireFrameEvent).seq);
    const b = await readConnectionRows(db, 's', 'b', 80, 10);
    expect(b.map((r) => r.cpos)).toEqual([80, 81, 82, 83, 84, 85, 86, 87, 88, 89]);
    expect(b.map((r) => r.seq)).toEqual(bRows.slice(80, 90));
    expect((await connectionFrames(db, 's', 'a')).map((r) => r.seq)).toEqual(events.filter((e) => e.k === 'frame' && e.connectionId === 'a').map((e) => (e as WireFrameEvent).seq));
    // By seq: present, absent (the next row), before the first and after the last.
    expect(await connectionPositionOfSeq(db, 's', 'b', bRows[100])).toBe(100);
    expect(await connectionPositionOfSeq(db, 's', 'b', bRows[100] + 1)).toBe(101);
    expect(await connectionPositionOfSeq(db, 's', 'b', -5)).toBe(0);
    expect(await connectionPositionOfSeq(db, 's', 'b', n + 10)).toBe(bRows.length);
    expect(await getRow(db, 's', 'b', bRows[120])).toMatchObject({ seq: bRows[120], cpos: 120, connectionId: 'b' });
    expect(await getRow(db, 's', 'b', bRows[120] + 1)).toBeUndefined();
  });

  it('reads one connection of many interleaved ones with its rare fields, and builds only its rows', async () => {
    const db = await withSession('s');
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const events: WireEvent[] = ids.map((id) => connect(id));
    for (let i = 1; i <= CHUNK_ROWS * 3; i++) {
      const id = ids[i % ids.length];
      events.push(frame(id, i, i % 7 === 0 ? { note: `note ${i}`, rule: `rule ${i}` } : {}));
    }
    await writeEvents(db, 's', 'p', events);
    const all = await sessionFrames(db, 's');
    for (const id of ids) {
      const expected = all.filter((r) => r.connectionId === id && r.kind === 'frame');
      const frames = (await readConnectionRows(db, 's', id, 0, 10_000)).filter((r) => r.kind === 'frame');
      expect(frames).toEqual(expected);
      expect(frames.some((r) => r.note !== undefined)).toBe(true);
      const window = await readConnectionRows(db, 's', id, 50, 20);
      expect(window.map((r) => r.cpos)).toEqual(Array.from({ length: 20 }, (_, k) => 50 + k));
    }
    const chunk = (await db.getAll('chunks'))[1];
    const out: FrameRecord[] = [];
    connectionRowsOfChunk(chunk, 'c', 0, Infinity, out);
    expect(out).toEqual(rowsOfChunk(chunk).filter((r) => r.connectionId === 'c'));
    connectionRowsOfChunk(chunk, 'nobody', 0, Infinity, out);
    expect(out).toHaveLength(rowsOfChunk(chunk).filter((r) => r.connectionId === 'c').length);
  });

  it('seals a chunk early once its payloads reach CHUNK_BYTES', async () => {
    const db = await withSession('s');
    const big = 'x'.repeat(CHUNK_BYTES / 2);
    await writeEvents(db, 's', 'p', [connect('a'), frame('a', 1, { payload: big, size: big.length }), frame('a', 2, { payload: big, size: big.length }), frame('a', 3)]);
    expect((await db.getAll('chunks')).map((c) => c.seq.length)).toEqual([2, 1]);
    expect((await connectionFrames(db, 's', 'a')).map((r) => r.cpos)).toEqual([0, 1, 2]);
  });

  it('stores nothing for a session that was deleted while its page kept capturing, and says so', async () => {
    const db = await freshDb();
    expect(await writeEvents(db, 'gone', 'p', [connect('a'), frame('a', 1)])).toEqual({ connectionIds: [], written: 0, sessionMissing: true });
    expect(await db.count('chunks')).toBe(0);
  });
});

describe('deleteSession / clearAll', () => {
  it('deletes one session’s rows with a range, leaving sessions whose ids share its prefix', async () => {
    const db = await freshDb();
    for (const id of ['s', 's2', 'r']) {
      await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'p', startedAt: 1 }));
      await writeEvents(db, id, 'p', [connect(`${id}-c`), frame(`${id}-c`, 1), frame(`${id}-c`, 2)]);
    }
    await deleteSession(db, 's');
    expect((await listSessions(db)).map((s) => s.id).sort()).toEqual(['r', 's2']);
    expect(await listConnections(db, 's')).toEqual([]);
    expect(await connectionFrames(db, 's', 's-c')).toEqual([]);
    expect(await connectionFrames(db, 's2', 's2-c')).toHaveLength(2);
    expect(await connectionFrames(db, 'r', 'r-c')).toHaveLength(2);
    expect((await db.getAll('chunks')).reduce((n, c) => n + c.seq.length, 0)).toBe(4);
    expect(await db.count('connections')).toBe(2);
  });

  it('clears everything but settings', async () => {
    const db = await withSession('s');
    await writeEvents(db, 's', 'p', [connect('c'), frame('c', 1)]);
    await setRetention(db, { maxSessions: 3, maxBytes: 10 });
    await clearAll(db);
    expect(await db.count('sessions')).toBe(0);
    expect(await db.count('connections')).toBe(0);
    expect(await db.count('chunks')).toBe(0);
    expect(await getRetention(db)).toMatchObject({ maxSessions: 3, maxBytes: 10 });
  });
});

describe('retention', () => {
  const session = (id: string, startedAt: number, bytes: number): SessionRecord => ({
    ...newSession({ id, pageUrl: 'p', startedAt }),
    bytes,
    connectionCount: 1,
    frameCount: 1,
  });
  const empty = (id: string, startedAt: number, fields: Partial<SessionRecord> = {}): SessionRecord => ({ ...newSession({ id, pageUrl: 'p', startedAt }), ...fields });

  it('defaults to 100 sessions and 1 GB, and 256 MiB per live session', async () => {
    const db = await freshDb();
    expect(await getRetention(db)).toEqual(DEFAULT_RETENTION);
    expect(DEFAULT_RETENTION).toEqual({ maxSessions: 100, maxBytes: 1024 ** 3, maxSessionBytes: 256 * 1024 ** 2 });
  });

  it('plans nothing when within both limits', () => {
    expect(planEviction([session('a', 1, 10), session('b', 2, 10)], { maxSessions: 2, maxBytes: 20 }, new Set())).toEqual([]);
  });

  it('evicts the oldest first until the count fits', () => {
    const list = [session('a', 1, 0), session('b', 2, 0), session('c', 3, 0), session('d', 4, 0)];
    expect(planEviction(list, { maxSessions: 2, maxBytes: Infinity }, new Set())).toEqual(['a', 'b']);
  });

  it('evicts the oldest first until the bytes fit', () => {
    const list = [session('a', 1, 50), session('b', 2, 50), session('c', 3, 50)];
    expect(planEviction(list, { maxSessions: 100, maxBytes: 100 }, new Set())).toEqual(['a']);
    expect(planEviction(list, { maxSessions: 100, maxBytes: 60 }, new Set())).toEqual(['a', 'b']);
  });

  it('never evicts a session being captured, even the oldest', () => {
    const list = [session('live', 1, 100), session('b', 2, 10), session('c', 3, 10)];
    expect(planEviction(list, { maxSessions: 1, maxBytes: Infinity }, new Set(['live']))).toEqual(['b', 'c']);
    // If only live sessions remain over the limit, they stay.
    expect(planEviction([session('live', 1, 500)], { maxSessions: 0, maxBytes: 1 }, new Set(['live']))).toEqual([]);
  });

  it('evicts captured sessions that stayed empty (page loads without a WebSocket) first, and they never count', () => {
    const list = [session('a', 1, 10), empty('e1', 2), session('b', 3, 10), empty('live-empty', 4), empty('e2', 5), empty('imported', 6, { source: 'imported' })];
    // Within the cap once the empties are gone (a, b, the live one and the imported one remain): only the empties
    // that are not live go.
    expect(planEviction(list, { maxSessions: 4, maxBytes: Infinity }, new Set(['live-empty']))).toEqual(['e1', 'e2']);
    // Over the cap: empties first, then the oldest real ones.
    expect(planEviction(list, { maxSessions: 3, maxBytes: Infinity }, new Set(['live-empty']))).toEqual(['e1', 'e2', 'a']);
    // A session with a connection but no frames is not empty.
    expect(planEviction([empty('conn-only', 1, { connectionCount: 1 })], DEFAULT_RETENTION, new Set())).toEqual([]);
  });

  it('enforceRetention deletes the planned sessions with their rows', async () => {
    const db = await freshDb();
    for (const [id, startedAt] of [['old', 1], ['mid', 2], ['new', 3]] as const) {
      await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'p', startedAt }));
      await writeEvents(db, id, 'p', [connect(`${id}-c`), frame(`${id}-c`, 1, { payload: 'x'.repeat(100), size: 100 })]);
    }
    const evicted = await enforceRetention(db, { maxSessions: 10, maxBytes: 150 }, new Set(['old']));
    expect(evicted).toEqual(['mid', 'new']);
    expect((await listSessions(db)).map((s) => s.id)).toEqual(['old']);
    expect((await db.getAll('chunks')).reduce((n, c) => n + c.seq.length, 0)).toBe(1);
    expect(await db.count('connections')).toBe(1);
  });

  it('enforceRetention asks stillLive about the sessions it would evict, and spares those it names', async () => {
    const db = await freshDb();
    for (const [id, startedAt] of [['old', 1], ['mid', 2], ['new', 3]] as const) {
      await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'p', startedAt }));
      await writeEvents(db, id, 'p', [connect(`${id}-c`), frame(`${id}-c`, 1, { payload: 'x', size: 1 })]);
    }
    const asked: string[][] = [];
    const evicted = await enforceRetention(db, { maxSessions: 1, maxBytes: Infinity }, new Set(), async (candidates) => {
      asked.push(candidates.map((s) => s.id));
      return ['old'];
    });
    expect(asked).toEqual([['old', 'mid']]);
    expect(evicted).toEqual(['mid', 'new']);
    expect((await listSessions(db)).map((s) => s.id)).toEqual(['old']);
  });
});
