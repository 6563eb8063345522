import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openFrameStore, type InspectorDatabase } from '@/lib/store/schema';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { connectionFrames, listConnections, sessionFrames } from '@/lib/store/read';
import { setRetention } from '@/lib/store/retention-settings';
import { PayloadCapCounter, capNote, formatCapBytes, storedBytes } from '@/lib/store/payload-cap';
import { writeImportedSession } from '@/lib/io/session-io';
import type { PortableRow, PortableSession } from '@/lib/io/formats/model';
import type { SessionRecord } from '@/lib/shared/records';
import type { WireEvent, WireFrameEvent } from '@/lib/shared/protocol';

let counter = 0;
async function freshDb(cap: number): Promise<InspectorDatabase> {
  const db = await openFrameStore(`payload-cap-test-${++counter}`);
  await setRetention(db, { maxSessions: 100, maxBytes: 1024 ** 3, maxSessionBytes: cap });
  return db;
}

const connect = (id: string): WireEvent => ({ k: 'connect', connectionId: id, url: `wss://x.test/${id}`, protocols: [], frameUrl: 'p', time: 1 });
/** A frame of `size` bytes ('x' repeated), sent by the page. */
const frame = (id: string, seq: number, size: number, fields: Partial<WireFrameEvent> = {}): WireFrameEvent => ({
  k: 'frame', connectionId: id, seq, time: 10 + seq, dir: 'send', opcode: 1, encoding: 'text', payload: 'x'.repeat(size), size,
  origin: 'page', status: 'sent', ...fields,
});

describe('a captured session over its payload cap', () => {
  it('keeps every row, count and byte total but stores no more payloads, each such row saying why', async () => {
    const db = await freshDb(100);
    await ensureSession(db, newSession({ id: 's', tabId: 1, pageUrl: 'p', startedAt: 1 }));
    await writeEvents(db, 's', 'p', [connect('c'), { k: 'open', connectionId: 'c', seq: 1, time: 2, protocol: '', extensions: '' }, frame('c', 2, 60), frame('c', 3, 40)]);
    // 100 bytes stored: the cap is reached by the next frame, in a later batch, whatever its size.
    await writeEvents(db, 's', 'p', [
      frame('c', 4, 30, { dir: 'receive', note: 'from a rule', rule: 'r1', original: { encoding: 'text', payload: 'before' } }),
      frame('c', 5, 0),
      frame('c', 6, 5, { encoding: 'base64', payload: 'AQIDBAU=', opcode: 2, status: 'refused' }),
      { k: 'close', connectionId: 'c', seq: 7, time: 20, code: 1000, reason: 'bye', wasClean: true },
    ]);

    const rows = await sessionFrames(db, 's');
    expect(rows.map((r) => [r.kind, r.seq, r.size])).toEqual([
      ['open', 1, 0],
      ['frame', 2, 60],
      ['frame', 3, 40],
      ['frame', 4, 30],
      ['frame', 5, 0],
      ['frame', 6, 5],
      ['close', 7, 0],
    ]);
    expect(rows[1].data).toBe('x'.repeat(60));
    expect(rows[2]).toMatchObject({ data: 'x'.repeat(40) });
    expect(rows[2].note).toBeUndefined();
    const note = 'payload not stored: session over its 100 B cap';
    expect(rows[3]).toMatchObject({ dir: 'receive', opcode: 1, status: 'sent', rule: 'r1', note: `from a rule; ${note}` });
    expect(rows[3].data).toBeUndefined();
    expect(rows[3].original).toBeUndefined();
    expect(rows[4]).toMatchObject({ note });
    expect(rows[4].data).toBeUndefined();
    expect(rows[5]).toMatchObject({ opcode: 2, status: 'refused', note });
    expect(rows[5].data).toBeUndefined();
    expect(rows[6]).toMatchObject({ code: 1000, reason: 'bye', wasClean: true });
    expect(rows[6].note).toBeUndefined();

    const session = await db.get('sessions', 's');
    expect(session).toMatchObject({ frameCount: 5, bytes: 135, rowCount: 7 });
    expect(session?.payloadCap).toEqual({ limit: 100, reachedAt: 14, droppedFrames: 3, droppedBytes: 35 });
    const [connection] = await listConnections(db, 's');
    expect(connection).toMatchObject({ sentCount: 3, sentBytes: 100, receivedCount: 1, receivedBytes: 30, rowCount: 7, state: 'closed' });
  });

  it('reaches the cap within a batch at the frame that would pass it, and stays capped for smaller ones', async () => {
    const db = await freshDb(100);
    await ensureSession(db, newSession({ id: 's', tabId: 1, pageUrl: 'p', startedAt: 1 }));
    await writeEvents(db, 's', 'p', [connect('c'), frame('c', 1, 90), frame('c', 2, 20), frame('c', 3, 1)]);
    const rows = await connectionFrames(db, 's', 'c');
    expect(rows.map((r) => r.data === undefined)).toEqual([false, true, true]);
    expect((await db.get('sessions', 's'))?.payloadCap).toEqual({ limit: 100, reachedAt: 12, droppedFrames: 2, droppedBytes: 21 });
  });

  it('a resent batch counts its dropped frames once', async () => {
    const db = await freshDb(10);
    await ensureSession(db, newSession({ id: 's', tabId: 1, pageUrl: 'p', startedAt: 1 }));
    const batch = [connect('c'), frame('c', 1, 8), frame('c', 2, 8)];
    await writeEvents(db, 's', 'p', batch);
    await writeEvents(db, 's', 'p', batch);
    expect(await db.get('sessions', 's')).toMatchObject({ frameCount: 2, bytes: 16, payloadCap: { droppedFrames: 1, droppedBytes: 8 } });
  });

  it('stores payloads in chunks by what they hold: capped rows do not seal a chunk each', async () => {
    const db = await freshDb(10);
    await ensureSession(db, newSession({ id: 's', tabId: 1, pageUrl: 'p', startedAt: 1 }));
    const big = 2 * 1024 * 1024;
    await writeEvents(db, 's', 'p', [connect('c'), ...[1, 2, 3, 4].map((seq) => frame('c', seq, big, { payload: 'x' }))]);
    expect(await db.count('chunks')).toBe(1);
  });
});

describe('sessions the cap does not touch', () => {
  it('a session under its cap has no payloadCap and every payload', async () => {
    const db = await freshDb(100);
    await ensureSession(db, newSession({ id: 's', tabId: 1, pageUrl: 'p', startedAt: 1 }));
    await writeEvents(db, 's', 'p', [connect('c'), frame('c', 1, 50), frame('c', 2, 50)]);
    expect((await db.get('sessions', 's'))?.payloadCap).toBeUndefined();
    expect((await sessionFrames(db, 's')).map((r) => r.data)).toEqual(['x'.repeat(50), 'x'.repeat(50)]);
  });

  it('an imported session is written whole, whatever the cap', async () => {
    const db = await freshDb(10);
    const rows = [1, 2, 3].map((seq): PortableRow => ({ seq, time: 100 + seq, kind: 'frame', dir: 'send', opcode: 1, encoding: 'text', data: 'y'.repeat(1000), size: 1000 }));
    const portable: PortableSession = {
      format: 'wsi', pageUrl: 'https://big.test/', title: '', startedAt: 100, warnings: [],
      connections: [{ url: 'wss://big.test/', protocols: [], protocol: '', extensions: '', frameUrl: '', pageUrl: '', startedAt: 100, state: 'closed', errored: false, rows }],
    };
    const { sessionId } = await writeImportedSession(db, portable, 'big.wsi.json');
    expect((await sessionFrames(db, sessionId)).map((r) => [r.data, r.note])).toEqual(rows.map(() => ['y'.repeat(1000), undefined]));
    const session = await db.get('sessions', sessionId);
    expect(session).toMatchObject({ source: 'imported', bytes: 3000 });
    expect(session?.payloadCap).toBeUndefined();
  });

  it('writeEvents does not cap a session that was not captured', async () => {
    const db = await freshDb(10);
    await ensureSession(db, newSession({ id: 'i', pageUrl: 'p', startedAt: 1, source: 'imported' }));
    await writeEvents(db, 'i', 'p', [connect('c'), frame('c', 1, 50)]);
    expect((await sessionFrames(db, 'i'))[0].data).toBe('x'.repeat(50));
  });
});

describe('PayloadCapCounter', () => {
  const session = (fields: Partial<SessionRecord> = {}): SessionRecord => ({ ...newSession({ id: 's', pageUrl: 'p', startedAt: 1 }), ...fields });

  it('admits payloads up to the limit exactly, then none', () => {
    const cap = new PayloadCapCounter(session({ bytes: 40 }), 100);
    expect([cap.admit(60, 1), cap.admit(1, 2), cap.admit(0, 3)]).toEqual([true, false, false]);
    expect(cap.reached).toEqual({ limit: 100, reachedAt: 2, droppedFrames: 2, droppedBytes: 1 });
  });

  it('counts what the session already kept out, and keeps the limit it was reached at', () => {
    const capped = session({ bytes: 500, payloadCap: { limit: 100, reachedAt: 7, droppedFrames: 4, droppedBytes: 400 } });
    expect(storedBytes(capped)).toBe(100);
    const cap = new PayloadCapCounter(capped, 1000);
    expect(cap.admit(1, 9)).toBe(false);
    expect(cap.reached).toEqual({ limit: 100, reachedAt: 7, droppedFrames: 5, droppedBytes: 401 });
    expect(cap.note).toBe(capNote(100));
    // The record it was built from is left alone: the writer stores the new state.
    expect(capped.payloadCap?.droppedFrames).toBe(4);
  });

  it('never refuses with no limit', () => {
    const cap = new PayloadCapCounter(session(), Infinity);
    expect(cap.admit(Number.MAX_SAFE_INTEGER, 1)).toBe(true);
    expect(cap.reached).toBeUndefined();
  });

  it('says the cap in the unit people read', () => {
    expect(formatCapBytes(256 * 1024 ** 2)).toBe('256 MiB');
    expect(formatCapBytes(1024 ** 3)).toBe('1 GiB');
    expect(formatCapBytes(1536)).toBe('1.5 KiB');
    expect(formatCapBytes(10)).toBe('10 B');
    expect(capNote(256 * 1024 ** 2)).toBe('payload not stored: session over its 256 MiB cap');
  });
});
