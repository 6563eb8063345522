/**
 * What the background writes when a page goes away or its capture could not start (issues #9 §1, #10 §1, #21 §1):
 * connections a document still had when it went (navigation, tab closed, back/forward cache, renderer crash) are
 * ended (state 'closed', closedAt, `pageGone`) rather than left "open" forever; a frame whose hand-over failed is
 * listed on its session (`captureGaps`), so the panel can say that capture is unavailable there. A whole tab's
 * connections are ended when the tab is removed, or found gone when the background starts (no relay is left to
 * say goodbye): the captured sessions are found by the sessions.byTab index's keys, without reading a record.
 */
import type { CaptureGap, ConnectionRecord, SessionRecord } from '../shared/records';
import { keyRange, type InspectorDatabase } from './schema';

/** Why and when a connection's document went (see ConnectionRecord.pageGone). */
export type PageGone = NonNullable<ConnectionRecord['pageGone']>;

/** Ends one connection record as gone with its page (closedAt never before it opened). */
function endAsGone(connection: ConnectionRecord, pageGone: PageGone): void {
  connection.state = 'closed';
  connection.closedAt = Math.max(pageGone.time, connection.openedAt ?? connection.startedAt);
  connection.pageGone = pageGone;
}

/** At most this many gaps are kept per session: a page making frames in a loop must not grow its record for ever. */
export const MAX_CAPTURE_GAPS = 50;

/**
 * Ends the named connections of `sessionId` that are not closed yet, as gone with their page. Returns the ids
 * changed. Connections of other sessions, or closed already, are left as they are.
 */
export async function endConnectionsOfGonePage(
  db: InspectorDatabase,
  sessionId: string,
  connectionIds: Iterable<string>,
  pageGone: PageGone,
): Promise<string[]> {
  const ids = [...new Set(connectionIds)];
  if (ids.length === 0) return [];
  const tx = db.transaction('connections', 'readwrite');
  const changed: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const connection = await tx.store.get(id);
      if (!connection || connection.sessionId !== sessionId || connection.state === 'closed') return;
      endAsGone(connection, pageGone);
      changed.push(id);
      await tx.store.put(connection);
    }),
  );
  await tx.done;
  return changed;
}

/** A captured session as the sessions.byTab index keys it (imported sessions, with no tab, are not in it). */
export interface CapturedSessionKey {
  sessionId: string;
  tabId: number;
  startedAt: number;
}

/** Every captured session's id, tab and start, from the byTab index's keys alone (no session record is read). */
export async function capturedSessionKeys(db: InspectorDatabase): Promise<CapturedSessionKey[]> {
  const keys: CapturedSessionKey[] = [];
  let cursor = await db.transaction('sessions').store.index('byTab').openKeyCursor();
  while (cursor) {
    const [tabId, startedAt] = cursor.key;
    keys.push({ sessionId: cursor.primaryKey, tabId, startedAt });
    cursor = await cursor.continue();
  }
  return keys;
}

/**
 * Ends every connection still open of the given sessions, as gone with their page: `pageGone` says why and when
 * for each session (the time may be its last activity). Sessions in `spare` (being captured right now) are left
 * as they are: it is read inside the transaction, so a session whose relay was welcomed meanwhile is spared.
 * Returns the connection ids changed, by session. There is no index on state: each session's connection records
 * are read (by the bySession index) and only the open ones written.
 */
export async function endOpenConnectionsOfSessions(
  db: InspectorDatabase,
  sessionIds: Iterable<string>,
  pageGone: (session: SessionRecord) => PageGone,
  spare: () => ReadonlySet<string> = () => new Set(),
): Promise<Map<string, string[]>> {
  const tx = db.transaction(['sessions', 'connections'], 'readwrite');
  const connections = tx.objectStore('connections');
  const changed = new Map<string, string[]>();
  await Promise.all(
    [...new Set(sessionIds)].map(async (sessionId) => {
      const session = await tx.objectStore('sessions').get(sessionId);
      if (!session || spare().has(sessionId)) return;
      const gone = pageGone(session);
      const ended: string[] = [];
      for (const connection of await connections.index('bySession').getAll(keyRange([sessionId]))) {
        if (connection.state === 'closed') continue;
        endAsGone(connection, gone);
        ended.push(connection.id);
        void connections.put(connection);
      }
      if (ended.length > 0) changed.set(sessionId, ended);
    }),
  );
  await tx.done;
  return changed;
}

/** Ends every connection still open of the tab's captured sessions (the tab was removed). Returns ids by session. */
export async function endOpenConnectionsOfTab(
  db: InspectorDatabase,
  tabId: number,
  pageGone: PageGone,
  spare?: () => ReadonlySet<string>,
): Promise<Map<string, string[]>> {
  const sessionIds = await db.getAllKeysFromIndex('sessions', 'byTab', keyRange([tabId]));
  return endOpenConnectionsOfSessions(db, sessionIds, () => pageGone, spare);
}

/** Lists a frame whose capture could not start on its session (kept to MAX_CAPTURE_GAPS, the latest dropped). */
export async function appendCaptureGap(db: InspectorDatabase, sessionId: string, gap: CaptureGap): Promise<boolean> {
  const tx = db.transaction('sessions', 'readwrite');
  const session = await tx.store.get(sessionId);
  if (!session || (session.captureGaps?.length ?? 0) >= MAX_CAPTURE_GAPS) {
    await tx.done;
    return false;
  }
  session.captureGaps = [...(session.captureGaps ?? []), gap];
  await tx.store.put(session);
  await tx.done;
  return true;
}
