/**
 * What the background writes when a page goes away or its capture could not start (issues #9 §1, #10 §1):
 * connections a document still had when it went (navigation, tab closed, back/forward cache, renderer crash) are
 * ended (state 'closed', closedAt, `pageGone`) rather than left "open" forever; a frame whose hand-over failed is
 * listed on its session (`captureGaps`), so the panel can say that capture is unavailable there.
 */
import type { CaptureGap, ConnectionRecord } from '../shared/records';
import type { InspectorDatabase } from './schema';

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
  pageGone: NonNullable<ConnectionRecord['pageGone']>,
): Promise<string[]> {
  const ids = [...new Set(connectionIds)];
  if (ids.length === 0) return [];
  const tx = db.transaction('connections', 'readwrite');
  const changed: string[] = [];
  await Promise.all(
    ids.map(async (id) => {
      const connection = await tx.store.get(id);
      if (!connection || connection.sessionId !== sessionId || connection.state === 'closed') return;
      connection.state = 'closed';
      connection.closedAt = Math.max(pageGone.time, connection.openedAt ?? connection.startedAt);
      connection.pageGone = pageGone;
      changed.push(id);
      await tx.store.put(connection);
    }),
  );
  await tx.done;
  return changed;
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
