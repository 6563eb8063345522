/**
 * The panel's state, in one place: the link to the background (explicit states), the session and connection on
 * screen, the filter, the current view of rows (lib/store/frame-query.ts) and the selection. Background notifications
 * go through one `handle` switch; components read fields and call methods, nothing else writes here.
 *
 * Data flow: the background only says *that* something was stored; refreshes are throttled (REFRESH_MS) and
 * re-read counts and the connections list from IndexedDB, then bump `dataVersion` so the grid re-reads the
 * rows it shows. A page may store thousands of frames a second; the panel does a few small reads per refresh.
 */
import type { BackgroundToPanelMessage, PanelToBackgroundMessage, WireCommand } from '../shared/protocol';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import { latestSessionForTab, listConnections, listSessions, readConnectionRows, type InspectorDatabase } from '../store/frame-store';
import type { ConnectionRecord, FrameRecord, SessionRecord } from '../shared/records';
import { FilteredFrames, FrameSequence, refOf, searchAllSessions, type RowRef, type SearchHit } from '../store/frame-query';
import { bothMatch, compileFilter, emptyFilter, isEmptyFilter, parseSavedFilters, upsertSavedFilter, type FrameFilter, type SavedFilter } from '../shared/filters';
import type { TimeMode } from './message-format';
import { ActState } from './act-state.svelte';
import { ConnectionDecoders } from '../decoders/connection-decoders';
import { DETECT_FRAMES, type DecodeOutcome } from '../decoders';
import type { Detection } from '../decoders';
import { randomId } from '../shared/random-id';

export type LinkState = 'connecting' | 'connected' | 'reconnecting' | 'gone';
export type Theme = 'light' | 'dark';

/** The background port as the panel uses it (the real runtime Port in the extension). */
export interface PanelPortLike {
  postMessage(message: PanelToBackgroundMessage): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
  disconnect(): void;
}

export interface PanelEnvironment {
  /** The inspected tab, or null when opened without one (stored sessions are still browsable). */
  tabId: number | null;
  inDevtools: boolean;
  /** Opens the runtime port to the background; throws when the extension context is gone. */
  connect(): PanelPortLike;
  openDb(): Promise<InspectorDatabase>;
  /** Opens this panel in a normal tab (the "Open in tab" control). */
  openInTab(url: string): void;
  panelUrl(tabId: number | null): string;
  /**
   * Calls back when the inspected tab loads a new page (DevTools' onNavigated, or tabs.onUpdated for the panel in
   * a tab). Its session is made only when it opens a WebSocket, so the panel asks which one it is.
   */
  onNavigated?(listener: () => void): void;
}

/** Throttle for refreshes triggered by `stored` notes. */
export const REFRESH_MS = 150;
const RECONNECT_DELAYS_MS = [100, 250, 500, 1000, 2000, 5000];
const SAVED_FILTERS_KEY = 'savedFilters';
const PREFERENCES_KEY = 'panelPreferences';
/** Settings key of the user's "Decode as" choice for a connection. */
export const decoderOverrideKey = (connectionId: string): string => `decoder:${connectionId}`;

/** Picks the theme: an explicit `?theme=`, then DevTools' theme, then the system's. */
export function resolveTheme(param: string | null, devtoolsThemeName: string | undefined, prefersDark: boolean): Theme {
  if (param === 'dark' || param === 'light') return param;
  if (devtoolsThemeName !== undefined) return devtoolsThemeName === 'dark' ? 'dark' : 'light';
  return prefersDark ? 'dark' : 'light';
}

export interface CommandResult {
  ok: boolean;
  error?: string;
}

export class PanelState {
  readonly env: PanelEnvironment;

  link = $state<LinkState>('connecting');
  linkError = $state('');
  paused = $state(false);
  theme = $state<Theme>('light');

  sessions = $state.raw<SessionRecord[]>([]);
  sessionId = $state<string | null>(null);
  connections = $state.raw<ConnectionRecord[]>([]);
  /** null: all connections. */
  connectionId = $state<string | null>(null);

  filter = $state<FrameFilter>(emptyFilter());
  regexError = $state<string | undefined>(undefined);
  savedFilters = $state.raw<SavedFilter[]>([]);
  timeMode = $state<TimeMode>('absolute');

  /** Rows in the session or connection on screen. */
  total = $state(0);
  /** Rows the grid shows (= total without a filter; matches found so far with one). */
  shown = $state(0);
  /** A filter scan is still reading stored rows; `scanned` of `total` looked at. */
  scanning = $state(false);
  scanned = $state(0);
  /** Bumped whenever rows on screen may have changed: the grid re-reads its window. */
  dataVersion = $state(0);
  /** Keep the newest row in view (off once the user scrolls up). */
  follow = $state(true);
  /** A request for the grid to bring a row into view (version makes repeated requests distinct). */
  scrollRequest = $state<{ index: number; version: number } | null>(null);

  selectedIndex = $state(-1);
  selected = $state.raw<FrameRecord | null>(null);
  detailOpen = $state(false);

  searchText = $state('');
  searchHits = $state.raw<SearchHit[]>([]);
  searching = $state(false);

  /** Short announcements (copied, failures) for the status line. */
  notice = $state('');

  /** The decoded-fields filter (lib/decoders/filter.ts syntax), ANDed with `filter`. */
  decodedQuery = $state('');
  /** Bumped when a connection's decoder changes (detection, "Decode as"): decoded text on screen is re-read. */
  decodingVersion = $state(0);
  /** Decoding state of the session on screen (one decoder per connection). */
  private decoding = new ConnectionDecoders();
  /** Per connection: the lastSeq detection last ran at, and how many rows it read then. */
  private detectedAt = new Map<string, { lastSeq: number; rows: number }>();

  private db: InspectorDatabase | undefined;
  private port: PanelPortLike | undefined;
  private reconnectAttempt = 0;
  private disposed = false;
  /** The user picked a session themselves: a new page load does not switch away from it. */
  private sessionPinned = false;
  /** The session the tab's current page load writes into, as its top frame said (it may have stored nothing yet). */
  pageSessionId = $state<string | null>(null);
  private sequence: FrameSequence | undefined;
  private filtered: FilteredFrames | undefined;
  /** Bumped on every view change: async work for an older view drops its result. */
  private viewToken = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private refreshAgain = false;
  private searchAbort: AbortController | undefined;
  private readonly pendingCommands = new Map<string, (result: CommandResult) => void>();
  private scrollVersion = 0;
  private rescan = false;
  private scanningView: FilteredFrames | undefined;

  /** Acting on live traffic (rules, held frames, replays): fed by `handle`, sends through this port. */
  readonly act: ActState;

  constructor(env: PanelEnvironment) {
    this.env = env;
    this.act = new ActState({ command: (command) => this.sendPageCommand(command), post: (msg) => this.post(msg), db: () => this.db });
  }

  get tabId(): number | null {
    return this.env.tabId;
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

  async start(): Promise<void> {
    this.db = await this.env.openDb();
    await this.loadPreferences();
    this.connectPort();
    this.env.onNavigated?.(() => this.post(message({ type: 'page-session-query' })));
    await this.reloadSessions();
    const initial = this.tabId !== null ? await latestSessionForTab(this.db, this.tabId) : this.sessions[0];
    // The page's own session, if it already said which (page-session), even before it stored anything.
    await this.showSession(this.pageSessionId ?? initial?.id ?? null, false);
  }

  dispose(): void {
    this.disposed = true;
    this.viewToken++;
    this.searchAbort?.abort();
    clearTimeout(this.refreshTimer);
    try {
      this.port?.disconnect();
    } catch {
      // already gone
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The background link.

  private connectPort(): void {
    if (this.disposed) return;
    let port: PanelPortLike;
    try {
      port = this.env.connect();
    } catch (error) {
      this.link = 'gone';
      this.linkError = `The extension is no longer available (${error instanceof Error ? error.message : String(error)}). Reopen DevTools.`;
      return;
    }
    this.port = port;
    port.onMessage.addListener((data) => {
      if (isProtocolMessage(data)) this.handle(data as BackgroundToPanelMessage);
    });
    port.onDisconnect.addListener(() => {
      if (this.port !== port) return;
      this.port = undefined;
      if (this.disposed) return;
      // The service worker stopped or restarted: connecting again wakes it.
      this.link = 'reconnecting';
      const delay = RECONNECT_DELAYS_MS[Math.min(this.reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)];
      this.reconnectAttempt++;
      setTimeout(() => this.connectPort(), delay);
    });
    if (this.tabId !== null) this.post(message({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: this.tabId }));
    else this.link = 'connected';
  }

  private post(msg: PanelToBackgroundMessage): boolean {
    try {
      this.port?.postMessage(msg);
      return this.port !== undefined;
    } catch {
      return false;
    }
  }

  /** Every background notification lands here. */
  handle(msg: BackgroundToPanelMessage): void {
    switch (msg.type) {
      case 'panel-welcome': {
        if (msg.protocolVersion !== PROTOCOL_VERSION) {
          this.link = 'gone';
          this.linkError = `The background speaks protocol ${msg.protocolVersion}, this panel ${PROTOCOL_VERSION}. Reopen DevTools.`;
          return;
        }
        const wasReconnect = this.reconnectAttempt > 0;
        this.link = 'connected';
        this.linkError = '';
        this.reconnectAttempt = 0;
        this.paused = msg.paused;
        this.act.onConnected();
        this.post(message({ type: 'page-session-query' }));
        // Notes may have been missed while the worker was away.
        if (wasReconnect) void this.reloadSessions().then(() => this.scheduleRefresh());
        return;
      }
      case 'stored':
        if (msg.sessionId === this.sessionId) this.scheduleRefresh();
        else if (!this.sessions.some((s) => s.id === msg.sessionId)) void this.reloadSessions();
        return;
      case 'session-started':
        void this.onSessionStarted(msg.sessionId);
        return;
      case 'capture-state':
        if (msg.tabId === this.tabId) this.paused = msg.paused;
        return;
      case 'cleared':
        void this.onCleared(msg.scope, msg.sessionId);
        return;
      case 'command-result': {
        const resolve = this.pendingCommands.get(msg.requestId);
        this.pendingCommands.delete(msg.requestId);
        resolve?.({ ok: msg.ok, error: msg.error });
        return;
      }
      case 'page-notice':
        if (msg.tabId === this.tabId) this.act.onNotice(msg.notice);
        return;
      case 'rules':
        this.act.onRules(msg.rules, msg.holdTimeoutMs);
        return;
      case 'page-session':
        if (msg.tabId === this.tabId) void this.onPageSession(msg.sessionId);
        return;
    }
  }

  /**
   * The page now in the tab writes into `sessionId`: show it (empty until it opens a WebSocket), as DevTools
   * starts a fresh log on navigation, unless the user picked a session to look at.
   */
  private async onPageSession(sessionId: string | null): Promise<void> {
    if (sessionId === null || sessionId === this.pageSessionId) return;
    const isNewLoad = this.pageSessionId !== null;
    this.pageSessionId = sessionId;
    if (isNewLoad) this.act.forgetHolds();
    if (!this.sessionPinned && sessionId !== this.sessionId) await this.showSession(sessionId, false);
  }

  private async onSessionStarted(sessionId: string): Promise<void> {
    this.act.forgetHolds(); // a new page load: the old page's holds went with it
    await this.reloadSessions();
    // A new page load in the tab: show it, unless the user is looking at a session they picked.
    if (!this.sessionPinned && sessionId !== this.sessionId) await this.showSession(sessionId, false);
  }

  private async onCleared(scope: 'session' | 'all', sessionId?: string): Promise<void> {
    await this.reloadSessions();
    if (scope === 'all' || sessionId === this.sessionId) {
      this.sessionPinned = false;
      // The page in the tab goes on writing into its session (made again on its next message): stay on it.
      const next = this.tabId !== null && this.db ? await latestSessionForTab(this.db, this.tabId) : undefined;
      await this.showSession(this.pageSessionId ?? next?.id ?? null, false);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Commands to the background.

  setPaused(paused: boolean): void {
    if (this.tabId === null) return;
    if (!this.post(message({ type: 'set-paused', tabId: this.tabId, paused }))) this.notice = 'Not connected to the background; try again in a moment.';
  }

  clearSession(): void {
    if (this.sessionId === null) return;
    if (!this.post(message({ type: 'clear', scope: 'session', sessionId: this.sessionId }))) this.notice = 'Not connected to the background; nothing was cleared.';
  }

  clearAll(): void {
    if (!this.post(message({ type: 'clear', scope: 'all' }))) this.notice = 'Not connected to the background; nothing was cleared.';
  }

  /**
   * Sends a command to the inspected page's sockets (for the "Edit & resend" helpers). Resolves with the
   * page's answer, or a failure if the background is not reachable.
   */
  sendPageCommand(command: WireCommand): Promise<CommandResult> {
    if (this.tabId === null) return Promise.resolve({ ok: false, error: 'This panel is not attached to a tab.' });
    const requestId = randomId();
    return new Promise((resolve) => {
      this.pendingCommands.set(requestId, resolve);
      if (!this.post(message({ type: 'page-command', tabId: this.tabId!, requestId, command }))) {
        this.pendingCommands.delete(requestId);
        resolve({ ok: false, error: 'Not connected to the background.' });
      }
    });
  }

  openInTab(): void {
    this.env.openInTab(this.env.panelUrl(this.tabId));
  }

  // ---------------------------------------------------------------------------------------------------------
  // Sessions and connections.

  async reloadSessions(): Promise<void> {
    if (!this.db) return;
    this.sessions = await listSessions(this.db);
  }

  /** The user picked a session in the picker. */
  async pickSession(sessionId: string | null): Promise<void> {
    const newest = this.tabId !== null && this.db ? await latestSessionForTab(this.db, this.tabId) : undefined;
    // Picking the tab's newest session (or its current page load's) means "follow this tab" again.
    await this.showSession(sessionId, sessionId !== null && sessionId !== newest?.id && sessionId !== this.pageSessionId);
  }

  private async showSession(sessionId: string | null, pinned: boolean): Promise<void> {
    this.sessionPinned = pinned;
    this.sessionId = sessionId;
    this.connectionId = null;
    this.connections = [];
    this.clearSelection();
    this.follow = true;
    this.decoding = new ConnectionDecoders();
    this.detectedAt = new Map();
    if (sessionId !== null && this.db) {
      this.connections = await listConnections(this.db, sessionId);
      await this.detectDecoders();
    }
    await this.rebuildView();
  }

  async selectConnection(connectionId: string | null): Promise<void> {
    if (connectionId === this.connectionId) return;
    this.connectionId = connectionId;
    await this.rebuildView(true);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Filters.

  async setFilter(patch: Partial<FrameFilter>): Promise<void> {
    const next: FrameFilter = { ...this.filter, ...patch, types: { ...this.filter.types, ...(patch.types ?? {}) } };
    this.filter = next;
    await this.rebuildView(true);
  }

  async setDecodedQuery(query: string): Promise<void> {
    if (query === this.decodedQuery) return;
    this.decodedQuery = query;
    await this.rebuildView(true);
  }

  async clearTextFilter(): Promise<void> {
    if (this.filter.contains === '' && this.filter.regex === '') return;
    await this.setFilter({ contains: '', regex: '' });
  }

  async resetFilter(): Promise<void> {
    this.filter = emptyFilter();
    this.decodedQuery = '';
    await this.rebuildView(true);
  }

  async saveFilter(name: string): Promise<void> {
    this.savedFilters = upsertSavedFilter(this.savedFilters, name, $state.snapshot(this.filter));
    await this.persist(SAVED_FILTERS_KEY, $state.snapshot(this.savedFilters));
    this.notice = `Saved filter "${name.trim()}".`;
  }

  async deleteSavedFilter(name: string): Promise<void> {
    this.savedFilters = this.savedFilters.filter((s) => s.name !== name);
    await this.persist(SAVED_FILTERS_KEY, $state.snapshot(this.savedFilters));
  }

  async applySavedFilter(name: string): Promise<void> {
    const saved = this.savedFilters.find((s) => s.name === name);
    if (!saved) return;
    this.filter = { ...saved.filter, types: { ...saved.filter.types } };
    await this.rebuildView(true);
  }

  setTimeMode(mode: TimeMode): void {
    this.timeMode = mode;
    void this.persist(PREFERENCES_KEY, { timeMode: mode });
  }

  private async loadPreferences(): Promise<void> {
    if (!this.db) return;
    try {
      this.savedFilters = parseSavedFilters(await this.db.get('settings', SAVED_FILTERS_KEY));
      const prefs = (await this.db.get('settings', PREFERENCES_KEY)) as { timeMode?: unknown } | undefined;
      if (prefs?.timeMode === 'relative' || prefs?.timeMode === 'absolute') this.timeMode = prefs.timeMode;
    } catch {
      // unreadable settings: start with defaults
    }
  }

  private async persist(key: string, value: unknown): Promise<void> {
    try {
      await this.db?.put('settings', value, key);
    } catch (error) {
      this.notice = `Could not save settings: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // The view of rows.

  /**
   * Rebuilds the row view for the current session, connection and filter. With `keepSelection` the selected
   * row stays selected if it is still in the view.
   */
  private async rebuildView(keepSelection = false): Promise<void> {
    const token = ++this.viewToken;
    this.sequence = undefined;
    this.filtered = undefined;
    const keep = keepSelection && this.selected ? refOf(this.selected) : undefined;
    if (!keep) this.clearSelection();
    const compiled = compileFilter(this.filter);
    this.regexError = compiled.regexError;
    if (this.sessionId === null || !this.db) {
      this.total = this.shown = this.scanned = 0;
      this.scanning = false;
      this.clearSelection();
      this.dataVersion++;
      return;
    }
    const scope = { sessionId: this.sessionId, connectionId: this.connectionId };
    const sequence = new FrameSequence(this.db, scope);
    await sequence.refresh();
    if (token !== this.viewToken) return;
    this.sequence = sequence;
    this.total = sequence.total;
    const matches = this.rowMatcher(compiled.matches && !isEmptyFilter(this.filter) ? compiled.matches : null);
    if (matches) {
      this.filtered = new FilteredFrames(this.db, scope, matches);
      this.shown = 0;
      this.scanned = 0;
      this.dataVersion++;
      await this.scanFiltered(token, keep);
    } else {
      this.shown = sequence.total;
      this.scanning = false;
      this.dataVersion++;
      await this.restoreSelection(token, keep);
    }
  }

  private async restoreSelection(token: number, keep: RowRef | undefined): Promise<void> {
    if (!keep) {
      this.clearSelection();
      return;
    }
    let index = -1;
    if (this.filtered) index = this.filtered.positionOf(keep);
    else if (this.sequence) index = this.sequence.positionOf(keep);
    if (token !== this.viewToken) return;
    if (index < 0) this.clearSelection();
    else {
      this.selectedIndex = index;
      this.follow = false;
      this.requestScroll(index);
    }
  }

  /** Scans a filtered view to the end of what is stored, a chunk at a time, publishing matches as they come. */
  private async scanFiltered(token: number, keep?: RowRef): Promise<void> {
    const view = this.filtered;
    if (!view) return;
    if (this.scanningView === view) {
      this.rescan = true; // the running scan goes on past its end once more
      return;
    }
    this.scanningView = view;
    this.scanning = true;
    try {
      let restored = !keep;
      do {
        this.rescan = false;
        const found = await view.scanChunk();
        if (token !== this.viewToken) return;
        this.scanned = view.scanned;
        if (found > 0 || view.atEnd) {
          this.shown = view.count;
          this.dataVersion++;
        }
        if (!restored && keep && view.positionOf(keep) >= 0) {
          restored = true;
          await this.restoreSelection(token, keep);
        }
        if (!view.atEnd) await new Promise((r) => setTimeout(r, 0));
      } while ((!view.atEnd || this.rescan) && token === this.viewToken);
      if (!restored) this.clearSelection();
    } finally {
      if (this.scanningView === view) {
        this.scanningView = undefined;
        this.scanning = false;
      }
    }
  }

  /** Rows [start, start + count) of what the grid shows. */
  async rowsAt(start: number, count: number): Promise<FrameRecord[]> {
    const view = this.filtered ?? this.sequence;
    if (!view) return [];
    return view.rows(start, count);
  }

  /** Refresh soon (throttled): counts, the connections list, and the rows on screen. */
  scheduleRefresh(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, REFRESH_MS);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    const token = this.viewToken;
    this.refreshing = (async () => {
      if (!this.db || this.sessionId === null) return;
      const sessionId = this.sessionId;
      const [connections, session] = await Promise.all([listConnections(this.db, sessionId), this.db.get('sessions', sessionId)]);
      if (token !== this.viewToken) return;
      this.connections = connections;
      if (await this.detectDecoders()) {
        if (token !== this.viewToken) return;
        // Rows already scanned were tested without this connection's decoder: scan again.
        if (this.decodedQuery.trim() !== '') {
          void this.rebuildView(true);
          return;
        }
      }
      if (token !== this.viewToken) return;
      if (session) this.sessions = this.sessions.map((s) => (s.id === session.id ? session : s));
      const sequence = this.sequence;
      if (!sequence) return;
      const changed = await sequence.refresh();
      if (token !== this.viewToken) return;
      this.total = sequence.total;
      if (this.filtered) {
        if (changed) await this.scanFiltered(token);
      } else if (changed) {
        this.shown = sequence.total;
        this.dataVersion++;
      }
    })();
    try {
      await this.refreshing;
    } finally {
      this.refreshing = undefined;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.scheduleRefresh();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Protocol decoding (lib/decoders).

  /** The frame filter's matcher (null: everything) ANDed with the decoded-fields query. */
  private rowMatcher(frameMatches: ((row: FrameRecord) => boolean) | null): ((row: FrameRecord) => boolean) | null {
    return bothMatch(frameMatches, this.decodedQuery.trim() === '' ? null : this.decoding.matcher(this.decodedQuery));
  }

  /**
   * Detects the decoder of every connection that has new rows and no decoder yet: from its subprotocol and first
   * rows, once it has rows, and again when more arrive while fewer than DETECT_FRAMES were read and nothing was
   * found. Loads the user's stored "Decode as" choice. Returns true when a decoder changed.
   */
  private async detectDecoders(): Promise<boolean> {
    const db = this.db;
    const sessionId = this.sessionId;
    if (!db || sessionId === null) return false;
    const decoding = this.decoding;
    let changed = false;
    for (const connection of this.connections) {
      const before = this.detectedAt.get(connection.id);
      if (connection.lastSeq <= (before?.lastSeq ?? -Infinity)) continue;
      if (before && ((decoding.detection(connection.id)?.id ?? null) !== null || before.rows >= DETECT_FRAMES)) continue;
      try {
        const [rows, override] = await Promise.all([readConnectionRows(db, sessionId, connection.id, 0, DETECT_FRAMES), before ? undefined : db.get('settings', decoderOverrideKey(connection.id))]);
        if (rows.length === 0 || decoding !== this.decoding) continue;
        if (typeof override === 'string') decoding.setOverride(connection.id, override);
        const previous = decoding.decoderId(connection.id);
        decoding.detect(connection.id, connection, rows);
        this.detectedAt.set(connection.id, { lastSeq: connection.lastSeq, rows: rows.length });
        if (decoding.decoderId(connection.id) !== previous) changed = true;
      } catch {
        // unreadable rows: the connection is shown undecoded, detection runs again on its next rows
      }
    }
    if (changed) {
      this.decodingVersion++;
      this.dataVersion++;
    }
    return changed;
  }

  /** The decoder in use per connection of the session (an export of the filtered view decodes with these). */
  decoderIdsInUse(): Record<string, string> {
    void this.decodingVersion;
    return this.decoding.inUse(this.connections.map((c) => c.id));
  }

  /** The row's decoded form; undefined when it is not a frame or its connection has no decoder. */
  decodedOf(row: FrameRecord): DecodeOutcome | undefined {
    void this.decodingVersion; // re-read when decoders change
    return this.decoding.decode(row);
  }

  /** The grid's summary column: '' when the row is not decoded. */
  summaryOf(row: FrameRecord): string {
    void this.decodingVersion;
    return this.decoding.summary(row);
  }

  /** What detection found for a connection (candidates for the "Decode as" menu). */
  detectionOf(connectionId: string): Detection | undefined {
    void this.decodingVersion;
    return this.decoding.detection(connectionId);
  }

  /** "Decode as": the user's decoder for a connection (null returns to detection), kept in settings. */
  async setDecoderOverride(connectionId: string, decoderId: string | null): Promise<void> {
    this.decoding.setOverride(connectionId, decoderId);
    this.decodingVersion++;
    this.dataVersion++;
    if (decoderId === null) await this.db?.delete('settings', decoderOverrideKey(connectionId)).catch(() => undefined);
    else await this.persist(decoderOverrideKey(connectionId), decoderId);
    if (this.decodedQuery.trim() !== '') await this.rebuildView(true);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Selection.

  private clearSelection(): void {
    this.selectedIndex = -1;
    this.selected = null;
  }

  /** Selects the row at `index` in the grid (clamped); the row's record is read for the detail pane. */
  async select(index: number, options: { open?: boolean } = {}): Promise<void> {
    if (this.shown === 0) return;
    const clamped = Math.max(0, Math.min(this.shown - 1, index));
    this.selectedIndex = clamped;
    if (options.open) this.detailOpen = true;
    this.requestScroll(clamped);
    const token = this.viewToken;
    const [row] = await this.rowsAt(clamped, 1);
    if (token === this.viewToken && this.selectedIndex === clamped) this.selected = row ?? null;
  }

  moveSelection(delta: number): Promise<void> {
    const from = this.selectedIndex < 0 ? (delta > 0 ? -1 : this.shown) : this.selectedIndex;
    if (delta < 0 || this.selectedIndex >= 0) this.follow = false;
    return this.select(from + delta);
  }

  openDetails(): void {
    if (this.selectedIndex >= 0) this.detailOpen = true;
  }

  closeDetails(): void {
    this.detailOpen = false;
  }

  private requestScroll(index: number): void {
    this.scrollRequest = { index, version: ++this.scrollVersion };
  }

  setFollow(follow: boolean): void {
    this.follow = follow;
  }

  // ---------------------------------------------------------------------------------------------------------
  // Search over every stored session.

  async search(text: string): Promise<void> {
    this.searchAbort?.abort();
    this.searchText = text;
    this.searchHits = [];
    if (text.trim() === '' || !this.db) {
      this.searching = false;
      return;
    }
    const abort = new AbortController();
    this.searchAbort = abort;
    this.searching = true;
    const { matches } = compileFilter({ ...emptyFilter(), contains: text });
    try {
      const hits = await searchAllSessions(this.db, matches!, text, {
        signal: abort.signal,
        onProgress: (found) => {
          if (!abort.signal.aborted) this.searchHits = [...found];
        },
      });
      if (!abort.signal.aborted) this.searchHits = hits;
    } finally {
      if (!abort.signal.aborted) this.searching = false;
    }
  }

  /** Opens a search hit: its session, its connection and (for a payload hit) the row itself. */
  async openSearchHit(hit: SearchHit): Promise<void> {
    await this.reloadSessions();
    await this.showSession(hit.session.id, true);
    if (!hit.row) return;
    this.filter = emptyFilter();
    this.connectionId = hit.row.connectionId;
    await this.rebuildView();
    if (!this.sequence) return;
    const index = this.sequence.positionOf(refOf(hit.row));
    this.follow = false;
    await this.select(index, { open: true });
  }
}
