// Export reading the chunked store: pages of a connection's rows, bounded reads of a sparse connection, connections
// read together in one pass, and multi-chunk selections and round trips exact to the byte.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CHUNK_ROWS, MAX_CHUNKS_PER_READ, connectionFrames, connectionReadStep, connectionRowChunks, newSession, sessionFrames, writeEvents } from '@/lib/store/frame-store';
import type { FrameRecord } from '@/lib/shared/records';
import type { WireEvent } from '@/lib/shared/protocol';
import { exportSession, groupConnectionReads, importFile, type ExportScope } from '@/lib/io/session-io';
import { readSessionText } from '@/lib/io/formats/detect';
import { bytesToBase64 } from '@/lib/shared/wire';
import { T0, db, frame, source, useSessionIoDatabase } from './session-io-fixtures';

useSessionIoDatabase();

/**
 * A captured session spanning several chunks: connection a (text frames, even seqs 2, 4, … — gaps on purpose)
 * and b (binary frames, every third a frame) interleaved, in time order.
 */
async function seedLong(sessionId: string, aFrames: number): Promise<{ a: string; b: string }> {
  await db.put('sessions', newSession({ id: sessionId, tabId: 1, pageUrl: 'https://long.test/', title: 'Long', startedAt: T0 }));
  const a = `${sessionId}-a`;
  const b = `${sessionId}-b`;
  const events: WireEvent[] = [
    { k: 'connect', connectionId: a, url: 'wss://long.test/a', protocols: [], frameUrl: 'https://long.test/', time: T0 },
    { k: 'connect', connectionId: b, url: 'wss://long.test/b', protocols: [], frameUrl: 'https://long.test/', time: T0 + 0.25 },
  ];
  let bSeq = 0;
  for (let i = 1; i <= aFrames; i++) {
    events.push(frame(a, 2 * i, i * 1.5 + 0.000001, i % 2 ? 'send' : 'receive', `a-${i} ✓`));
    if (i % 3 === 0) events.push(frame(b, ++bSeq, i * 1.5 + 0.5, 'receive', Uint8Array.from([i & 255, i >> 8, 0, 255])));
  }
  await writeEvents(db, sessionId, 'https://long.test/', events);
  return { a, b };
}

/** Rows in a form toEqual compares by content (ArrayBuffers as byte arrays). */
function comparable(rows: FrameRecord[]) {
  const bytes = (v: string | ArrayBuffer | undefined) => (v instanceof ArrayBuffer ? [...new Uint8Array(v)] : v);
  return rows.map(({ sessionId: _s, connectionId: _c, data, original, ...rest }) => ({ ...rest, data: bytes(data), original: bytes(original) }));
}

/**
 * Records every getAll on the `chunks` store or one of its indexes (how many chunks each returned), below idb, so
 * reads through transactions count as well as db.getAll's. Call the returned `stop` when done.
 */
function recordChunkReads() {
  const reads: Array<{ index: string | null; chunks: number }> = [];
  const restore: Array<() => void> = [];
  for (const proto of [IDBObjectStore.prototype, IDBIndex.prototype] as Array<{ getAll(...args: unknown[]): IDBRequest }>) {
    const original = proto.getAll;
    proto.getAll = function (this: IDBObjectStore | IDBIndex, ...args: unknown[]) {
      const request = original.apply(this, args);
      const store = this instanceof IDBIndex ? this.objectStore : this;
      if (store.name === 'chunks') {
        const index = this instanceof IDBIndex ? this.name : null;
        request.addEventListener('success', () => reads.push({ index, chunks: (request.result as unknown[]).length }));
      }
      return request;
    };
    restore.push(() => (proto.getAll = original));
  }
  return { reads, total: () => reads.reduce((sum, r) => sum + r.chunks, 0), stop: () => restore.forEach((undo) => undo()) };
}

describe('export reads the chunked store', () => {
  it('connectionRowChunks gives exactly the rows with seq in [fromSeq, toSeq], full pages, across chunk boundaries', async () => {
    const { a, b } = await seedLong('long', 700);
    const everyA = await connectionFrames(db, 'long', a);
    expect(everyA).toHaveLength(700);
    // The test only means something if connection a's rows span several chunks.
    expect(new Set(everyA.map((r) => Math.floor(r.pos! / CHUNK_ROWS))).size).toBeGreaterThan(2);
    const last = 1400;
    const ranges: Array<[number, number]> = [
      [-Infinity, Infinity], [2, 2], [1, 1], [3, 3], [300, 900], [511, 513], [2, last], [last, Infinity], [last + 1, Infinity], [-Infinity, 1], [900, 300], [Infinity, -Infinity],
    ];
    // Every range at a few page sizes; page size 1 (a read per row) only on a few, it is slow on fake-indexeddb.
    const cases: Array<[number, number, number]> = [7, CHUNK_ROWS, 5000].flatMap((chunkRows) => ranges.map(([from, to]): [number, number, number] => [chunkRows, from, to]));
    cases.push([1, 511, 519], [1, last - 4, Infinity], [1, 3, 3]);
    for (const [chunkRows, fromSeq, toSeq] of cases) {
      const pages: FrameRecord[][] = [];
      for await (const page of connectionRowChunks(db, 'long', a, chunkRows, fromSeq, toSeq)) pages.push(page);
      const expected = everyA.filter((r) => r.seq >= fromSeq && r.seq <= toSeq);
      const where = `chunkRows ${chunkRows}, seq [${fromSeq}, ${toSeq}]`;
      expect(pages.flat().map((r) => [r.connectionId, r.seq, r.data]), where).toEqual(expected.map((r) => [a, r.seq, r.data]));
      expect(pages.slice(0, -1).every((p) => p.length === chunkRows), where).toBe(true);
      expect(pages.every((p) => p.length > 0 && p.length <= chunkRows), where).toBe(true);
    }
    const pagesOfB: FrameRecord[][] = [];
    for await (const page of connectionRowChunks(db, 'long', b, 50)) pagesOfB.push(page);
    expect(pagesOfB.flat().map((r) => r.seq)).toEqual(Array.from({ length: 233 }, (_, i) => i + 1));
  });

  it('reads a sparse connection a bounded number of chunks at a time, still in full pages', async () => {
    // 40,000 rows, one in 25 from `sparse`: a 5000-row page of it would span the whole session (157 chunks).
    await db.put('sessions', newSession({ id: 'mixed', pageUrl: 'https://mixed.test/', startedAt: T0 }));
    const events: WireEvent[] = [
      { k: 'connect', connectionId: 'dense', url: 'wss://mixed.test/dense', protocols: [], frameUrl: '', time: T0 },
      { k: 'connect', connectionId: 'sparse', url: 'wss://mixed.test/sparse', protocols: [], frameUrl: '', time: T0 },
    ];
    for (let i = 0; i < 40_000; i++) {
      if (i % 25 === 24) events.push(frame('sparse', (i + 1) / 25, i, 'receive', `s${(i + 1) / 25}`));
      else events.push(frame('dense', i + 1, i, 'send', 'd'));
    }
    await writeEvents(db, 'mixed', '', events);
    const step = connectionReadStep(5000, 1600, 40_000);
    expect(step).toBe(Math.floor((MAX_CHUNKS_PER_READ * CHUNK_ROWS * 1600) / 40_000));
    expect(step).toBeLessThan(1600);
    // Every read by connection position, and how many chunks it returned.
    const recorder = recordChunkReads();
    for (const [chunkRows, fromSeq, toSeq] of [[5000, -Infinity, Infinity], [400, -Infinity, Infinity], [5000, 100, 1450], [step, step, step + 1]]) {
      const pages: FrameRecord[][] = [];
      for await (const page of connectionRowChunks(db, 'mixed', 'sparse', chunkRows, fromSeq, toSeq)) pages.push(page);
      const seqs = Array.from({ length: 1600 }, (_, i) => i + 1).filter((seq) => seq >= fromSeq && seq <= toSeq);
      const where = `chunkRows ${chunkRows}, seq [${fromSeq}, ${toSeq}]`;
      expect(pages.flat().map((r) => [r.connectionId, r.seq, r.data]), where).toEqual(seqs.map((seq) => ['sparse', seq, `s${seq}`]));
      expect(pages.map((p) => p.length), where).toEqual(seqs.map((_, i) => i).filter((i) => i % chunkRows === 0).map((i) => Math.min(chunkRows, seqs.length - i)));
    }
    expect(await db.count('chunks')).toBeGreaterThan(150);
    // Plus the store's own look-back of CHUNK_ROWS - 1 connection positions (lib/store/frame-store.ts readConnectionRows),
    // here CHUNK_ROWS * 25 session rows: 25 chunks.
    recorder.stop();
    const chunksPerRead = recorder.reads.filter((r) => r.index === 'byConnectionPos').map((r) => r.chunks);
    expect(chunksPerRead.length).toBeGreaterThan(10);
    expect(Math.max(...chunksPerRead)).toBeLessThanOrEqual(MAX_CHUNKS_PER_READ + 25 + 2);
  });

  it('connections whose rows interleave are read in one pass: the same file, a fraction of the chunk reads', async () => {
    // A busy stream and four heartbeat sockets beside it, all through the session: every chunk holds all five.
    await db.put('sessions', newSession({ id: 'beats', pageUrl: 'https://beats.test/', startedAt: T0 }));
    const ids = ['stream', 'beat-1', 'beat-2', 'beat-3', 'beat-4'];
    const events: WireEvent[] = ids.map((id) => ({ k: 'connect', connectionId: id, url: `wss://beats.test/${id}`, protocols: [], frameUrl: '', time: T0 }));
    const seqs = new Map(ids.map((id) => [id, 0]));
    for (let i = 0; i < 20_000; i++) {
      const id = i % 50 < 46 ? 'stream' : ids[1 + (i % 50) - 46];
      const seq = seqs.get(id)! + 1;
      seqs.set(id, seq);
      events.push(frame(id, seq, i, i % 2 ? 'send' : 'receive', i % 7 ? `${id} ${seq}` : Uint8Array.of(seq & 255, 7)));
    }
    await writeEvents(db, 'beats', 'https://beats.test/', events);
    const sessionChunks = await db.count('chunks');
    const now = new Date(T0);
    const scopes: ExportScope[] = [
      { kind: 'session', sessionId: 'beats' },
      { kind: 'filtered', sessionId: 'beats', predicate: (row) => row.kind !== 'frame' || row.seq % 3 === 0 },
    ];
    for (const scope of scopes) {
      for (const format of ['wsi', 'har'] as const) {
        const where = `${scope.kind} ${format}`;
        const chunksRead = async (budget?: number) => {
          const recorder = recordChunkReads();
          try {
            return { result: await exportSession(db, scope, format, { now, sharedReadBudget: budget }), chunks: recorder.total() };
          } finally {
            recorder.stop();
          }
        };
        const { result: alone, chunks: readAlone } = await chunksRead(0);
        const { result: together, chunks: readTogether } = await chunksRead();
        // A budget the stream does not fit in: it is read on its own, the four heartbeats together.
        const { result: split, chunks: readSplit } = await chunksRead(1_000_000);
        const text = await alone.blob.text();
        expect(await together.blob.text(), where).toBe(text);
        expect(await split.blob.text(), where).toBe(text);
        expect(together.rows, where).toBe(alone.rows);
        expect(readAlone, where).toBeGreaterThanOrEqual(5 * sessionChunks);
        expect(readTogether, where).toBe(sessionChunks);
        // The stream read by itself re-reads the chunk where each of its pages ends.
        expect(readSplit, where).toBeGreaterThanOrEqual(2 * sessionChunks);
        expect(readSplit, where).toBeLessThan(2 * sessionChunks + 8);
      }
    }
  });

  it('groupConnectionReads joins a connection to the run before it only where one pass reads fewer chunks, within the budget', () => {
    const span = (id: string, chunks: number, firstChunk: number, lastChunk: number, memory = 1) => ({ id, chunks, firstChunk, lastChunk, memory });
    // Chunk keys 0, 256, 512, … : chunksBetween counts them.
    const between = (first: number, last: number) => Math.floor(last / 256) - Math.ceil(first / 256) + 1;
    const ids = (runs: Array<{ members: Array<{ id: string }> }>) => runs.map((run) => run.members.map((c) => c.id));
    // Interleaved through the same 100 chunks: one pass.
    expect(ids(groupConnectionReads([span('a', 100, 0, 99 * 256), span('b', 100, 0, 99 * 256), span('c', 90, 0, 99 * 256)], between, 10))).toEqual([['a', 'b', 'c']]);
    // Apart (chunks 0–9 and 50–59): reading the 60 between them would cost more than 10 + 10.
    expect(ids(groupConnectionReads([span('a', 10, 0, 9 * 256), span('b', 10, 50 * 256, 59 * 256)], between, 10))).toEqual([['a'], ['b']]);
    // A connection with a few rows in a corner of a long run is still cheaper read on its own.
    expect(ids(groupConnectionReads([span('a', 100, 0, 99 * 256), span('b', 3, 100 * 256, 102 * 256)], between, 10))).toEqual([['a'], ['b']]);
    // Over the budget: not held together; a run starts again after it.
    expect(ids(groupConnectionReads([span('big', 100, 0, 99 * 256, 8), span('x', 100, 0, 99 * 256, 5), span('y', 100, 0, 99 * 256, 5)], between, 10))).toEqual([['big'], ['x', 'y']]);
    // A connection with no rows reads nothing: it joins no run, and the next one starts afresh.
    expect(ids(groupConnectionReads([span('a', 100, 0, 99 * 256), span('empty', 0, 0, 0), span('b', 100, 0, 99 * 256)], between, 10))).toEqual([['a'], ['empty'], ['b']]);
    expect(groupConnectionReads([], between, 10)).toEqual([]);
  });

  it('connectionReadStep reads a page at once where the connection is most of its session, fewer rows where it is sparse', () => {
    expect(connectionReadStep(5000, 1000, 1000)).toBe(5000);
    expect(connectionReadStep(5000, 100_000, 400_000)).toBe(MAX_CHUNKS_PER_READ * CHUNK_ROWS / 4);
    expect(connectionReadStep(5000, 10, 1_000_000)).toBe(1);
    // No counts (a session gone meanwhile): a page at once, as before there were counts.
    expect(connectionReadStep(5000, 0, 0)).toBe(5000);
    expect(connectionReadStep(7, 3, 9)).toBe(7);
    // Counts read mid-capture may disagree for a moment: never more than the page, never below one row.
    expect(connectionReadStep(5000, 20, 10)).toBe(5000);
  });

  it('a selection across a chunk boundary exports exactly the selected rows', async () => {
    const { a, b } = await seedLong('long', 700);
    // a's seqs 700…860 (every other number) straddle a chunk boundary; b's 120…135 too.
    const keys = [
      ...Array.from({ length: 81 }, (_, i) => ({ connectionId: a, seq: 700 + 2 * i })),
      { connectionId: a, seq: 1 }, // not a row of a: adds nothing
      ...Array.from({ length: 16 }, (_, i) => ({ connectionId: b, seq: 120 + i })),
    ];
    const chunkOf = (rows: FrameRecord[], from: number, to: number) => new Set(rows.filter((r) => r.seq >= from && r.seq <= to).map((r) => Math.floor(r.pos! / CHUNK_ROWS)));
    expect(chunkOf(await connectionFrames(db, 'long', a), 700, 860).size).toBe(2);
    expect(chunkOf(await connectionFrames(db, 'long', b), 120, 135).size).toBe(2);
    for (const chunkRows of [7, 5000]) {
      for (const kind of ['selection', 'filtered'] as const) {
        const exported = await exportSession(db, { kind, sessionId: 'long', keys }, 'wsi', { chunkRows });
        const file = readSessionText(await exported.blob.text());
        expect(file.connections.map((c) => [c.url, c.rows.map((r) => r.seq)])).toEqual([
          ['wss://long.test/a', Array.from({ length: 81 }, (_, i) => 700 + 2 * i)],
          ['wss://long.test/b', Array.from({ length: 16 }, (_, i) => 120 + i)],
        ]);
        expect(file.connections[0].rows[0].data).toBe('a-350 ✓');
        expect(exported.rows).toBe(97);
      }
    }
  });

  it('export → import → export of a multi-chunk session is byte- and timestamp-exact, in the same session order', async () => {
    await seedLong('long', 700);
    const now = new Date(T0);
    const first = await exportSession(db, { kind: 'session', sessionId: 'long' }, 'wsi', { chunkRows: 100, now });
    const imported = await importFile(db, source(first.fileName, await first.blob.text()), { chunkRows: 300 });
    expect(imported.rows).toBe(700 + 233);
    // Captured in time order, so the imported session's order (merged by time) is the captured one.
    expect(comparable(await sessionFrames(db, imported.sessionId))).toEqual(comparable(await sessionFrames(db, 'long')));
    const second = await exportSession(db, { kind: 'session', sessionId: imported.sessionId }, 'wsi', { chunkRows: 100, now });
    // Everything but the store's ids (fresh on import) is the same, to the byte.
    const withoutIds = (text: string) => JSON.stringify((JSON.parse(text) as { connections: Array<{ id?: string }> }).connections.map(({ id: _id, ...rest }) => rest));
    const [one, two] = [withoutIds(await first.blob.text()), withoutIds(await second.blob.text())];
    expect(one.length).toBeGreaterThan(50_000);
    expect(two).toBe(one);
    const reread = readSessionText(await second.blob.text());
    expect(reread.connections[0].rows[0].time).toBe(T0 + 1.500001);
    expect(reread.connections[1].rows[0].data).toBe(bytesToBase64(Uint8Array.from([3, 0, 0, 255])));
  });
});
