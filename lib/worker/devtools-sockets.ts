/**
 * The background's half of the DevTools-open source (issue #21 §2-3): a panel inside DevTools sends the WebSockets
 * of its tab's network log (devtools-sockets); each is written into the tab's current page-load session
 * (lib/store/devtools-sockets.ts: attached to the hook's connection, or a connection of its own), the panel gets
 * each outcome, and the tab's panels are told what was stored. Writes run one at a time, so two polls of one log
 * never both decide that a socket is new.
 */
import type { DevtoolsSocket, DevtoolsSocketOutcome, PageSessionInfo } from '../shared/protocol';
import { message } from '../shared/protocol';
import type { SessionRecord } from '../shared/records';
import { randomId } from '../shared/random-id';
import { storeDevtoolsSocket } from '../store/devtools-sockets';
import { ensureSession, latestSessionForTab, newSession, type InspectorDatabase } from '../store/frame-store';
import { sendToPanel, type PanelNotices, type PanelPort } from './panel-ports';

export interface DevtoolsSocketDeps {
  db(): Promise<InspectorDatabase>;
  panels: PanelNotices;
  /** Capture paused on the tab: lifecycle and handshakes are stored, frames are not (as for the hook). */
  paused(tabId: number): boolean;
  topFrameSession(tabId: number): Promise<PageSessionInfo | undefined>;
  now?: () => number;
  log(error: unknown): void;
}

/** At most this many sockets per message, each with at most this many messages, are taken. */
export const MAX_SOCKETS_PER_MESSAGE = 200;

export class DevtoolsSocketWriter {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: DevtoolsSocketDeps) {}

  /** Stores what a panel of `tabId` sent; answers that panel with each socket's outcome. */
  handle(port: PanelPort, tabId: number, sockets: DevtoolsSocket[]): Promise<void> {
    const run = this.queue.then(() => this.write(port, tabId, sockets));
    this.queue = run.catch((error: unknown) => this.deps.log(error));
    return run;
  }

  private async write(port: PanelPort, tabId: number, sockets: DevtoolsSocket[]): Promise<void> {
    if (!Array.isArray(sockets) || sockets.length === 0) return;
    const db = await this.deps.db();
    const { session, created } = await this.tabSession(db, tabId);
    if (created) this.deps.panels.toTab(tabId, message({ type: 'session-started', sessionId: session.id }));
    const now = (this.deps.now ?? Date.now)();
    const results: DevtoolsSocketOutcome[] = [];
    const changed = new Set<string>();
    for (const socket of sockets.slice(0, MAX_SOCKETS_PER_MESSAGE)) {
      if (!validSocket(socket)) continue;
      const outcome = await storeDevtoolsSocket(db, session.id, session.pageUrl, socket, now, { skipFrames: this.deps.paused(tabId) });
      results.push(outcome);
      if (outcome.outcome !== 'pending') changed.add(outcome.connectionId);
    }
    sendToPanel(port, message({ type: 'devtools-sockets-result', results }));
    if (changed.size > 0) this.deps.panels.toTab(tabId, message({ type: 'stored', sessionId: session.id, connectionIds: [...changed] }));
  }

  /** The tab's current page load's session (created if its page has stored nothing yet: a worker-only page). */
  private async tabSession(db: InspectorDatabase, tabId: number): Promise<{ session: SessionRecord; created: boolean }> {
    const info = await this.deps.topFrameSession(tabId).catch(() => undefined);
    if (info && typeof info.sessionId === 'string' && info.sessionId.length > 0 && info.sessionId.length <= 64) {
      const now = (this.deps.now ?? Date.now)();
      const candidate = newSession({ id: info.sessionId, tabId, pageUrl: String(info.pageUrl), title: String(info.title ?? ''), startedAt: Math.min(Number(info.startedAt) || now, now) });
      const stored = await ensureSession(db, candidate);
      if (stored.tabId === tabId) return { session: stored, created: stored === candidate };
    }
    const latest = await latestSessionForTab(db, tabId);
    if (latest) return { session: latest, created: false };
    const session = await ensureSession(db, newSession({ id: randomId(), tabId, pageUrl: '', startedAt: Date.now() }));
    return { session, created: true };
  }
}

/** A DevtoolsSocket as the store can take it (the panel is ours, but a message is still checked). */
function validSocket(socket: DevtoolsSocket): boolean {
  return (
    typeof socket?.key === 'string' &&
    socket.key.length <= 4096 &&
    typeof socket.url === 'string' &&
    Number.isFinite(socket.startedAt) &&
    Number.isInteger(socket.from) &&
    socket.from >= 0 &&
    Array.isArray(socket.messages) &&
    typeof socket.handshake === 'object' &&
    socket.handshake !== null &&
    Array.isArray(socket.handshake.requestHeaders) &&
    Array.isArray(socket.handshake.responseHeaders)
  );
}
