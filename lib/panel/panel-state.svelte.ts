/**
 * The panel's state: one root that owns a slice per concern and updates them from one message `switch`
 * (as Svelte DevTools' lib/state.svelte.ts). Components read slices' fields and call their methods; nothing else
 * writes here.
 *
 *   link       BackgroundLink   the port to the background, as explicit states (link-state.svelte.ts)
 *   sessions   SessionsState    which session and connection are on screen (sessions-state.svelte.ts)
 *   view       ViewState        the rows on screen, paging, selection (view-state.svelte.ts)
 *   filters    FiltersState     the row filter and saved filters (filters-state.svelte.ts)
 *   decoding   DecodingState    protocol decoders per connection (decoding-state.svelte.ts)
 *   search     SearchState      search over every stored session (search-state.svelte.ts)
 *   act        ActState         rules, held frames, replays (act-state.svelte.ts)
 *   dialogs    DialogsState     which dialog is open, one at a time (dialogs-state.svelte.ts)
 *   layout     LayoutState      sidebar sizes and folds, remembered (layout-state.svelte.ts)
 *   columns    ColumnsState     the grid's columns shown and their widths (columns-state.svelte.ts)
 *   prefs      PreferencesState the user's settings in one place (preferences-state.svelte.ts)
 *   conversation ConversationState pairs, latency, heartbeats, stats, timeline (conversation-state.svelte.ts)
 *
 * The root does what spans slices: showing a session, rebuilding the view when the filter or decoders change,
 * and refreshing. Data flow: the background only says *that* something was stored; refreshes are throttled
 * (REFRESH_MS) and re-read counts and the connections the `stored` notes named since the last refresh (not the
 * whole list: a session may hold 20,000 connections), then bump the view's `dataVersion` so the grid re-reads
 * the rows it shows. A page may store thousands of frames a second; the panel does a few small reads per refresh.
 */
import type { BackgroundToPanelMessage, PanelToBackgroundMessage } from '../shared/protocol';
import { message } from '../shared/protocol';
import type { Port } from '../shared/transport';
import { bothMatch } from '../shared/filters';
import type { ConnectionRecord } from '../shared/records';
import type { InspectorDatabase } from '../store/frame-store';
import type { SearchHit } from '../store/frame-query';
import { ActState } from './act-state.svelte';
import { ColumnsState } from './columns-state.svelte';
import { ConversationState, siteOf } from './conversation-state.svelte';
import { DecodingState } from './decoding-state.svelte';
import { DialogsState } from './dialogs-state.svelte';
import { FiltersState } from './filters-state.svelte';
import { HandshakeAccessState, type HandshakeAccess } from './handshake-access-state.svelte';
import { BackgroundLink } from './link-state.svelte';
import { LayoutState } from './layout-state.svelte';
import { databaseSettings } from './panel-settings';
import { PreferencesState } from './preferences-state.svelte';
import { SearchState } from './search-state.svelte';
import { SessionsState } from './sessions-state.svelte';
import type { Theme } from './theme';
import { ThrottledTask } from './throttled-task';
import { ViewState } from './view-state.svelte';

export interface PanelEnvironment {
  /** The inspected tab, or null when opened without one (stored sessions are still browsable). */
  tabId: number | null;
  inDevtools: boolean;
  /** Opens the port to the background; throws when the extension context is gone. */
  connect(): Port<PanelToBackgroundMessage>;
  openDb(): Promise<InspectorDatabase>;
  /** Opens this panel in a normal tab (the "Open in tab" control). */
  openInTab(url: string): void;
  panelUrl(tabId: number | null): string;
  /**
   * Calls back when the inspected tab loads a new page (DevTools' onNavigated, or tabs.onUpdated for the panel in
   * a tab). Its session is made only when it opens a WebSocket, so the panel asks which one it is.
   */
  onNavigated?(listener: () => void): void;
  /** Handshake capture's permissions (absent where the page cannot ask: unit tests). */
  handshakeAccess?: HandshakeAccess;
}

/** Throttle for refreshes triggered by `stored` notes. */
export const REFRESH_MS = 150;

/** Past this many connections named since the last refresh, a refresh reads the whole list again instead. */
export const NAMED_READ_MAX = 512;

/**
 * Past this many connections, a session's rows are shown before decoders are detected (each detection reads a
 * connection's first rows); the rows on screen are re-read once detection is done.
 */
export const DETECT_FIRST_MAX = 256;

export class PanelState {
  readonly env: PanelEnvironment;
  readonly link: BackgroundLink;
  readonly sessions: SessionsState;
  readonly view: ViewState;
  readonly filters: FiltersState;
  readonly decoding: DecodingState;
  readonly search: SearchState;
  /** Acting on live traffic (rules, held frames, replays): fed by `handle`, sends through the link. */
  readonly act: ActState;
  readonly dialogs: DialogsState;
  readonly layout: LayoutState;
  readonly columns: ColumnsState;
  readonly prefs: PreferencesState;
  /** Handshake capture: granted or not, asked for from the Handshake section or Settings. */
  readonly handshakeAccess: HandshakeAccessState;
  readonly conversation: ConversationState;

  /** Capture is paused for the inspected tab (frames are not stored). */
  paused = $state(false);
  theme = $state<Theme>('light');
  /** Short announcements (copied, failures) for the status line. */
  notice = $state('');

  private database: InspectorDatabase | undefined;
  /** Connections named by `stored` notes since the last refresh ('all': read the whole list again). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
  private changedConnections: Set<string> | 'all' = new Set();
  private readonly refresher = new ThrottledTask(() => this.refresh(), REFRESH_MS);

  constructor(env: PanelEnvironment) {
    this.env = env;
    const settings = databaseSettings(
      () => this.database,
      (notice) => (this.notice = notice),
    );
    this.link = new BackgroundLink({ tabId: env.tabId, connect: () => env.connect(), receive: (msg) => this.handle(msg) });
    this.sessions = new SessionsState(env.tabId);
    this.view = new ViewState(settings);
    this.filters = new FiltersState({
      settings,
      changed: () => this.rebuildView(true),
      notify: (notice) => (this.notice = notice),
      // Hidden kinds compare decoded message types where the connection's decoder gives one.
      decoded: (row) => this.decoding.decodedOf(row),
      // Conversation filters (unanswered, slower than, heartbeats) read the conversation slice.
      conversation: {
        pairOf: (row) => this.conversation.pairOf(row),
        isUnanswered: (row) => this.conversation.isUnanswered(row),
        isHeartbeat: (row) => this.conversation.isHeartbeat(row),
      },
    });
    this.decoding = new DecodingState(settings);
    this.search = new SearchState(() => this.database);
    this.act = new ActState(this.link);
    this.dialogs = new DialogsState();
    this.layout = new LayoutState(settings);
    this.columns = new ColumnsState(settings);
    this.prefs = new PreferencesState(settings);
    this.handshakeAccess = new HandshakeAccessState(env.handshakeAccess);
    // Conversation wiring: a view filtered by what the conversation found is scanned again when it learns more.
    this.conversation = new ConversationState(settings, { changed: () => void (this.filters.usesConversation && this.rebuildView(true)) });
  }

  get tabId(): number | null {
    return this.env.tabId;
  }

  /**
   * The URL of the page in the inspected tab, as its stored session says: the session its page load writes into,
   * else the tab's newest (undefined without a tab or before it stored anything). New rules take its origin.
   */
  get inspectedPageUrl(): string | undefined {
    if (this.tabId === null) return undefined;
    const { sessions, pageSessionId } = this.sessions;
    return (sessions.find((s) => s.id === pageSessionId) ?? sessions.find((s) => s.tabId === this.tabId))?.pageUrl;
  }

  /** The panel's open database (undefined until `start` opened it). */
  get db(): InspectorDatabase | undefined {
    return this.database;
  }

  async start(): Promise<void> {
    this.database = await this.env.openDb();
    await this.filters.load();
    await this.view.loadPreferences();
    await Promise.all([this.layout.load(), this.columns.load(), this.prefs.load(), this.handshakeAccess.refresh()]);
    this.link.open();
    this.env.onNavigated?.(() => this.link.post(message({ type: 'page-session-query' })));
    await this.sessions.reload(this.database);
    // The page's own session, if it already said which (page-session), even before it stored anything.
    await this.showSession(await this.sessions.defaultSessionId(this.database, this.sessions.sessions[0]), false);
  }

  dispose(): void {
    this.link.close();
    this.view.cancel();
    this.search.cancel();
    this.refresher.cancel();
    this.conversation.dispose(); // conversation wiring: its worker ends with the panel
  }

  /** Every background notification lands here. */
  handle(msg: BackgroundToPanelMessage): void {
    switch (msg.type) {
      case 'panel-welcome': {
        const welcome = this.link.welcomed(msg.protocolVersion);
        if (welcome === 'mismatch') return;
        this.paused = msg.paused;
        this.act.onConnected();
        this.link.post(message({ type: 'page-session-query' }));
        // Notes may have been missed while the worker was away.
        if (welcome === 'again') {
          this.changedConnections = 'all';
          void this.sessions.reload(this.database).then(() => this.refresher.schedule());
        }
        return;
      }
      case 'stored':
        if (msg.sessionId === this.sessions.sessionId) {
          if (this.changedConnections !== 'all') {
            for (const id of msg.connectionIds) this.changedConnections.add(id);
            if (this.changedConnections.size > NAMED_READ_MAX) this.changedConnections = 'all';
          }
          this.refresher.schedule();
        }
        else if (!this.sessions.sessions.some((s) => s.id === msg.sessionId)) void this.sessions.reload(this.database);
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
      case 'command-result':
        this.link.settle(msg.requestId, { ok: msg.ok, error: msg.error });
        return;
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
    if (sessionId === null || sessionId === this.sessions.pageSessionId) return;
    const isNewLoad = this.sessions.pageSessionId !== null;
    this.sessions.pageSessionId = sessionId;
    if (isNewLoad) this.act.forgetHolds();
    if (this.follows(sessionId)) await this.showSession(sessionId, false);
  }

  private async onSessionStarted(sessionId: string): Promise<void> {
    this.act.forgetHolds(); // a new page load: the old page's holds went with it
    await this.sessions.reload(this.database);
    // A new page load in the tab: show it, unless the user is looking at a session they picked.
    if (this.follows(sessionId)) await this.showSession(sessionId, false);
  }

  /**
   * Whether a new page load's session should replace what is on screen: not when the user picked a session, nor when
   * it is the one shown. Both as last asked for (a pick may still wait its turn in showSession), not only as entered.
   */
  private follows(sessionId: string): boolean {
    const wanted = this.lastShowRequest ?? { sessionId: this.sessions.sessionId, pinned: this.sessions.pinned };
    return !wanted.pinned && sessionId !== wanted.sessionId;
  }

  private async onCleared(scope: 'session' | 'all', sessionId?: string): Promise<void> {
    await this.sessions.reload(this.database);
    if (scope === 'all' || sessionId === this.sessions.sessionId) {
      this.sessions.pinned = false;
      // The page in the tab goes on writing into its session (made again on its next message): stay on it.
      await this.showSession(await this.sessions.defaultSessionId(this.database), false);
    }
  }

  // ---------------------------------------------------------------------------------------------------------
  // Commands to the background.

  setPaused(paused: boolean): void {
    if (this.tabId === null) return;
    if (!this.link.post(message({ type: 'set-paused', tabId: this.tabId, paused }))) this.notice = 'Not connected to the background; try again in a moment.';
  }

  clearSession(): void {
    const sessionId = this.sessions.sessionId;
    if (sessionId === null) return;
    if (!this.link.post(message({ type: 'clear', scope: 'session', sessionId }))) this.notice = 'Not connected to the background; nothing was cleared.';
  }

  clearAll(): void {
    if (!this.link.post(message({ type: 'clear', scope: 'all' }))) this.notice = 'Not connected to the background; nothing was cleared.';
  }

  openInTab(): void {
    this.env.openInTab(this.env.panelUrl(this.tabId));
  }

  // ---------------------------------------------------------------------------------------------------------
  // What is on screen.

  /** The user picked a session in the picker. */
  async pickSession(sessionId: string | null): Promise<void> {
    await this.showSession(sessionId, await this.sessions.pins(this.database, sessionId));
  }

  async selectConnection(connectionId: string | null): Promise<void> {
    if (connectionId === this.sessions.connectionId) return;
    this.sessions.connectionId = connectionId;
    await this.rebuildView(true);
  }

  /** "Decode as": the user's decoder for a connection (null returns to detection), kept in settings. */
  async setDecoderOverride(connectionId: string, decoderId: string | null): Promise<void> {
    const saving = this.decoding.setOverride(connectionId, decoderId);
    this.view.invalidate();
    await saving;
    this.syncConversation(); // conversation wiring: pairs are read by the connection's decoder
    if (this.filters.decodedQuery.trim() !== '') await this.rebuildView(true);
  }

  /** The decoder in use per connection of the session (an export of the filtered view decodes with these). */
  decoderIdsInUse(): Record<string, string> {
    return this.decoding.decoderIdsInUse(this.sessions.connections.map((c) => c.id));
  }

  /** Opens a search hit: its session, its connection and (for a payload hit) the row itself. */
  async openSearchHit(hit: SearchHit): Promise<void> {
    await this.sessions.reload(this.database);
    await this.showSession(hit.session.id, true);
    if (!hit.row) return;
    this.filters.clearFrameFilter();
    this.sessions.connectionId = hit.row.connectionId;
    await this.rebuildView();
    await this.view.reveal(hit.row);
  }

  /**
   * Shows a session, one request at a time: the panel's start and the page's `page-session` answer could both ask at
   * once, and two interleaved entries reset each other's decoders mid-detection (the last could then analyse the
   * session with none). Requests run in order, the last one wins, and asking again for the session already being
   * entered waits for that entry instead of starting over.
   */
  private showSession(sessionId: string | null, pinned: boolean): Promise<void> {
    const last = this.lastShowRequest;
    if (last && last.sessionId === sessionId && last.pinned === pinned) return last.done;
    const done = this.showing.then(() => this.enterSession(sessionId, pinned));
    const request = { sessionId, pinned, done };
    this.lastShowRequest = request;
    this.showing = done.catch(() => undefined);
    void this.showing.then(() => {
      if (this.lastShowRequest === request) this.lastShowRequest = undefined;
    });
    return done;
  }

  private showing: Promise<void> = Promise.resolve();
  private lastShowRequest: { sessionId: string | null; pinned: boolean; done: Promise<void> } | undefined;

  private async enterSession(sessionId: string | null, pinned: boolean): Promise<void> {
    this.view.reset();
    this.decoding.reset();
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
    this.changedConnections = new Set();
    await this.sessions.enter(this.database, sessionId, pinned);
    if (sessionId === null || !this.database) {
      this.syncConversation(); // conversation wiring: no session, no analysis
      return this.rebuildView();
    }
    if (this.sessions.connections.length <= DETECT_FIRST_MAX) {
      await this.detectDecoders();
      this.syncConversation(); // conversation wiring: analyse the session entered, with its decoders
      return this.rebuildView();
    }
    // Many connections: rows first, decoders after (a decoded filter scans again once they are known).
    await this.rebuildView();
    const token = this.view.token;
    const changed = await this.detectDecoders();
    if (this.view.isCurrent(token)) this.syncConversation(); // conversation wiring: as above, once decoders are known
    if (changed && this.view.isCurrent(token) && this.filters.decodedQuery.trim() !== '') await this.rebuildView(true);
  }

  /** Conversation wiring: tells the conversation slice what is on screen (it starts over or goes on by itself). */
  private syncConversation(): void {
    const { sessionId, session } = this.sessions;
    const decoderIds = this.decoderIdsInUse();
    if (session || sessionId === null || !this.database) {
      void this.conversation.show({ sessionId, site: siteOf(session?.pageUrl), decoderIds });
      return;
    }
    // A page load announced before the session list was read: its site (for the saved JSON paths) from its record.
    void this.database.get('sessions', sessionId).then((record) => {
      if (this.sessions.sessionId === sessionId) void this.conversation.show({ sessionId, site: siteOf(record?.pageUrl), decoderIds });
    });
  }

  /** Shows the rows of the session and connection on screen that the filters match. */
  private rebuildView(keepSelection = false): Promise<void> {
    const matches = bothMatch(this.filters.compile(), this.decoding.matcher(this.filters.decodedQuery));
    const { sessionId, connectionId } = this.sessions;
    return this.view.rebuild(this.database, sessionId === null ? null : { sessionId, connectionId }, matches, keepSelection);
  }

  /** Detects decoders of `connections` (default: all of the session's). */
  private async detectDecoders(connections: readonly ConnectionRecord[] = this.sessions.connections): Promise<boolean> {
    const changed = await this.decoding.detect(this.database, this.sessions.sessionId, connections);
    if (changed) this.view.invalidate();
    return changed;
  }

  /**
   * Counts, the connections named since the last refresh (all of them after a reconnect or a flood of names),
   * decoders of those, and the rows on screen (throttled by `refresher`).
   */
  private async refresh(): Promise<void> {
    const token = this.view.token;
    const db = this.database;
    const sessionId = this.sessions.sessionId;
    if (!db || sessionId === null) return;
    const generation = this.sessions.generation;
    const named = this.changedConnections;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, not shown
    this.changedConnections = new Set();
    const whole = named === 'all';
    const { connections, session } = whole ? await this.sessions.read(db, sessionId) : await this.sessions.readNamed(db, sessionId, named);
    // Another session entered meanwhile: it read its own list. A view change (filter) keeps the list's news.
    if (this.sessions.generation !== generation) return;
    if (whole) this.sessions.connections = connections;
    else this.sessions.merge(connections);
    if (session) this.sessions.update(session);
    if (!this.view.isCurrent(token)) return;
    if (await this.detectDecoders(connections)) {
      if (!this.view.isCurrent(token)) return;
      // Rows already scanned were tested without this connection's decoder: scan again.
      if (this.filters.decodedQuery.trim() !== '') {
        void this.rebuildView(true);
        return;
      }
    }
    if (!this.view.isCurrent(token)) return;
    this.syncConversation(); // conversation wiring: new rows are analysed (the slice throttles)
    await this.view.refresh(token);
  }
}
