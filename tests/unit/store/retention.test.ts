import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openFrameStore } from '@/lib/store/schema';
import { ensureSession, newSession, writeEvents } from '@/lib/store/write';
import { listSessions } from '@/lib/store/read';
import { enforceRetention, planEviction } from '@/lib/store/retention';
import { DEFAULT_RETENTION, getRetention, retentionWithDefaults, sessionPayloadLimit, setRetention } from '@/lib/store/retention-settings';
import type { SessionRecord } from '@/lib/shared/records';
import type { WireEvent } from '@/lib/shared/protocol';

let counter = 0;
const freshDb = () => openFrameStore(`retention-test-${++counter}`);

const session = (id: string, startedAt: number, bytes: number, fields: Partial<SessionRecord> = {}): SessionRecord => ({
  ...newSession({ id, pageUrl: 'p', startedAt }),
  bytes,
  connectionCount: 1,
  frameCount: 1,
  ...fields,
});

describe('the retention setting', () => {
  it('reads a record stored before the per-session cap existed with the default cap', async () => {
    const db = await freshDb();
    await db.put('settings', { maxSessions: 5, maxBytes: 5000 }, 'retention');
    expect(await getRetention(db)).toEqual({ maxSessions: 5, maxBytes: 5000, maxSessionBytes: 256 * 1024 ** 2 });
  });

  it('keeps a stored cap, and the defaults for fields that are missing or not numbers', async () => {
    const db = await freshDb();
    await setRetention(db, { maxSessions: 5, maxBytes: 5000, maxSessionBytes: 50 });
    expect(await getRetention(db)).toEqual({ maxSessions: 5, maxBytes: 5000, maxSessionBytes: 50 });
    expect(retentionWithDefaults({ maxSessions: 'many', maxSessionBytes: undefined })).toEqual(DEFAULT_RETENTION);
    expect(retentionWithDefaults(null)).toEqual(DEFAULT_RETENTION);
  });

  it('a live session may store its own cap, never more than the total', () => {
    expect(sessionPayloadLimit(DEFAULT_RETENTION)).toBe(256 * 1024 ** 2);
    expect(sessionPayloadLimit({ maxSessions: 1, maxBytes: 100 * 1024 ** 2 })).toBe(100 * 1024 ** 2);
    expect(sessionPayloadLimit({ maxSessions: 1, maxBytes: 1000, maxSessionBytes: 10 })).toBe(10);
  });
});

describe('eviction and the per-session cap', () => {
  const limits = { maxSessions: 100, maxBytes: 1000, maxSessionBytes: 300 };

  it('a live session counts at most its cap: a runaway page does not evict earlier sessions', () => {
    // Written before the cap existed (or with a cap raised since): 5000 bytes stored by a page still open.
    const list = [session('a', 1, 400), session('b', 2, 300), session('runaway', 3, 5000)];
    expect(planEviction(list, limits, new Set(['runaway']))).toEqual([]);
    // Once its page is gone it counts in full, like any other session.
    expect(planEviction(list, limits, new Set())).toEqual(['a', 'b', 'runaway']);
  });

  it('counts the payloads a session stores, not those its cap kept out', () => {
    const capped = session('capped', 2, 1_000_000, { payloadCap: { limit: 300, reachedAt: 5, droppedFrames: 9, droppedBytes: 999_700 } });
    expect(planEviction([session('a', 1, 600), capped], limits, new Set())).toEqual([]);
    expect(planEviction([session('a', 1, 600), capped], limits, new Set(['capped']))).toEqual([]);
  });

  it('a live session within its cap still counts in full (the total cap holds)', () => {
    const list = [session('a', 1, 400), session('b', 2, 400), session('live', 3, 300)];
    expect(planEviction(list, limits, new Set(['live']))).toEqual(['a']);
  });

  it('enforceRetention: a live page writing far past its cap evicts none of the earlier sessions', async () => {
    const db = await freshDb();
    await setRetention(db, limits);
    const write = async (id: string, startedAt: number, sizes: number[]) => {
      await ensureSession(db, newSession({ id, tabId: 1, pageUrl: 'p', startedAt }));
      const events: WireEvent[] = [{ k: 'connect', connectionId: `${id}-c`, url: 'wss://x/', protocols: [], frameUrl: 'p', time: startedAt }];
      sizes.forEach((size, i) => events.push({ k: 'frame', connectionId: `${id}-c`, seq: i + 1, time: startedAt + i, dir: 'send', opcode: 1, encoding: 'text', payload: 'x'.repeat(size), size, origin: 'page', status: 'sent' }));
      await writeEvents(db, id, 'p', events);
    };
    await write('earlier-1', 1, [300]);
    await write('earlier-2', 2, [300]);
    await write('runaway', 3, Array.from({ length: 40 }, () => 100)); // 4000 bytes sent, 300 stored
    const runaway = await db.get('sessions', 'runaway');
    expect(runaway).toMatchObject({ bytes: 4000, frameCount: 40, payloadCap: { limit: 300, droppedFrames: 37, droppedBytes: 3700 } });
    expect(await enforceRetention(db, await getRetention(db), new Set(['runaway']))).toEqual([]);
    expect((await listSessions(db)).map((s) => s.id).sort()).toEqual(['earlier-1', 'earlier-2', 'runaway']);
  });
});
