// Retention: the default limits, which sessions an eviction plan picks, and enforceRetention deleting them.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { listSessions } from '@/lib/store/read';
import { enforceRetention, planEviction } from '@/lib/store/retention';
import { DEFAULT_RETENTION, getRetention } from '@/lib/store/retention-settings';
import type { SessionRecord } from '@/lib/shared/records';
import { connect, frame, freshDb } from './frame-store-fixtures';

describe('retention', () => {
  const session = (id: string, startedAt: number, bytes: number): SessionRecord => ({
    ...newSession({ id, pageUrl: 'p', startedAt }),
    bytes,
    connectionCount: 1,
    frameCount: 1,
  });
  const empty = (id: string, startedAt: number, fields: Partial<SessionRecord> = {}): SessionRecord => ({ ...newSession({ id, pageUrl: 'p', startedAt }), ...fields });

  it('defaults to 100 sessions and 1 GB, and 256 MiB per live session', async () => {
    const db = await freshDb();
    expect(await getRetention(db)).toEqual(DEFAULT_RETENTION);
    expect(DEFAULT_RETENTION).toEqual({ maxSessions: 100, maxBytes: 1024 ** 3, maxSessionBytes: 256 * 1024 ** 2 });
  });

  it('plans nothing when within both limits', () => {
    expect(planEviction([session('a', 1, 10), session('b', 2, 10)], { maxSessions: 2, maxBytes: 20 }, new Set())).toEqual([]);
  });

  it('evicts the oldest first until the count fits', () => {
    const list = [session('a', 1, 0), session('b', 2, 0), session('c', 3, 0), session('d', 4, 0)];
    expect(planEviction(list, { maxSessions: 2, maxBytes: Infinity }, new Set())).toEqual(['a', 'b']);
  });

  it('evicts the oldest first until the bytes fit', () => {
    const list = [session('a', 1, 50), session('b', 2, 50), session('c', 3, 50)];
    expect(planEviction(list, { maxSessions: 100, maxBytes: 100 }, new Set())).toEqual(['a']);
    expect(planEviction(list, { maxSessions: 100, maxBytes: 60 }, new Set())).toEqual(['a', 'b']);
  });

  it('never evicts a session being captured, even the oldest', () => {
    const list = [session('live', 1, 100), session('b', 2, 10), session('c', 3, 10)];
    expect(planEviction(list, { maxSessions: 1, maxBytes: Infinity }, new Set(['live']))).toEqual(['b', 'c']);
    // If only live sessions remain over the limit, they stay.
    expect(planEviction([session('live', 1, 500)], { maxSessions: 0, maxBytes: 1 }, new Set(['live']))).toEqual([]);
  });

  it('evicts captured sessions that stayed empty (page loads without a WebSocket) first, and they never count', () => {
    const list = [session('a', 1, 10), empty('e1', 2), session('b', 3, 10), empty('live-empty', 4), empty('e2', 5), empty('imported', 6, { source: 'imported' })];
    // Within the cap once the empties are gone (a, b, the live one and the imported one remain): only the empties
    // that are not live go.
    expect(planEviction(list, { maxSessions: 4, maxBytes: Infinity }, new Set(['live-empty']))).toEqual(['e1', 'e2']);
    // Over the cap: empties first, then the oldest real ones.
    expect(planEviction(list, { maxSessions: 3, maxBytes: Infinity }, new Set(['live-empty']))).toEqual(['e1', 'e2', 'a']);
    // A session with a connection but no frames is not empty.
    expect(planEviction([empty('conn-only', 1, { connectionCount: 1 })], DEFAULT_RETENTION, new Set())).toEqual([]);
  });

  it('enforceRetention deletes the planned sessions with their rows', async () => {
    const db = await freshDb();
    for (const [id, startedAt] of [['old', 1], ['mid', 2], ['new', 3]] as const) {
      await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'p', startedAt }));
      await writeEvents(db, id, 'p', [connect(`${id}-c`), frame(`${id}-c`, 1, { payload: 'x'.repeat(100), size: 100 })]);
    }
    const evicted = await enforceRetention(db, { maxSessions: 10, maxBytes: 150 }, new Set(['old']));
    expect(evicted).toEqual(['mid', 'new']);
    expect((await listSessions(db)).map((s) => s.id)).toEqual(['old']);
    expect((await db.getAll('chunks')).reduce((n, c) => n + c.seq.length, 0)).toBe(1);
    expect(await db.count('connections')).toBe(1);
  });

  it('enforceRetention asks stillLive about the sessions it would evict, and spares those it names', async () => {
    const db = await freshDb();
    for (const [id, startedAt] of [['old', 1], ['mid', 2], ['new', 3]] as const) {
      await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'p', startedAt }));
      await writeEvents(db, id, 'p', [connect(`${id}-c`), frame(`${id}-c`, 1, { payload: 'x', size: 1 })]);
    }
    const asked: string[][] = [];
    const evicted = await enforceRetention(db, { maxSessions: 1, maxBytes: Infinity }, new Set(), async (candidates) => {
      asked.push(candidates.map((s) => s.id));
      return ['old'];
    });
    expect(asked).toEqual([['old', 'mid']]);
    expect(evicted).toEqual(['mid', 'new']);
    expect((await listSessions(db)).map((s) => s.id)).toEqual(['old']);
  });
});
