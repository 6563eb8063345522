/**
 * Handshakes seen by the browser's network layer (webRequest, once the user granted it from the panel) in the
 * store: each is attached to the page hook's connection of the same tab, same URL, started within
 * MATCH_WINDOW_MS of the request (the nearest one not already claimed by another request). The hook's connection
 * may not be stored yet when the handshake ends (the relay posts it a moment later): the caller tries again.
 * A handshake from DevTools' network log is kept: it is the one DevTools shows, and both say the same.
 */
import type { ConnectionRecord, Handshake, SessionRecord } from '../shared/records';
import { MATCH_WINDOW_MS, nearestConnection } from './devtools-sockets';
import { keyRange, type InspectorDatabase } from './schema';

/** One handshake as the background assembled it from webRequest's events. */
export interface NetworkHandshake {
  /** webRequest's requestId: a connection is claimed by one request only. */
  requestId: string;
  tabId: number;
  url: string;
  /** When the request started, ms since the epoch. */
  startedAt: number;
  handshake: Handshake;
}

/** How many of the tab's newest sessions are searched (a page that navigated since has a newer one). */
const SESSIONS_SEARCHED = 3;

/** The hook's connection that is this request's, if any: claimed by it already, else the nearest unclaimed one. */
export function findConnectionForRequest(connections: ConnectionRecord[], request: Pick<NetworkHandshake, 'requestId' | 'url' | 'startedAt'>): ConnectionRecord | undefined {
  const claimed = connections.find((c) => c.handshakeRequest === request.requestId);
  if (claimed) return claimed;
  return nearestConnection(connections, request.url, request.startedAt, (c) => c.handshakeRequest === undefined && c.source !== 'devtools');
}

/**
 * Attaches the handshake to its connection; returns where it went (session and connection ids), or undefined when
 * no connection of the tab matches (yet).
 */
export async function attachNetworkHandshake(db: InspectorDatabase, request: NetworkHandshake): Promise<{ sessionId: string; connectionId: string } | undefined> {
  const sessions: SessionRecord[] = [];
  let cursor = await db.transaction('sessions').store.index('byTab').openCursor(keyRange([request.tabId]), 'prev');
  while (cursor && sessions.length < SESSIONS_SEARCHED) {
    sessions.push(cursor.value);
    cursor = await cursor.continue();
  }
  for (const session of sessions) {
    const tx = db.transaction('connections', 'readwrite');
    const nearby = await tx.store.index('bySession').getAll(keyRange([session.id], request.startedAt - MATCH_WINDOW_MS, request.startedAt + MATCH_WINDOW_MS));
    const connection = findConnectionForRequest(nearby, request);
    if (!connection) {
      await tx.done;
      continue;
    }
    const keep = connection.handshake?.source === 'devtools';
    const next: ConnectionRecord = { ...connection, handshakeRequest: request.requestId, handshake: keep ? connection.handshake : request.handshake };
    if (JSON.stringify(next) !== JSON.stringify(connection)) await tx.store.put(next);
    await tx.done;
    return { sessionId: session.id, connectionId: connection.id };
  }
  return undefined;
}
