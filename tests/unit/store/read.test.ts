// Reads that plan and batch over a session's chunks: connectionSpan, sessionChunkKeys, readConnectionsTogether.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openFrameStore, type InspectorDatabase } from '@/lib/store/schema';
import { CHUNK_ROWS } from '@/lib/store/chunk-codec';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { connectionFrames, connectionSpan, readConnectionsTogether, sessionChunkKeys } from '@/lib/store/read';
import type { WireEvent } from '@/lib/shared/protocol';

let counter = 0;

/**
 * A session 's' of 5 full chunks of frames (connects are not rows): connection 'a' throughout, 'b' interleaved with it
 * in the second and third chunks only, 'c' connected but without a row.
 */
async function seeded(): Promise<InspectorDatabase> {
  const db = await openFrameStore(`store-read-test-${++counter}`);
  await ensureSession(db, newSession({ id: 's', pageUrl: 'p', startedAt: 1 }));
  // A session whose id starts with 's': none of its rows may show up in reads of 's'.
  await ensureSession(db, newSession({ id: 's2', pageUrl: 'p', startedAt: 2 }));
  const events: WireEvent[] = ['a', 'b', 'c'].map((id) => ({ k: 'connect', connectionId: id, url: `wss://x/${id}`, protocols: [], frameUrl: 'p', time: 1 }));
  const seqs = { a: 0, b: 0 };
  for (let pos = 0; pos < 5 * CHUNK_ROWS; pos++) {
    const id = pos >= CHUNK_ROWS + 10 && pos < 2 * CHUNK_ROWS + 10 && pos % 2 === 0 ? 'b' : 'a';
    const seq = ++seqs[id];
    events.push({ k: 'frame', connectionId: id, seq, time: 10 + pos, dir: 'send', opcode: 1, encoding: 'text', payload: `${id}${seq}`, size: 2, origin: 'page', status: 'sent' });
  }
  await writeEvents(db, 's', 'p', events);
  await writeEvents(db, 's2', 'p', [
    { k: 'connect', connectionId: 'z', url: 'wss://x/z', protocols: [], frameUrl: 'p', time: 1 },
    { k: 'frame', connectionId: 'z', seq: 1, time: 2, dir: 'send', opcode: 1, encoding: 'text', payload: 'z', size: 1, origin: 'page', status: 'sent' },
  ]);
  return db;
}

describe('sessionChunkKeys', () => {
  it('lists the session position of every chunk of the session, in order, and no other session’s', async () => {
    const db = await seeded();
    expect(await sessionChunkKeys(db, 's')).toEqual([0, 1, 2, 3, 4].map((i) => i * CHUNK_ROWS));
    expect(await sessionChunkKeys(db, 's2')).toEqual([0]);
    expect(await sessionChunkKeys(db, 'none')).toEqual([]);
  });
});

describe('connectionSpan', () => {
  it('counts the chunks holding a connection’s rows and names its first and last, from index keys alone', async () => {
    const db = await seeded();
    expect(await connectionSpan(db, 's', 'a')).toEqual({ chunks: 5, firstChunk: 0, lastChunk: 4 * CHUNK_ROWS });
    expect(await connectionSpan(db, 's', 'b')).toEqual({ chunks: 2, firstChunk: CHUNK_ROWS, lastChunk: 2 * CHUNK_ROWS });
    expect(await connectionSpan(db, 's', 'c')).toBeUndefined();
  });
});

describe('readConnectionsTogether', () => {
  it('gives each connection every row it has in the chunks read, in order, whatever the batch size', async () => {
    const db = await seeded();
    const a = await connectionFrames(db, 's', 'a');
    const b = await connectionFrames(db, 's', 'b');
    expect(b.length).toBeGreaterThan(0);
    for (const batch of [1, 2, 64]) {
      const rows = await readConnectionsTogether(db, 's', ['a', 'b', 'c'], 0, 4 * CHUNK_ROWS, { batch });
      expect([...rows.keys()]).toEqual(['a', 'b', 'c']);
      expect(rows.get('a')).toEqual(a);
      expect(rows.get('b')).toEqual(b);
      expect(rows.get('c')).toEqual([]);
    }
  });

  it('reads only the chunks from firstChunk to lastChunk, and only the connections asked for', async () => {
    const db = await seeded();
    const rows = await readConnectionsTogether(db, 's', ['b'], CHUNK_ROWS, CHUNK_ROWS, { batch: 1 });
    expect([...rows.keys()]).toEqual(['b']);
    expect(rows.get('b')!.every((row) => row.pos! >= CHUNK_ROWS && row.pos! < 2 * CHUNK_ROWS)).toBe(true);
    expect(rows.get('b')).toEqual((await connectionFrames(db, 's', 'b')).filter((row) => row.pos! < 2 * CHUNK_ROWS));
  });

  it('stops between reads when its signal is aborted, with the signal’s reason', async () => {
    const db = await seeded();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(readConnectionsTogether(db, 's', ['a'], 0, 4 * CHUNK_ROWS, { signal: controller.signal })).rejects.toThrow('stop');
  });
});
