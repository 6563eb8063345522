import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { capturedSessionKeys, endOpenConnectionsOfSessions, endOpenConnectionsOfTab } from '@/lib/store/page-gone';
import { appendCaptureGap, endConnectionsOfGonePage, ensureSession, listConnections, listSessions, MAX_CAPTURE_GAPS, newSession, openFrameStore, writeEvents } from '@/lib/store/frame-store';
import type { WireEvent } from '@/lib/shared/protocol';

let counter = 0;
const connect = (id: string, time = 100): WireEvent => ({ k: 'connect', connectionId: id, url: 'wss://a/', protocols: [], frameUrl: 'https://a/', time });

describe('page gone', () => {
  it('ends the named connections of the session still open, as gone with their page; closed ones and other sessions stay as they are', async () => {
    const db = await openFrameStore(`page-gone-${++counter}`);
    await ensureSession(db, newSession({ id: 's', pageUrl: 'https://a/', startedAt: 1 }));
    await ensureSession(db, newSession({ id: 'other', pageUrl: 'https://b/', startedAt: 1 }));
    await writeEvents(db, 's', 'https://a/', [
      connect('open'),
      { k: 'open', connectionId: 'open', seq: 1, time: 110, protocol: '', extensions: '' },
      connect('connecting'),
      connect('closed'),
      { k: 'close', connectionId: 'closed', seq: 1, time: 150, code: 1000, reason: '', wasClean: true },
    ]);
    await writeEvents(db, 'other', 'https://b/', [connect('elsewhere')]);
    const changed = await endConnectionsOfGonePage(db, 's', ['open', 'connecting', 'closed', 'elsewhere', 'unknown'], { reason: 'page-closed', time: 500 });
    expect(changed.sort()).toEqual(['connecting', 'open']);
    const byId = Object.fromEntries((await listConnections(db, 's')).map((c) => [c.id, c]));
    expect(byId.open).toMatchObject({ state: 'closed', closedAt: 500, pageGone: { reason: 'page-closed', time: 500 } });
    expect(byId.open.closeCode).toBeUndefined();
    expect(byId.connecting).toMatchObject({ state: 'closed', pageGone: { reason: 'page-closed' } });
    expect(byId.closed).toMatchObject({ state: 'closed', closedAt: 150, closeCode: 1000 });
    expect(byId.closed.pageGone).toBeUndefined();
    expect((await listConnections(db, 'other'))[0].state).toBe('connecting');
  });

  it('lists frames whose capture could not start on their session, up to a bound', async () => {
    const db = await openFrameStore(`page-gone-${++counter}`);
    await ensureSession(db, newSession({ id: 's', pageUrl: 'https://a/', startedAt: 1 }));
    const gap = { frameUrl: 'https://a/frame', reason: 'hand-over-failed' as const, time: 5 };
    expect(await appendCaptureGap(db, 's', gap)).toBe(true);
    expect(await appendCaptureGap(db, 'missing', gap)).toBe(false);
    for (let i = 1; i < MAX_CAPTURE_GAPS + 5; i++) await appendCaptureGap(db, 's', gap);
    const [session] = await listSessions(db);
    expect(session.captureGaps).toHaveLength(MAX_CAPTURE_GAPS);
    expect(session.captureGaps![0]).toEqual(gap);
  });

  it('lists captured sessions by tab from the index keys alone; imported sessions (no tab) are not among them', async () => {
    const db = await openFrameStore(`page-gone-${++counter}`);
    await ensureSession(db, newSession({ id: 'a', tabId: 3, pageUrl: 'https://a/', startedAt: 10 }));
    await ensureSession(db, newSession({ id: 'b', tabId: 3, pageUrl: 'https://a/', startedAt: 20 }));
    await ensureSession(db, newSession({ id: 'c', tabId: 4, pageUrl: 'https://a/', startedAt: 5 }));
    await ensureSession(db, { ...newSession({ id: 'imported', pageUrl: 'https://a/', startedAt: 1 }), tabId: null, source: 'imported' });
    expect(await capturedSessionKeys(db)).toEqual([
      { sessionId: 'a', tabId: 3, startedAt: 10 },
      { sessionId: 'b', tabId: 3, startedAt: 20 },
      { sessionId: 'c', tabId: 4, startedAt: 5 },
    ]);
  });

  it('ends every connection still open of a tab\'s sessions, and none of another tab, a closed one or a spared session', async () => {
    const db = await openFrameStore(`page-gone-${++counter}`);
    for (const [id, tabId] of [['old', 3], ['new', 3], ['spared', 3], ['other', 4]] as const) {
      await ensureSession(db, newSession({ id, tabId, pageUrl: 'https://a/', startedAt: 1 }));
      await writeEvents(db, id, 'https://a/', [connect(`${id}-1`), connect(`${id}-2`)]);
    }
    await writeEvents(db, 'new', 'https://a/', [{ k: 'close', connectionId: 'new-2', seq: 1, time: 150, code: 1000, reason: '', wasClean: true }]);
    const changed = await endOpenConnectionsOfTab(db, 3, { reason: 'page-closed', time: 700 }, () => new Set(['spared']));
    expect(Object.fromEntries(changed)).toEqual({ old: ['old-1', 'old-2'], new: ['new-1'] });
    expect((await listConnections(db, 'old')).map((c) => c.pageGone)).toEqual([{ reason: 'page-closed', time: 700 }, { reason: 'page-closed', time: 700 }]);
    expect((await listConnections(db, 'new')).find((c) => c.id === 'new-2')).toMatchObject({ closedAt: 150, closeCode: 1000 });
    expect((await listConnections(db, 'spared')).map((c) => c.state)).toEqual(['connecting', 'connecting']);
    expect((await listConnections(db, 'other')).map((c) => c.state)).toEqual(['connecting', 'connecting']);
  });

  it('ends a session\'s open connections at a time of its own (its last activity), never before they opened', async () => {
    const db = await openFrameStore(`page-gone-${++counter}`);
    await ensureSession(db, newSession({ id: 's', tabId: 3, pageUrl: 'https://a/', startedAt: 1 }));
    await writeEvents(db, 's', 'https://a/', [connect('c', 100), { k: 'open', connectionId: 'c', seq: 1, time: 300, protocol: '', extensions: '' }]);
    const changed = await endOpenConnectionsOfSessions(db, ['s', 'missing'], (session) => ({ reason: 'crashed', time: session.lastActivity - 250 }));
    expect([...changed]).toEqual([['s', ['c']]]);
    expect((await listConnections(db, 's'))[0]).toMatchObject({ state: 'closed', closedAt: 300, pageGone: { reason: 'crashed', time: 50 } });
  });
});
