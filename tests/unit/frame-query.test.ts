import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';

// fake-indexeddb is slow at cursor advance; these tests page through a few thousand rows.
vi.setConfig({ testTimeout: 60_000 });
import { ensureSession, newSession, openFrameStore, writeEvents, type FrameRecord, type InspectorDatabase } from '@/lib/frame-store';
import type { WireEvent } from '@/lib/protocol';
import { CHECKPOINT_EVERY, FilteredFrames, FrameSequence, compareByTime, refOf, searchAllSessions } from '@/lib/frame-query';
import { compileFilter, emptyFilter } from '@/lib/filters';

let dbCounter = 0;
async function freshDb(): Promise<InspectorDatabase> {
  return openFrameStore(`test-${dbCounter++}`);
}

function frame(sessionId: string, connectionId: string, seq: number, time: number, data: string | ArrayBuffer = `m${seq}`): FrameRecord {
  const text = typeof data === 'string';
  return { sessionId, connectionId, seq, time, kind: 'frame', dir: seq % 2 ? 'send' : 'receive', opcode: text ? 1 : 2, data, size: text ? data.length : data.byteLength, origin: 'page', status: 'sent' };
}

async function put(db: InspectorDatabase, rows: FrameRecord[]): Promise<void> {
  const tx = db.transaction('frames', 'readwrite');
  for (const r of rows) void tx.store.put(r);
  await tx.done;
}

const ids = (rows: FrameRecord[]) => rows.map((r) => `${r.connectionId}#${r.seq}`);

describe('FrameSequence, one connection', () => {
  it('reads any window of a dense connection by key', async () => {
    const db = await freshDb();
    await put(db, Array.from({ length: 500 }, (_, i) => frame('s', 'c', i + 1, 1000 + i)));
    await put(db, [frame('s', 'other', 1, 5), frame('t', 'c', 1, 5)]);
    const view = new FrameSequence(db, { sessionId: 's', connectionId: 'c' });
    expect(await view.refresh()).toBe(true);
    expect(view.total).toBe(500);
    expect(view.indexed).toBe(true);
    expect((await view.rows(0, 3)).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect((await view.rows(250, 2)).map((r) => r.seq)).toEqual([251, 252]);
    expect((await view.rows(498, 10)).map((r) => r.seq)).toEqual([499, 500]);
    expect(await view.rows(500, 10)).toEqual([]);
  });

  it('pages a connection with gaps (paused capture) through checkpoints and from the tail', async () => {
    const db = await freshDb();
    const seqs: number[] = [];
    for (let s = 1; seqs.length < 3 * CHECKPOINT_EVERY + 17; s++) if (s % 7 !== 0) seqs.push(s);
    await put(db, seqs.map((s) => frame('s', 'c', s, s)));
    const view = new FrameSequence(db, { sessionId: 's', connectionId: 'c' });
    await view.refresh();
    expect(view.indexed).toBe(false);
    // Before checkpoints: from the start and from the tail.
    expect((await view.rows(5, 3)).map((r) => r.seq)).toEqual(seqs.slice(5, 8));
    expect((await view.rows(seqs.length - 4, 4)).map((r) => r.seq)).toEqual(seqs.slice(-4));
    expect(await view.buildCheckpoints(new AbortController().signal, 1)).toBe(true);
    expect(view.checkpointCount).toBe(4);
    for (const start of [0, 1023, 1024, 1500, 2048, 3000, seqs.length - 1]) {
      expect((await view.rows(start, 5)).map((r) => r.seq)).toEqual(seqs.slice(start, start + 5));
    }
    expect(await view.positionOf({ connectionId: 'c', seq: seqs[2000], time: 0 })).toBe(2000);
  });

  it('counts appended rows incrementally and notices clears', async () => {
    const db = await freshDb();
    await put(db, Array.from({ length: 10 }, (_, i) => frame('s', 'c', i + 1, i)));
    const view = new FrameSequence(db, { sessionId: 's', connectionId: 'c' });
    await view.refresh();
    expect(await view.refresh()).toBe(false);
    await put(db, [frame('s', 'c', 11, 11), frame('s', 'c', 12, 12)]);
    expect(await view.refresh()).toBe(true);
    expect(view.total).toBe(12);
    expect((await view.rows(10, 5)).map((r) => r.seq)).toEqual([11, 12]);
    await db.clear('frames');
    await view.refresh();
    expect(view.total).toBe(0);
    expect(await view.rows(0, 5)).toEqual([]);
  });
});

describe('FrameSequence, all connections by time', () => {
  it('orders every connection by time, ties by key, at any position', async () => {
    const db = await freshDb();
    const rows: FrameRecord[] = [];
    // Three connections interleaved, with many equal times.
    for (let i = 0; i < 3000; i++) rows.push(frame('s', ['a', 'b', 'c'][i % 3], Math.floor(i / 3) + 1, Math.floor(i / 5)));
    await put(db, rows);
    await put(db, [frame('other', 'a', 1, 1)]);
    const expected = [...rows].sort((x, y) => compareByTime(refOf(x), refOf(y)));
    const view = new FrameSequence(db, { sessionId: 's', connectionId: null });
    await view.refresh();
    expect(view.total).toBe(3000);
    expect(ids(await view.rows(0, 7))).toEqual(ids(expected.slice(0, 7)));
    expect(ids(await view.rows(2990, 20))).toEqual(ids(expected.slice(2990)));
    await view.buildCheckpoints(new AbortController().signal);
    for (const start of [1, 1023, 1024, 1025, 2047, 2048, 2500]) {
      expect(ids(await view.rows(start, 6))).toEqual(ids(expected.slice(start, start + 6)));
    }
    const target = expected[1777];
    expect(await view.positionOf(refOf(target))).toBe(1777);
    await put(db, [frame('s', 'b', 5000, 10_000), frame('s', 'a', 5000, 10_000)]);
    expect(await view.refresh()).toBe(true);
    expect(view.total).toBe(3002);
    expect(ids(await view.rows(3000, 5))).toEqual(['a#5000', 'b#5000']);
  });
});

describe('FrameSequence, with the row counts its writers keep', () => {
  const textFrame = (connectionId: string, seq: number, time: number): WireEvent => ({
    k: 'frame', connectionId, seq, time, dir: 'send', opcode: 1, encoding: 'text', payload: `p${seq}`, size: 2, origin: 'page', status: 'sent',
  });

  it('takes its total from the session and connection records, not from counting, and it is exact', async () => {
    const db = await freshDb();
    await ensureSession(db, newSession({ id: 's', pageUrl: 'https://x/', startedAt: 1 }));
    const batch1: WireEvent[] = [
      { k: 'connect', connectionId: 'a', url: 'wss://x/a', protocols: [], frameUrl: '', time: 1 },
      { k: 'open', connectionId: 'a', seq: 1, time: 2, protocol: '', extensions: '' },
      ...Array.from({ length: 40 }, (_, i) => textFrame('a', i + 2, 10 + i)),
      { k: 'connect', connectionId: 'b', url: 'wss://x/b', protocols: [], frameUrl: '', time: 3 },
      ...Array.from({ length: 25 }, (_, i) => textFrame('b', i + 1, 10.5 + i)),
    ];
    await writeEvents(db, 's', 'https://x/', batch1);
    await writeEvents(db, 's', 'https://x/', batch1.slice(0, 20)); // a resend after a restart: stored once
    await writeEvents(db, 's', 'https://x/', [textFrame('a', 42, 90)], { skipFrames: true }); // paused: not stored
    expect((await db.get('sessions', 's'))?.rowCount).toBe(66);
    expect((await db.get('connections', 'a'))?.rowCount).toBe(41);

    const indexCount = vi.spyOn(IDBIndex.prototype, 'count');
    const storeCount = vi.spyOn(IDBObjectStore.prototype, 'count');
    const all = new FrameSequence(db, { sessionId: 's', connectionId: null });
    await all.refresh();
    const one = new FrameSequence(db, { sessionId: 's', connectionId: 'b' });
    await one.refresh();
    expect(indexCount).not.toHaveBeenCalled();
    expect(storeCount).not.toHaveBeenCalled();
    indexCount.mockRestore();
    storeCount.mockRestore();
    expect(all.total).toBe(await db.countFromIndex('frames', 'bySessionTime', IDBKeyRange.bound(['s', -Infinity], ['s', Infinity])));
    expect(one.total).toBe(25);
    expect((await all.rows(0, 3)).map((r) => `${r.connectionId}#${r.seq}`)).toEqual(['a#1', 'a#2', 'b#1']);

    // Later rows are appended to the count; rows that land before the last known one drop the checkpoints.
    await writeEvents(db, 's', 'https://x/', [textFrame('b', 26, 500)]);
    expect(await all.refresh()).toBe(true);
    expect(all.total).toBe(67);
    expect(await all.buildCheckpoints(new AbortController().signal)).toBe(true);
    await writeEvents(db, 's', 'https://x/', [{ k: 'connect', connectionId: 'c', url: 'wss://x/c', protocols: [], frameUrl: '', time: 4 }, textFrame('c', 1, 5)]);
    await all.refresh();
    expect(all.total).toBe(68);
    expect(all.indexed).toBe(false);
    expect((await all.rows(0, 3)).map((r) => `${r.connectionId}#${r.seq}`)).toEqual(['a#1', 'c#1', 'a#2']);
  });

  it('counts sessions stored before the writers kept a count', async () => {
    const db = await freshDb();
    const { rowCount: _dropped, ...old } = newSession({ id: 's', pageUrl: 'https://x/', startedAt: 1 });
    await ensureSession(db, old);
    await put(db, Array.from({ length: 30 }, (_, i) => frame('s', 'c', i + 1, i)));
    const view = new FrameSequence(db, { sessionId: 's', connectionId: null });
    await view.refresh();
    expect(view.total).toBe(30);
  });
});

describe('FilteredFrames', () => {
  it('scans in chunks and finds exactly the matching rows, in view order, including rows stored later', async () => {
    const db = await freshDb();
    const rows: FrameRecord[] = [];
    for (let i = 0; i < 2000; i++) rows.push(frame('s', i % 2 ? 'a' : 'b', Math.floor(i / 2) + 1, Math.floor(i / 4), i % 10 === 0 ? `hit ${i}` : `miss ${i}`));
    await put(db, rows);
    const filter = { ...emptyFilter(), contains: 'HIT' };
    const { matches } = compileFilter(filter);
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: null }, matches!);
    let chunks = 0;
    while (!view.atEnd) {
      await view.scanChunk();
      chunks++;
    }
    expect(chunks).toBeGreaterThan(1);
    const expected = rows.filter((r) => matches!(r)).sort((x, y) => compareByTime(refOf(x), refOf(y)));
    expect(view.count).toBe(200);
    expect(view.scanned).toBe(2000);
    expect(ids(await view.rows(0, 200))).toEqual(ids(expected));
    expect(ids(await view.rows(195, 10))).toEqual(ids(expected.slice(195)));
    expect(view.positionOf(refOf(expected[42]))).toBe(42);
    await put(db, [frame('s', 'a', 9999, 99_999, 'late hit')]);
    await view.scanChunk();
    expect(view.count).toBe(201);
    expect((await view.rows(200, 1))[0].data).toBe('late hit');
  });

  it('filters one connection', async () => {
    const db = await freshDb();
    await put(db, Array.from({ length: 300 }, (_, i) => frame('s', 'c', i + 1, i)));
    await put(db, [frame('s', 'd', 1, 1)]);
    const { matches } = compileFilter({ ...emptyFilter(), direction: 'receive' });
    const view = new FilteredFrames(db, { sessionId: 's', connectionId: 'c' }, matches!);
    while (!view.atEnd) await view.scanChunk();
    expect(view.count).toBe(150);
    expect((await view.rows(0, 3)).map((r) => r.seq)).toEqual([2, 4, 6]);
  });
});

describe('searchAllSessions', () => {
  it('finds payloads and URLs across sessions', async () => {
    const db = await freshDb();
    await db.put('sessions', { id: 's1', tabId: 1, pageUrl: 'http://x/one', title: 'One', startedAt: 1, lastActivity: 1, source: 'captured', connectionCount: 1, frameCount: 2, bytes: 0 });
    await db.put('sessions', { id: 's2', tabId: null, pageUrl: 'http://x/needle-page', title: 'Two', startedAt: 2, lastActivity: 2, source: 'imported', connectionCount: 0, frameCount: 0, bytes: 0 });
    await put(db, [frame('s1', 'c', 1, 1, 'a needle here'), frame('s1', 'c', 2, 2, 'nothing')]);
    const { matches } = compileFilter({ ...emptyFilter(), contains: 'needle' });
    const hits = await searchAllSessions(db, matches!, 'needle');
    expect(hits.map((h) => [h.session.id, h.row?.seq])).toEqual([['s2', undefined], ['s1', 1]]);
  });
});
