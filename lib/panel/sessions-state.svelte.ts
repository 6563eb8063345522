/**
 * Which session and connection are on screen: the stored sessions, the connections of the one shown, the
 * session the tab's current page load writes into, and whether the user pinned a session (then a new page load
 * does not switch away from it). The root decides when to show another session; this slice keeps the answer.
 *
 * A session may hold tens of thousands of connections (issue #9 §3: 20,000 sockets made the list take 94 s).
 * They are read whole once when the session is entered; after that a refresh re-reads only the connections a
 * `stored` note named (`readNamed`) and merges them (`merge`), and lookups by id go through an index, not a scan.
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

  /** Bumped each time a session is entered: a refresh read before that must not merge into the new list. */
  generation = 0;

  private readonly tabId: number | null;
  /** Position of each connection in `connections`, for the array it was built from. */
  private indexed: readonly ConnectionRecord[] | undefined;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- an index over `connections`, not shown
  private positions = new Map<string, number>();

  constructor(tabId: number | null) {
    this.tabId = tabId;
  }

  get session(): SessionRecord | undefined {
    return this.sessions.find((s) => s.id === this.sessionId);
  }

  get connection(): ConnectionRecord | undefined {
    return this.connectionId === null ? undefined : this.connectionById(this.connectionId);
  }

  connectionById(id: string): ConnectionRecord | undefined {
    const at = this.positionOf(id);
    return at < 0 ? undefined : this.connections[at];
  }

  /** Position of a connection in the list (1-based; 0 when absent), for the grid's short connection column. */
  connectionNumber(id: string): number {
    return this.positionOf(id) + 1;
  }

  /** 0-based position of a connection in `connections` (-1 when absent): a map built once per list. */
  private positionOf(id: string): number {
    const list = this.connections;
    if (this.indexed !== list) {
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- an index over `connections`, not shown
      this.positions = new Map(list.map((c, i) => [c.id, i]));
      this.indexed = list;
    }
    return this.positions.get(id) ?? -1;
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
    this.generation++;
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

  /**
   * Reads a session's record and only the connections named (a `stored` note's), in one transaction; ids not
   * stored (deleted since) are left out. For a session of 20,000 connections a refresh reads a handful.
   */
  async readNamed(db: InspectorDatabase, sessionId: string, ids: Iterable<string>): Promise<{ connections: ConnectionRecord[]; session: SessionRecord | undefined }> {
    const tx = db.transaction(['sessions', 'connections']);
    const store = tx.objectStore('connections');
    const [session, ...found] = await Promise.all([tx.objectStore('sessions').get(sessionId), ...[...ids].map((id) => store.get(id))]);
    return { session, connections: found.filter((c): c is ConnectionRecord => c !== undefined && c.sessionId === sessionId) };
  }

  /**
   * Puts fresh copies of some connections into the list: each replaces the one with its id, or is inserted where
   * the store's order (listConnections: by start time, then the counter at the end of the id) puts it; new
   * connections usually start last, so that is an append. One new array, so the list re-renders once.
   */
  merge(records: readonly ConnectionRecord[]): void {
    if (records.length === 0) return;
    const list = [...this.connections];
    const added: ConnectionRecord[] = [];
    for (const record of records) {
      const at = this.positionOf(record.id);
      if (at >= 0) list[at] = record;
      else added.push(record);
    }
    for (const record of added.sort(connectionOrder)) {
      let low = 0;
      let high = list.length;
      if (high > 0 && connectionOrder(list[high - 1], record) <= 0) low = high;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (connectionOrder(list[mid], record) <= 0) low = mid + 1;
        else high = mid;
      }
      list.splice(low, 0, record);
    }
    this.connections = list;
  }

  /** A fresh copy of one session's record (its counts grew). */
  update(session: SessionRecord): void {
    this.sessions = this.sessions.map((s) => (s.id === session.id ? session : s));
  }
}

const byCounter = new Intl.Collator('en', { numeric: true });

/** The order lib/store/read.ts listConnections returns: by start time, then by the counter ending the id. */
export function connectionOrder(a: ConnectionRecord, b: ConnectionRecord): number {
  return a.startedAt - b.startedAt || byCounter.compare(a.id, b.id);
}
