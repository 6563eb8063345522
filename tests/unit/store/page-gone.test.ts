import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
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
});
