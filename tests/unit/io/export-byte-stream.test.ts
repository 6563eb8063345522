// The streamed export (lib/io/export-plan.ts, lib/io/export-stream-producer.ts): the bytes streamed are the Blob
// export's, byte for byte, and exportByteStream ends, errors and stops its generator as it should.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { exportSession, planExport, type ExportScope } from '@/lib/io/session-io';
import { exportByteStream } from '@/lib/io/export-stream-producer';
import { NOW, db, readAll, seed, sleep, strings, useExportStreamDatabase } from './export-stream-fixtures';

useExportStreamDatabase();

describe('the streamed bytes are the Blob export', () => {
  const scopes = (sessionId: string): Array<[string, ExportScope]> => [
    ['session', { kind: 'session', sessionId }],
    ['connection', { kind: 'connection', sessionId, connectionId: 'a' }],
    ['filtered', { kind: 'filtered', sessionId, predicate: (row) => typeof row.data === 'string' && row.data.includes('7') }],
    ['selection', { kind: 'selection', sessionId, keys: [{ connectionId: 'a', seq: 5 }, { connectionId: 'a', seq: 9 }] }],
  ];
  for (const format of ['wsi', 'har'] as const) {
    it(`${format}: every scope, several chunks, byte for byte`, async () => {
      const sessionId = await seed(57);
      for (const [name, scope] of scopes(sessionId)) {
        const blob = await exportSession(db, scope, format, { chunkRows: 10, now: NOW });
        const plan = await planExport(db, scope, format, { chunkRows: 10, now: NOW });
        expect(plan.fileName, name).toBe(blob.fileName);
        const bytes = exportByteStream(plan.chunks);
        const streamed = await readAll(bytes.stream);
        expect(Buffer.from(streamed).equals(Buffer.from(await blob.blob.arrayBuffer())), name).toBe(true);
        expect(await bytes.ended, name).toEqual({ rows: blob.rows, connections: blob.connections });
      }
    });
  }

  it('reports progress per chunk while the stream is read', async () => {
    const sessionId = await seed(25);
    const progress: number[] = [];
    const plan = await planExport(db, { kind: 'session', sessionId }, 'wsi', { chunkRows: 10, onProgress: (n) => progress.push(n) });
    await readAll(exportByteStream(plan.chunks).stream);
    expect(progress).toEqual([10, 20, 27]);
  });

  it('a missing session fails before anything is produced', async () => {
    await expect(planExport(db, { kind: 'session', sessionId: 'gone' }, 'wsi')).rejects.toThrow('session gone is not in the store (deleted?)');
  });
});

describe('exportByteStream', () => {
  it('skips empty chunks and encodes UTF-8 like a Blob', async () => {
    const bytes = exportByteStream(strings(['a', '', 'ü😀', '']));
    const reader = bytes.stream.getReader();
    expect((await reader.read()).value).toEqual(new TextEncoder().encode('a'));
    expect((await reader.read()).value).toEqual(new TextEncoder().encode('ü😀'));
    expect((await reader.read()).done).toBe(true);
    expect(await bytes.ended).toEqual({ rows: 4 });
  });

  it('a failing generator errors the stream: it never just ends', async () => {
    const bytes = exportByteStream(strings(['head', 'rows', 'tail'], 2));
    await expect(readAll(bytes.stream)).rejects.toThrow('the store went away');
    await expect(bytes.ended).rejects.toThrow('the store went away');
  });

  it('abort errors the stream and stops the generator', async () => {
    let finished = false;
    async function* endless(): AsyncGenerator<string, void, undefined> {
      try {
        for (;;) {
          yield 'x';
          await sleep(1);
        }
      } finally {
        finished = true;
      }
    }
    const bytes = exportByteStream(endless());
    const reader = bytes.stream.getReader();
    await reader.read();
    bytes.abort(new Error('cancelled'));
    await expect(reader.read()).rejects.toThrow('cancelled');
    await expect(bytes.ended).rejects.toThrow('cancelled');
    await sleep(10);
    expect(finished).toBe(true);
  });

  it('a cancelled reader (the download went away) stops the generator', async () => {
    let finished = false;
    async function* rows(): AsyncGenerator<string, void, undefined> {
      try {
        for (let i = 0; i < 1000; i++) yield `row ${i}`;
      } finally {
        finished = true;
      }
    }
    const bytes = exportByteStream(rows());
    const reader = bytes.stream.getReader();
    await reader.read();
    await reader.cancel('gone');
    await expect(bytes.ended).rejects.toThrow('gone');
    await sleep(5);
    expect(finished).toBe(true);
  });
});
