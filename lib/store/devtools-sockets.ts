/**
 * WebSockets from DevTools' network log in the store (issue #21 §2-3). A socket the page hook also captured is
 * stored once: its handshake is attached to the hook's connection (same session, same URL, a start within
 * MATCH_WINDOW_MS, not claimed by another log entry). A socket the hook never saw (a worker's, or one it missed)
 * becomes a connection of its own, `source: 'devtools'`, whose rows are written by writeEvents (dense positions, one
 * transaction, idempotent by seq), so the same log entry sent again stores nothing twice.
 */
import type { DevtoolsSocket, DevtoolsSocketOutcome, WireEvent } from '../shared/protocol';
import type { ConnectionRecord } from '../shared/records';
import { keyRange, type InspectorDatabase } from './schema';
import { writeEvents } from './write';

/** How far apart the hook's start and DevTools' start of one socket can be (measured: a few ms). */
export const MATCH_WINDOW_MS = 1500;
/**
 * How long after its start a socket the hook has not (yet) stored is left pending: the hook posts a quiet
 * page's first event at once and a burst within 100 ms, so its connection is in the store well before this.
 */
export const HOOK_GRACE_MS = 2500;

/** A socket URL as both sources can be compared: parsed, http(s) as ws(s), no fragment. */
export function normalizeSocketUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
    if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
    parsed.hash = '';
    return parsed.href;
  } catch {
    return url;
  }
}

/**
 * The hook's connection that is this DevTools socket, if any: already claimed by its key, or else the unclaimed
 * hook connection with the same URL whose start is nearest (within MATCH_WINDOW_MS).
 */
export function findHookConnection(connections: ConnectionRecord[], socket: Pick<DevtoolsSocket, 'key' | 'url' | 'startedAt'>): ConnectionRecord | undefined {
  const claimed = connections.find((c) => c.devtoolsKey === socket.key && c.source !== 'devtools');
  if (claimed) return claimed;
  return nearestConnection(connections, socket.url, socket.startedAt, (c) => c.source !== 'devtools' && c.devtoolsKey === undefined);
}

/**
 * Of the `eligible` connections (never a replay's) with the same URL as `url`, the one whose start is nearest
 * `startedAt`, within MATCH_WINDOW_MS: how a socket seen by another source (DevTools' log, webRequest) finds the
 * page hook's connection.
 */
export function nearestConnection(connections: ConnectionRecord[], url: string, startedAt: number, eligible: (c: ConnectionRecord) => boolean): ConnectionRecord | undefined {
  const wanted = normalizeSocketUrl(url);
  let best: ConnectionRecord | undefined;
  for (const c of connections) {
    if (c.initiator === 'replay' || !eligible(c)) continue;
    if (normalizeSocketUrl(c.url) !== wanted) continue;
    const distance = Math.abs(c.startedAt - startedAt);
    if (distance > MATCH_WINDOW_MS) continue;
    if (!best || distance < Math.abs(best.startedAt - startedAt)) best = c;
  }
  return best;
}

/** The id of a DevTools-only connection: one per session and log entry. */
export function devtoolsConnectionId(sessionId: string, key: string): string {
  return `devtools:${sessionId}:${key}`;
}

const utf8 = new TextEncoder();

function base64Size(data: string): number {
  const clean = data.replace(/=+$/, '');
  return Math.floor((clean.length * 3) / 4);
}

/**
 * The wire events of a DevTools-only socket: connect, then seq 1 = the open (status 101) or nothing, message i
 * of `_webSocketMessages` = seq i + 2, and a close when DevTools says the request finished. DevTools does not give
 * the close code: the close row says 1005 ("no status received").
 */
export function devtoolsSocketEvents(connectionId: string, socket: DevtoolsSocket, frameUrl: string): WireEvent[] {
  const events: WireEvent[] = [{ k: 'connect', connectionId, url: socket.url, protocols: [], frameUrl, time: socket.startedAt }];
  const header = (name: string) => socket.handshake.responseHeaders.find((h) => h.name.toLowerCase() === name)?.value ?? '';
  if (socket.handshake.status === 101) {
    const openTime = socket.messages[0]?.time ?? socket.startedAt;
    events.push({ k: 'open', connectionId, seq: 1, time: Math.min(openTime, socket.finished?.time ?? openTime), protocol: header('sec-websocket-protocol'), extensions: header('sec-websocket-extensions') });
  }
  socket.messages.forEach((m, i) => {
    const seq = socket.from + i + 2;
    if (m.type === 'error') {
      events.push({ k: 'error', connectionId, seq, time: m.time });
      return;
    }
    const binary = m.opcode === 2;
    events.push({
      k: 'frame',
      connectionId,
      seq,
      time: m.time,
      dir: m.type === 'send' ? 'send' : 'receive',
      opcode: binary ? 2 : 1,
      encoding: binary ? 'base64' : 'text',
      payload: m.data,
      size: binary ? base64Size(m.data) : utf8.encode(m.data).length,
      origin: 'page',
      status: 'sent',
    });
  });
  if (socket.finished) {
    const seq = socket.from + socket.messages.length + 2;
    events.push({ k: 'close', connectionId, seq, time: socket.finished.time, code: 1005, reason: '', wasClean: socket.handshake.status === 101 });
  }
  return events;
}

/**
 * Stores one DevTools socket in `sessionId`: attached to the hook's connection, stored as its own connection, or
 * pending (young, and the hook may still be posting it). `now` is the caller's clock (ms since the epoch).
 */
export async function storeDevtoolsSocket(
  db: InspectorDatabase,
  sessionId: string,
  pageUrl: string,
  socket: DevtoolsSocket,
  now: number,
  options: { skipFrames?: boolean } = {},
): Promise<DevtoolsSocketOutcome> {
  const ownId = devtoolsConnectionId(sessionId, socket.key);
  const tx = db.transaction('connections', 'readwrite');
  const own = await tx.store.get(ownId);
  if (!own) {
    const nearby = await tx.store.index('bySession').getAll(keyRange([sessionId], socket.startedAt - MATCH_WINDOW_MS, socket.startedAt + MATCH_WINDOW_MS));
    const hook = findHookConnection(nearby, socket);
    if (hook) {
      if (hook.devtoolsKey !== socket.key || JSON.stringify(hook.handshake) !== JSON.stringify(socket.handshake)) {
        await tx.store.put({ ...hook, devtoolsKey: socket.key, handshake: socket.handshake });
      }
      await tx.done;
      return { key: socket.key, outcome: 'attached', connectionId: hook.id };
    }
    await tx.done;
    if (now - socket.startedAt < HOOK_GRACE_MS && !socket.finished) return { key: socket.key, outcome: 'pending' };
  } else await tx.done;

  const result = await writeEvents(db, sessionId, pageUrl, devtoolsSocketEvents(ownId, socket, pageUrl), { skipFrames: options.skipFrames });
  if (result.sessionMissing) return { key: socket.key, outcome: 'pending' };
  // The DevTools-only marks, in a transaction of their own (they change no position).
  const mark = db.transaction('connections', 'readwrite');
  const record = await mark.store.get(ownId);
  if (record) {
    const marked: ConnectionRecord = { ...record, source: 'devtools', devtoolsKey: socket.key, handshake: socket.handshake };
    if (socket.initiatorUrl) marked.initiatorUrl = socket.initiatorUrl;
    if (socket.handshake.status !== 101 && socket.handshake.status !== 0 && marked.state !== 'closed') marked.state = 'error';
    await mark.store.put(marked);
  }
  await mark.done;
  return { key: socket.key, outcome: 'stored', connectionId: ownId, stored: socket.from + socket.messages.length };
}
