import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { sessionForHello } from '@/lib/worker/capture-session';
import { ensureSession, newSession, openFrameStore } from '@/lib/store/frame-store';
import { NAMESPACE, PROTOCOL_VERSION, type PageSessionInfo, type RelayToBackgroundMessage } from '@/lib/shared/protocol';

let dbCounter = 0;
const db = () => openFrameStore(`capture-session-test-${++dbCounter}`);
const hello = (sessionId: string | undefined, topLevel: boolean, startedAt = Date.now() - 1000): Extract<RelayToBackgroundMessage, { type: 'hello' }> => ({
  ns: NAMESPACE, type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId, topLevel, pageUrl: 'https://app.test/', title: 'App', startedAt,
});
const noTop = async (): Promise<PageSessionInfo | undefined> => undefined;

describe('sessionForHello', () => {
  it('creates the session a top frame names, once: a second hello finds it', async () => {
    const d = await db();
    const first = await sessionForHello(d, 7, hello('load-1', true), noTop);
    expect(first).toMatchObject({ created: true, session: { id: 'load-1', tabId: 7, title: 'App' } });
    const again = await sessionForHello(d, 7, hello('load-1', true), noTop);
    expect(again).toMatchObject({ created: false, session: { id: 'load-1' } });
  });

  it('never hands out another tab\'s session, whoever names it', async () => {
    const d = await db();
    await ensureSession(d, newSession({ id: 'theirs', tabId: 1, pageUrl: 'https://a.test/', startedAt: 1 }));
    for (const topLevel of [true, false]) {
      const { session } = await sessionForHello(d, 2, hello('theirs', topLevel), noTop);
      expect(session.id).not.toBe('theirs');
      expect(session.tabId).toBe(2);
    }
  });

  it('a subframe\'s first hello takes its top frame\'s page load; with none, the tab\'s newest session', async () => {
    const d = await db();
    const top = { sessionId: 'top-load', pageUrl: 'https://app.test/', title: 'Top', startedAt: Date.now() - 5 };
    expect(await sessionForHello(d, 7, hello(undefined, false), async () => top)).toMatchObject({ created: true, session: { id: 'top-load', title: 'Top' } });
    expect(await sessionForHello(d, 7, hello(undefined, false), noTop)).toMatchObject({ created: false, session: { id: 'top-load' } });
  });

  it('does not believe a page-load time in the future', async () => {
    const d = await db();
    const { session } = await sessionForHello(d, 7, hello('future', true, Date.now() + 3_600_000), noTop);
    expect(session.startedAt).toBeLessThanOrEqual(Date.now());
  });
});
