import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';

// fake-indexeddb is slow; these tests page through a few thousand rows.
vi.setConfig({ testTimeout: 60_000 });
import { openFrameStore, type InspectorDatabase } from '@/lib/store/schema';
import { CHUNK_ROWS } from '@/lib/store/chunk-codec';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import type { FrameRecord } from '@/lib/shared/records';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';
import { FilteredFrames, FrameSequence, refOf, searchAllSessions } from '@/lib/store/frame-query';
import { compileFilter, emptyFilter } from '@/lib/shared/filters';

let dbCounter = 0;
async function freshDb(): Promise<InspectorDatabase> {
  return openFrameStore(`test-${dbCounter++}`);
}

const connect = (connectionId: string): WireEvent => ({ k: 'connect', connectionId, url: `wss://x/${connectionId}`, protocols: [], frameUrl: '', time: 0 });
function frame(connectionId: string, seq: number, time: number, payload = `m${seq}`): WireFrameEvent {
  return { k: 'frame', connectionId, seq, time, dir: seq % 2 ? 'send' : 'receive', opcode: 1, encoding: 'text', payload, size: payload.length, origin: 'page', status: 'sent' };
}

/** Stores events through the capture writer (the session is created first). */
async function store(db: InspectorDatabase, sessionId: string, events: WireEvent[]): Promise<void> {
  await ensureSession(db, newSession({ id: sessionId, pageUrl: 'https://x/', startedAt: 1 }));
  await writeEvents(db, sessionId, 'https://x/', events);
}

const ids = (rows: Array<Pick<FrameRecord, 'connectionId' | 'seq'>>) => rows.map((r) => `${r.connectionId}#${r.seq}`);

describe('FrameSequence, one connection', () => {
  it('reads any window, across chunk boundaries, and skips seqs that were never stored', async () => {
    const db = await freshDb();
    // Gaps as a paused capture leaves them; another connection interleaved; another session.
    const seqs: number[] = [];
    for (let s = 1; seqs.length < 3 * CHUNK_ROWS + 17; s++) if (s % 7 !== 0) seqs.push(s);
    await store(db, 's', [connect('c'), connect('other'), ...seqs.flatMap((s) => (s % 5 === 0 ? [frame('c', s, s), frame('other', s, s)] : [frame('c', s, s)]))]);
    await store(db, 't', [connect('c'), frame('c', 1, 5)]);
    const view = new FrameSequence(db, { sessionId: 's', connectionId: 'c' });
    expect(await view.refresh()).toBe(true);
    expect(view.total).toBe(seqs.length);
    for (const start of [0, 5, CHUNK_ROWS - 1, CHUNK_ROWS, 300, 2 * CHUNK_ROWS + 3, seqs.length - 4]) {
      expect((await view.rows(start, 5)).map((r) => r.seq)).toEqual(seqs.slice(start, start + 5));
    }
    expect(await view.rows(seqs.length, 10)).toEqual([]);
    const row = (await view.rows(500, 1))[0];
    expect(view.positionOf(refOf(row))).toBe(500);
    expect(view.positionOf({ ...refOf(row), connectionId: 'other' })).toBe(-1);
  });

  it('sees appended rows on refresh, and nothing once its session is deleted', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('c'), ...Array.from({ length: 10 }, (_, i) => frame('c', i + 1, i))]);
    const view = new FrameSequence(db, { sessionId: 's', connectionId: 'c' });
    await view.refresh();
    expect(await view.refresh()).toBe(false);
    await writeEvents(db, 's', 'p', [frame('c', 11, 11), frame('c', 12, 12)]);
    expect(await view.refresh()).toBe(true);
    expect(view.total).toBe(12);
    expect((await view.rows(10, 5)).map((r) => r.seq)).toEqual([11, 12]);
    await db.clear('connections');
    await db.clear('chunks');
    await view.refresh();
    expect(view.total).toBe(0);
    expect(await view.rows(0, 5)).toEqual([]);
  });
});

describe('FrameSequence, all connections', () => {
  it('shows the session in the order its rows were stored, at any position, without counting', async () => {
    const db = await freshDb();
    const events: WireEvent[] = [connect('a'), connect('b'), connect('c')];
    for (let i = 0; i < 3000; i++) events.push(frame(['a', 'b', 'c'][i % 3], Math.floor(i / 3) + 1, Math.floor(i / 5)));
    // In several batches, as the capture writes them.
    for (let at = 0; at < events.length; at += 700) await store(db, 's', events.slice(at, at + 700));
    await store(db, 'other', [connect('z'), frame('z', 1, 1)]);
    const expected = events.filter((e) => e.k === 'frame') as WireFrameEvent[];
    const indexCount = vi.spyOn(IDBIndex.prototype, 'count');
    const storeCount = vi.spyOn(IDBObjectStore.prototype, 'count');
    const view = new FrameSequence(db, { sessionId: 's', connectionId: null });
    await view.refresh();
    expect(view.total).toBe(3000);
    for (const start of [0, 1, 255, 256, 1023, 1024, 2047, 2500, 2990]) {
      expect(ids(await view.rows(start, 20))).toEqual(ids(expected.slice(start, start + 20)));
    }
    expect(indexCount).not.toHaveBeenCalled();
    expect(storeCount).not.toHaveBeenCalled();
    indexCount.mockRestore();
    storeCount.mockRestore();
    const target = (await view.rows(1777, 1))[0];
    expect(target.pos).toBe(1777);
    expect(view.positionOf(refOf(target))).toBe(1777);
    await writeEvents(db, 's', 'p', [frame('b', 5000, 10_000), frame('a', 5000, 10_000)]);
    expect(await view.refresh()).toBe(true);
    expect(view.total).toBe(3002);
    expect(ids(await view.rows(3000, 5))).toEqual(['b#5000', 'a#5000']);
  });

  it('takes its total from the records the writers keep, exact through resends and pauses', async () => {
    const db = await freshDb();
    const batch: WireEvent[] = [
      connect('a'),
      { k: 'open', connectionId: 'a', seq: 1, time: 2, protocol: '', extensions: '' },
      ...Array.from({ length: 40 }, (_, i) => frame('a', i + 2, 10 + i)),
      connect('b'),
      ...Array.from({ length: 25 }, (_, i) => frame('b', i + 1, 10.5 + i)),
    ];
    await store(db, 's', batch);
    await writeEvents(db, 's', 'p', batch.slice(0, 20)); // a resend after a restart: stored once
    await writeEvents(db, 's', 'p', [frame('a', 42, 90)], { skipFrames: true }); // paused: not stored
    const all = new FrameSequence(db, { sessionId: 's', connectionId: null });
    await all.refresh();
    const one = new FrameSequence(db, { sessionId: 's', connectionId: 'b' });
    await one.refresh();
    expect(all.total).toBe(66);
    expect(one.total).toBe(25);
    expect(ids(await all.rows(0, 3))).toEqual(['a#1', 'a#2', 'a#3']);
    expect(ids(await all.rows(64, 5))).toEqual(['b#24', 'b#25']);
  });
});

describe('FilteredFrames', () => {
  it('scans in slices and finds exactly the matching rows, in view order, including rows stored later', async () => {
    const db = await freshDb();
    const events: WireEvent[] = [connect('a'), connect('b')];
    for (let i = 0; i < 2000; i++) events.push(frame(i % 2 ? 'a' : 'b', Math.floor(i / 2) + 1, Math.floor(i / 4), i % 10 === 0 ? `hit ${i}` : `miss ${i}`));
    await store(db, 's', events);
    const { matches } = compileFilter({ ...emptyFilter(), contains: 'HIT' });
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: null }, matches!);
    let slices = 0;
    while (!view.atEnd) {
      await view.scanChunk();
      slices++;
    }
    expect(slices).toBeGreaterThan(1);
    const expected = (events.filter((e) => e.k === 'frame') as WireFrameEvent[]).filter((e) => e.payload.startsWith('hit'));
    expect(view.count).toBe(200);
    expect(view.scanned).toBe(2000);
    expect(ids(await view.rows(0, 200))).toEqual(ids(expected));
    expect(ids(await view.rows(195, 10))).toEqual(ids(expected.slice(195)));
    const row42 = (await view.rows(42, 1))[0];
    expect(view.positionOf(refOf(row42))).toBe(42);
    expect(view.positionOf({ ...refOf(row42), pos: row42.pos! + 1 })).toBe(-1);
    await writeEvents(db, 's', 'p', [frame('a', 9999, 99_999, 'late hit')]);
    await view.scanChunk();
    expect(view.count).toBe(201);
    expect((await view.rows(200, 1))[0].data).toBe('late hit');
  });

  it('reads sparse matches far apart, each from its own chunk', async () => {
    const db = await freshDb();
    const events: WireEvent[] = [connect('a')];
    for (let i = 1; i <= 5 * CHUNK_ROWS; i++) events.push(frame('a', i, i, i % 300 === 0 ? 'needle' : 'hay'));
    await store(db, 's', events);
    const { matches } = compileFilter({ ...emptyFilter(), contains: 'needle' });
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: 'a' }, matches!);
    while (!view.atEnd) await view.scanChunk();
    expect((await view.rows(0, 10)).map((r) => r.seq)).toEqual([300, 600, 900, 1200]);
    expect((await view.rows(2, 1)).map((r) => r.seq)).toEqual([900]);
  });

  it('sizes its second slice to fill a first screen when matches are sparse', async () => {
    const db = await freshDb();
    const events: WireEvent[] = [connect('a')];
    for (let i = 1; i <= 20_000; i++) events.push(frame('a', i, i, i % 100 === 0 ? 'trade' : 'quote'));
    await store(db, 's', events);
    const { matches } = compileFilter({ ...emptyFilter(), contains: 'trade' });
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: null }, matches!);
    await view.scanChunk();
    expect(view.scanned).toBe(256);
    await view.scanChunk();
    // At 2 matches in 256 rows, about 9,700 more rows hold the rest of 100; the slice is capped at 8,192.
    expect(view.scanned).toBe(256 + 8192);
    expect(view.count).toBe(84);
  });

  it('serves the first and the newest matches from what the scan read, and reads the others and big rows again', async () => {
    const db = await freshDb();
    const big = 'hit ' + 'x'.repeat(5000);
    const events: WireEvent[] = [connect('a')];
    for (let i = 1; i <= 3000; i++) events.push(frame('a', i, i, i === 2 ? big : `hit ${i}`));
    await store(db, 's', events);
    const { matches } = compileFilter({ ...emptyFilter(), contains: 'hit' });
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: null }, matches!);
    while (!view.atEnd) await view.scanChunk();
    expect(view.count).toBe(3000);
    const storeReads = vi.spyOn(IDBObjectStore.prototype, 'getAll');
    const indexReads = vi.spyOn(IDBIndex.prototype, 'getAll');
    expect((await view.rows(10, 5)).map((r) => r.seq)).toEqual([11, 12, 13, 14, 15]);
    expect((await view.rows(2990, 20)).map((r) => r.seq)).toEqual([2991, 2992, 2993, 2994, 2995, 2996, 2997, 2998, 2999, 3000]);
    expect(storeReads).not.toHaveBeenCalled();
    expect(indexReads).not.toHaveBeenCalled();
    // Past the first 1024 and before the newest 1024: read again, exactly.
    expect((await view.rows(1500, 3)).map((r) => [r.seq, r.data])).toEqual([[1501, 'hit 1501'], [1502, 'hit 1502'], [1503, 'hit 1503']]);
    expect(storeReads).toHaveBeenCalled();
    storeReads.mockClear();
    // A row too big to keep: read again, in its place among kept ones.
    expect((await view.rows(0, 3)).map((r) => r.data)).toEqual(['hit 1', big, 'hit 3']);
    expect(storeReads).toHaveBeenCalled();
    storeReads.mockRestore();
    indexReads.mockRestore();
  });

  it('filters one connection', async () => {
    const db = await freshDb();
    await store(db, 's', [connect('c'), connect('d'), ...Array.from({ length: 300 }, (_, i) => frame('c', i + 1, i)), frame('d', 2, 1)]);
    const { matches } = compileFilter({ ...emptyFilter(), direction: 'receive' });
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: 'c' }, matches!);
    while (!view.atEnd) await view.scanChunk();
    expect(view.count).toBe(150);
    expect((await view.rows(0, 3)).map((r) => r.seq)).toEqual([2, 4, 6]);
    expect(view.positionOf(refOf((await view.rows(7, 1))[0]))).toBe(7);
  });
});

describe('searchAllSessions', () => {
  it('finds payloads and URLs across sessions', async () => {
    const db = await freshDb();
    await store(db, 's1', [connect('c'), frame('c', 1, 1, 'a needle here'), frame('c', 2, 2, 'nothing')]);
    await db.put('sessions', { ...newSession({ id: 's2', pageUrl: 'http://x/needle-page', startedAt: 2 }), source: 'imported' });
    const { matches } = compileFilter({ ...emptyFilter(), contains: 'needle' });
    const hits = await searchAllSessions(db, matches!, 'needle');
    expect(hits.map((h) => [h.session.id, h.row?.seq])).toEqual([['s2', undefined], ['s1', 1]]);
  });
});
