// Import writing the chunked store: connections merged by time with dense positions, each connection kept in seq
// order, rows refused before anything is written, and mergeByTime itself.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { CHUNK_ROWS, connectionFrames, getRow, sessionFrames } from '@/lib/store/frame-store';
import { importFile, mergeByTime, writeImportedSession } from '@/lib/io/session-io';
import type { PortableRow, PortableSession } from '@/lib/io/formats/model';
import { readSessionText } from '@/lib/io/formats/detect';
import { T0, db, seedCaptured, snapshot, source, useSessionIoDatabase } from './session-io-fixtures';

useSessionIoDatabase();

/** A `.wsi.json` file with the given connections (rows of text frames at the given times). */
function wsiFile(connections: Array<{ url: string; times: number[] }>): string {
  return JSON.stringify({
    format: 'websocket-inspector',
    version: 1,
    session: { pageUrl: 'https://mix.test/' },
    connections: connections.map((c) => ({
      url: c.url,
      rows: c.times.map((time, i) => ({ seq: i + 1, time, kind: 'frame', dir: 'receive', opcode: 1, data: `${c.url} #${i + 1}` })),
    })),
  });
}

describe('import writes the chunked store', () => {
  for (const chunkRows of [undefined, 100, 1]) {
    it(`merges connections by time: session rows in time order, dense pos and cpos, exact row counts (chunkRows ${chunkRows ?? 'default'})`, async () => {
      // Connection 0 every 1 ms; connection 1 half a millisecond later, and at the very same time every tenth row:
      // ties go to the earlier connection in the file.
      const times0 = Array.from({ length: 300 }, (_, i) => T0 + i);
      const times1 = Array.from({ length: 250 }, (_, j) => T0 + j + (j % 10 === 0 ? 0 : 0.5));
      // Ids sort the other way round from file order, so a tie broken by id would show.
      const ids = ['session-x', 'z-first-in-file', 'a-second-in-file'];
      const progress: Array<[number, number]> = [];
      const result = await importFile(db, source('mix.wsi.json', wsiFile([{ url: 'wss://mix.test/0', times: times0 }, { url: 'wss://mix.test/1', times: times1 }])), {
        chunkRows,
        newId: () => ids.shift()!,
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(result.connectionIds).toEqual(['z-first-in-file', 'a-second-in-file']);

      const expected = [...times0.map((time, i) => ({ c: 0, seq: i + 1, time })), ...times1.map((time, i) => ({ c: 1, seq: i + 1, time }))]
        .sort((x, y) => x.time - y.time || x.c - y.c);
      const rows = await sessionFrames(db, 'session-x');
      expect(rows.map((r) => [result.connectionIds.indexOf(r.connectionId), r.seq, r.time])).toEqual(expected.map((e) => [e.c, e.seq, e.time]));
      expect(rows.map((r) => r.pos)).toEqual(rows.map((_, i) => i));
      const session = (await db.get('sessions', 'session-x'))!;
      expect(session.rowCount).toBe(550);

      for (const [ci, count] of [[0, 300], [1, 250]] as const) {
        const id = result.connectionIds[ci];
        const inSessionOrder = rows.filter((r) => r.connectionId === id);
        expect(inSessionOrder.map((r) => r.cpos)).toEqual(Array.from({ length: count }, (_, i) => i));
        expect(inSessionOrder.map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        const byConnection = await connectionFrames(db, 'session-x', id);
        expect(byConnection.map((r) => [r.cpos, r.seq, r.data])).toEqual(inSessionOrder.map((r) => [r.cpos, r.seq, r.data]));
        expect((await db.get('connections', id))!.rowCount).toBe(count);
        expect((await getRow(db, 'session-x', id, 123))?.data).toBe(`wss://mix.test/${ci} #123`);
      }

      const chunks = await db.getAll('chunks', IDBKeyRange.bound(['session-x', -Infinity], ['session-x', Infinity]));
      expect(chunks.length).toBeGreaterThan(2);
      expect(chunks.every((c) => c.seq.length >= 1 && c.seq.length <= CHUNK_ROWS)).toBe(true);
      expect(chunks.map((c) => c.pos)).toEqual(chunks.map((_, i) => chunks.slice(0, i).reduce((sum, c) => sum + c.seq.length, 0)));
      // Progress after each transaction, up to every row; a transaction never holds more than chunkRows rows.
      expect(progress.at(-1)).toEqual([550, 550]);
      const steps = progress.map(([done], i) => done - (i === 0 ? 0 : progress[i - 1][0]));
      expect(steps.every((n) => n > 0 && n <= (chunkRows ?? CHUNK_ROWS * 8))).toBe(true);
      if (chunkRows !== undefined) expect(progress).toHaveLength(Math.ceil(550 / chunkRows));
    });
  }

  it('keeps each connection in seq order where a file’s clock goes backwards', async () => {
    const portable: PortableSession = {
      format: 'wsi',
      pageUrl: 'https://clock.test/',
      title: '',
      startedAt: T0,
      warnings: [],
      connections: [[10, 5, 20], [7, 15]].map((times, ci) => ({
        url: `wss://clock.test/${ci}`, protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: T0, state: 'closed' as const, errored: false,
        rows: times.map((t, i): PortableRow => ({ seq: i + 1, time: T0 + t, kind: 'frame', dir: 'send', opcode: 1, encoding: 'text', data: `${ci}.${i + 1}`, size: 3 })),
      })),
    };
    const result = await writeImportedSession(db, portable, 'clock.wsi.json');
    const rows = await sessionFrames(db, result.sessionId);
    expect(rows.map((r) => r.data)).toEqual(['1.1', '0.1', '0.2', '1.2', '0.3']);
    for (const id of result.connectionIds) {
      const own = await connectionFrames(db, result.sessionId, id);
      expect(own.map((r) => [r.cpos, r.seq])).toEqual(own.map((_, i) => [i, i + 1]));
    }
  });

  it('refuses rows whose seqs do not increase, before writing anything', async () => {
    await seedCaptured();
    const before = await snapshot();
    const portable = readSessionText(wsiFile([{ url: 'wss://x.test/', times: [T0, T0 + 1, T0 + 2] }]));
    portable.connections[0].rows[2].seq = 2;
    const error = await writeImportedSession(db, portable, 'dup.wsi.json').then(() => null, (e: Error) => e);
    expect(error?.message).toBe("dup.wsi.json: connection 0 row 2: seq 2 is not greater than the previous row's seq 2");
    expect(await snapshot()).toEqual(before);
  });
});

describe('mergeByTime', () => {
  it('is the stable sort by (time, connection) of connections whose times do not decrease', () => {
    let state = 12345;
    const random = (n: number) => ((state = (state * 1103515245 + 12345) % 2147483648), state % n);
    for (let round = 0; round < 20; round++) {
      const connections = Array.from({ length: 1 + random(40) }, () => {
        let time = random(5);
        return { rows: Array.from({ length: random(30) }, () => ({ time: (time += random(3)) })) };
      });
      const expected = connections
        .flatMap((c, ci) => c.rows.map((r, i) => ({ ci, i, time: r.time })))
        .sort((x, y) => x.time - y.time || x.ci - y.ci)
        .map(({ ci, i }) => [ci, i]);
      expect([...mergeByTime(connections)]).toEqual(expected);
    }
    expect([...mergeByTime([])]).toEqual([]);
    expect([...mergeByTime([{ rows: [] }, { rows: [{ time: 1 }] }, { rows: [] }])]).toEqual([[1, 0]]);
  });
});
