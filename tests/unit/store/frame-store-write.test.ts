// Writing to the frame store: sessions created once, events stored as rows with their statistics, positions and
// chunk boundaries, and sessions deleted or all cleared.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, CHUNK_ROWS, connectionRowsOfChunk, rowsOfChunk } from '@/lib/store/chunk-codec';
import { clearAll, deleteSession, ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { connectionFrames, connectionPositionOfSeq, getRow, latestSessionForTab, listConnections, listSessions, readConnectionRows, readSessionRows, sessionFrames } from '@/lib/store/read';
import { getRetention, setRetention } from '@/lib/store/retention-settings';
import type { FrameRecord } from '@/lib/shared/records';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';
import { connect, frame, freshDb, withSession } from './frame-store-fixtures';

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
