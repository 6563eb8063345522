// Chunk records: every field of every kind of row through the columns and back, and binary payloads kept in a Blob
// (FrameChunk.bin), read back by every way of reading a session.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { hydrateChunks, packChunk, rowsOfChunk, type ChunkRow } from '@/lib/store/chunk-codec';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { getRow, readConnectionRows, readConnectionsTogether, readSessionRows, sessionFrames } from '@/lib/store/read';
import type { FrameRecord } from '@/lib/shared/records';
import { searchAllSessions } from '@/lib/store/frame-query';
import { frame, freshDb } from './frame-store-fixtures';

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
