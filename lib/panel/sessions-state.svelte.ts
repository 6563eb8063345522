/**
 * Which session and connection are on screen: the stored sessions, the connections of the one shown, the
 * session the tab's current page load writes into, and whether the user pinned a session (then a new page load
 * does not switch away from it). The root decides when to show another session; this slice keeps the answer.
 */
import type { ConnectionRecord, SessionRecord } from '../shared/records';
import { latestSessionForTab, listConnections, listSessions, type InspectorDatabase } from '../store/frame-store';

export class SessionsState {
  sessions = $state.raw<SessionRecord[]>([]);
  sessionId = $state<string | null>(null);
  connections = $state.raw<ConnectionRecord[]>([]);
  /** null: all connections. */
  connectionId = $state<string | null>(null);
  /** The session the tab's current page load writes into, as its top frame said (it may have stored nothing yet). */
  pageSessionId = $state<string | null>(null);
  /** The user picked a session themselves: a new page load does not switch away from it. */
  pinned = false;

  private readonly tabId: number | null;

  constructor(tabId: number | null) {
    this.tabId = tabId;
  }

  get session(): SessionRecord | undefined {
    return this.sessions.find((s) => s.id === this.sessionId);
  }

  get connection(): ConnectionRecord | undefined {
    return this.connections.find((c) => c.id === this.connectionId);
  }

  connectionById(id: string): ConnectionRecord | undefined {
    return this.connections.find((c) => c.id === id);
  }

  /** Position of a connection in the list (1-based), for the grid's short connection column. */
  connectionNumber(id: string): number {
    return this.connections.findIndex((c) => c.id === id) + 1;
  }

  async reload(db: InspectorDatabase | undefined): Promise<void> {
    if (!db) return;
    this.sessions = await listSessions(db);
  }

  /** The inspected tab's newest stored session (undefined without a tab). */
  async newestOfTab(db: InspectorDatabase | undefined): Promise<SessionRecord | undefined> {
    return this.tabId !== null && db ? latestSessionForTab(db, this.tabId) : undefined;
  }

  /** The session to show when the panel opens or the one on screen is cleared: the page's own, else the tab's newest. */
  async defaultSessionId(db: InspectorDatabase | undefined, fallback?: SessionRecord): Promise<string | null> {
    const newest = this.tabId !== null ? await this.newestOfTab(db) : fallback;
    return this.pageSessionId ?? newest?.id ?? null;
  }

  /** Whether picking `sessionId` pins it: picking the tab's newest session (or its page load's) means "follow this tab". */
  async pins(db: InspectorDatabase | undefined, sessionId: string | null): Promise<boolean> {
    const newest = await this.newestOfTab(db);
    return sessionId !== null && sessionId !== newest?.id && sessionId !== this.pageSessionId;
  }

  /** Shows `sessionId` with all its connections (read from `db`). */
  async enter(db: InspectorDatabase | undefined, sessionId: string | null, pinned: boolean): Promise<void> {
    this.pinned = pinned;
    this.sessionId = sessionId;
    this.connectionId = null;
    this.connections = [];
    if (sessionId !== null && db) this.connections = await listConnections(db, sessionId);
  }

  /** Reads a session's record and connections again (the caller applies them if its view is still current). */
  async read(db: InspectorDatabase, sessionId: string): Promise<{ connections: ConnectionRecord[]; session: SessionRecord | undefined }> {
    const [connections, session] = await Promise.all([listConnections(db, sessionId), db.get('sessions', sessionId)]);
    return { connections, session };
  }

  /** A fresh copy of one session's record (its counts grew). */
  update(session: SessionRecord): void {
    this.sessions = this.sessions.map((s) => (s.id === session.id ? session : s));
  }
}
