// The chunk codec on its own, without a database: how rows are grouped into chunks and the record's bit layout,
// which tests/support/seed-store.ts, read-store.ts, tests/e2e/fixtures.ts and bench/lib/*.mjs copy by hand.
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BYTES,
  CHUNK_ROWS,
  ChunkBuilder,
  chunkRowBytes,
  connectionRowsOfChunk,
  packChunk,
  rowsOfChunk,
  toChunkRow,
  type ChunkRow,
  type FrameChunk,
} from '@/lib/store/chunk-codec';
import type { FrameRecord } from '@/lib/shared/records';

const text = (connectionId: string, seq: number, cpos: number, fields: Partial<ChunkRow> = {}): ChunkRow => ({
  connectionId, seq, time: seq, kind: 'frame', size: 1, cpos, dir: 'send', opcode: 1, data: 'x', origin: 'page', status: 'sent', ...fields,
});

/** Adds rows to a builder, collecting the chunks it seals (and the last one). */
function build(builder: ChunkBuilder, rows: ChunkRow[]): FrameChunk[] {
  const chunks: FrameChunk[] = [];
  for (const row of rows) {
    const sealed = builder.add(row);
    if (sealed) chunks.push(sealed);
  }
  const last = builder.seal();
  if (last) chunks.push(last);
  return chunks;
}

describe('ChunkBuilder', () => {
  it('gives rows consecutive positions from its first one and seals a chunk every CHUNK_ROWS rows', () => {
    const builder = new ChunkBuilder('s', 1000);
    const rows = Array.from({ length: 2 * CHUNK_ROWS + 3 }, (_, i) => text('a', i + 1, i));
    const sealedAt: number[] = [];
    rows.forEach((row, i) => {
      if (builder.add(row)) sealedAt.push(i);
    });
    expect(sealedAt).toEqual([CHUNK_ROWS - 1, 2 * CHUNK_ROWS - 1]);
    expect(builder.nextPos).toBe(1000 + rows.length);
    const last = builder.seal()!;
    expect([last.pos, last.seq.length]).toEqual([1000 + 2 * CHUNK_ROWS, 3]);
    expect(builder.seal()).toBeUndefined();
  });

  it('seals early once payload bytes, originals included, reach CHUNK_BYTES, and starts counting again', () => {
    const half = CHUNK_BYTES / 2;
    const chunks = build(new ChunkBuilder('s', 0), [
      text('a', 1, 0, { size: half - 10 }),
      text('a', 2, 1, { size: 10, original: 'o'.repeat(half) }), // reaches CHUNK_BYTES only with its original
      text('a', 3, 2, { size: half }),
      text('a', 4, 3, { size: half - 1 }),
      text('a', 5, 4),
    ]);
    expect(chunks.map((chunk) => [chunk.pos, chunk.seq.length])).toEqual([[0, 2], [2, 3]]);
  });

  it('a chunk lists each connection once, at its first row there, with that row’s cpos and seq', () => {
    const [chunk] = build(new ChunkBuilder('s', 7), [text('a', 5, 3), text('b', 1, 0), text('a', 6, 4), text('b', 2, 1)]);
    expect(chunk.ids).toEqual(['a', 'b']);
    expect([...chunk.conn]).toEqual([0, 1, 0, 1]);
    expect(chunk.connPos).toEqual([['s', 'a', 3], ['s', 'b', 0]]);
    expect(chunk.connSeq).toEqual([['s', 'a', 5], ['s', 'b', 1]]);
  });
});

describe('chunkRowBytes', () => {
  it('is the payload size plus the original’s, text or binary', () => {
    expect(chunkRowBytes(text('a', 1, 0, { size: 5 }))).toBe(5);
    expect(chunkRowBytes(text('a', 1, 0, { size: 5, original: 'abc' }))).toBe(8);
    expect(chunkRowBytes(text('a', 1, 0, { size: 5, original: new ArrayBuffer(4) }))).toBe(9);
  });
});

describe('flags (the bit layout copied by the test and bench seeders)', () => {
  const flagsOf = (row: ChunkRow) => packChunk('s', 0, [row]).flags[0];

  it('kind in bits 0–1, and for frames dir in bit 2, opcode in bit 3, origin in bits 4–5, status in bits 6–7', () => {
    expect(['frame', 'open', 'close', 'error'].map((kind) => flagsOf({ connectionId: 'a', seq: 1, time: 0, kind: kind as ChunkRow['kind'], size: 0, cpos: 0 }))).toEqual([0, 1, 2, 3]);
    expect(flagsOf(text('a', 1, 0))).toBe(0);
    expect(flagsOf(text('a', 1, 0, { dir: 'receive' }))).toBe(1 << 2);
    expect(flagsOf(text('a', 1, 0, { opcode: 2 }))).toBe(1 << 3);
    expect(flagsOf(text('a', 1, 0, { origin: 'simulated' }))).toBe(2 << 4);
    expect(flagsOf(text('a', 1, 0, { status: 'blocked' }))).toBe(3 << 6);
    expect(flagsOf(text('a', 1, 0, { dir: 'receive', opcode: 2, origin: 'inspector', status: 'refused' }))).toBe(4 | 8 | (1 << 4) | (2 << 6));
  });
});

describe('toChunkRow', () => {
  it('a stored record through a chunk comes back as it was, at its new positions', () => {
    const record: FrameRecord = {
      sessionId: 'old', connectionId: 'a', seq: 9, time: 1.5, kind: 'frame', size: 2, pos: 99, cpos: 98, dir: 'receive', opcode: 1, data: 'hi',
      origin: 'inspector', status: 'refused', rule: 'r', original: 'ho',
    };
    const row = toChunkRow(record, 4);
    expect(row).not.toHaveProperty('sessionId');
    expect(row).not.toHaveProperty('pos');
    expect(rowsOfChunk(packChunk('new', 12, [row]))).toEqual([{ ...record, sessionId: 'new', pos: 12, cpos: 4 }]);
  });
});

describe('connectionRowsOfChunk', () => {
  const chunk = packChunk('s', 0, [
    text('a', 1, 0),
    text('b', 1, 0, { note: 'b0' }),
    text('a', 2, 1, { note: 'a1' }),
    text('b', 2, 1),
    text('a', 3, 2),
    text('a', 4, 3, { rule: 'r' }),
  ]);

  it('appends the connection’s rows with cpos in [start, end), with their rare fields, after what `out` holds', () => {
    const out = [{ seq: -1 } as FrameRecord];
    connectionRowsOfChunk(chunk, 'a', 1, 3, out);
    expect(out.map((row) => [row.seq, row.cpos, row.pos, row.note])).toEqual([[-1, undefined, undefined, undefined], [2, 1, 2, 'a1'], [3, 2, 4, undefined]]);
  });

  it('gives exactly what rowsOfChunk gives for that connection, and nothing for a connection not in the chunk', () => {
    for (const id of ['a', 'b']) {
      const out: FrameRecord[] = [];
      connectionRowsOfChunk(chunk, id, 0, Infinity, out);
      expect(out).toEqual(rowsOfChunk(chunk).filter((row) => row.connectionId === id));
    }
    const none: FrameRecord[] = [];
    connectionRowsOfChunk(chunk, 'c', 0, Infinity, none);
    expect(none).toEqual([]);
  });
});
