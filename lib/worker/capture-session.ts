/**
 * Which session a relay's frames are written into, decided at its hello: the tab's page load, created by
 * whichever of its frames says hello first. The top frame names it (one id per page load); a subframe that
 * reconnects names the one it was welcomed into; a subframe's first hello asks the top frame (whose relay may
 * never connect: no socket of its own). Never a session of another tab, whatever a hello names.
 */
import type { PageSessionInfo, RelayToBackgroundMessage } from '../shared/protocol';
import type { SessionRecord } from '../shared/records';
import { ensureSession, latestSessionForTab, newSession, type InspectorDatabase } from '../store/frame-store';
import { randomId } from '../shared/random-id';

type Hello = Extract<RelayToBackgroundMessage, { type: 'hello' }>;

/** A session id as relays make them (randomId); anything else is not used as a key. */
function validSessionId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= 64;
}

/** A relay's page-load time if it is believable (not in the future, not before the extension could run). */
function startTime(value: unknown): number {
  const now = Date.now();
  return typeof value === 'number' && Number.isFinite(value) && value <= now && value > now - 366 * 24 * 3600 * 1000 ? value : now;
}

export interface HelloSession {
  session: SessionRecord;
  /** Created by this hello: the tab's panels are told it started. */
  created: boolean;
}

/**
 * The session for a relay of `tabId` saying `hello`. `topFrameSession` asks the tab's top frame for its page
 * load (its relay may not have connected: relays connect lazily).
 */
export async function sessionForHello(
  db: InspectorDatabase,
  tabId: number,
  hello: Hello,
  topFrameSession: (tabId: number) => Promise<PageSessionInfo | undefined>,
): Promise<HelloSession> {
  const pageUrl = String(hello.pageUrl);
  let created = false;
  /** The page load's session, created by whichever of its frames says hello first. */
  const pageLoadSession = async (info: PageSessionInfo) => {
    const candidate = newSession({ id: info.sessionId, tabId, pageUrl: String(info.pageUrl), title: String(info.title ?? ''), startedAt: startTime(info.startedAt) });
    const stored = await ensureSession(db, candidate);
    if (stored.tabId !== tabId) return undefined; // an id from another tab: never write into its session
    if (stored === candidate) created = true;
    return stored;
  };
  let session: SessionRecord | undefined;
  if (hello.topLevel && validSessionId(hello.sessionId)) {
    session = await pageLoadSession({ sessionId: hello.sessionId, pageUrl, title: String(hello.title ?? ''), startedAt: Number(hello.startedAt) });
  }
  if (!session && !hello.topLevel && typeof hello.sessionId === 'string') {
    // A subframe reconnecting (worker restarted) names the session it was welcomed into: keep writing there,
    // if it is this tab's.
    const named = await db.get('sessions', hello.sessionId);
    if (named && named.tabId === tabId) session = named;
  }
  if (!session && !hello.topLevel) {
    // A subframe's first hello: its top frame's relay may never connect (no socket of its own), so ask it.
    const top = await topFrameSession(tabId).catch(() => undefined);
    if (top && validSessionId(top.sessionId)) session = await pageLoadSession(top);
  }
  if (!session) {
    session = await latestSessionForTab(db, tabId);
    if (!session) {
      session = await ensureSession(db, newSession({ id: randomId(), tabId, pageUrl, startedAt: Date.now() }));
      created = true;
    }
  }
  return { session, created };
}
