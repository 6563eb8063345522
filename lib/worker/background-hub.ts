/**
 * The background's router, keyed by tab: capture ports (relays, one per frame) and panel ports (one per open
 * panel). Panels are told what was stored and read IndexedDB themselves; panel commands go to the relays of
 * the panel's tab only, and a relay's results go back to the panel that asked.
 *
 * Relays connect only when they have something to say, so a command's target may have no port open: the hub
 * wakes the tab's relays (HubDeps.wakeTab) and hands the command to each relay welcomed while it waits.
 */
import type { BackgroundToPanelMessage, PageSessionInfo, PanelToBackgroundMessage, WireCommand } from '../shared/protocol';
import type { SessionRecord } from '../shared/records';
import { DEFAULT_HOLD_TIMEOUT_MS, type InterceptRule } from '../shared/intercept-rules';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import { attachCapturePort, type CaptureConnection, type CapturePort } from './capture-router';
import { clearAll, deleteSession, enforceRetention, getRetention, type InspectorDatabase } from '../store/frame-store';

export interface PanelPort {
  postMessage(message: BackgroundToPanelMessage): void;
  onMessage: { addListener(listener: (message: unknown) => void): void };
  onDisconnect: { addListener(listener: () => void): void };
}

export interface HubDeps {
  db(): Promise<InspectorDatabase>;
  /** Persists paused tabs across worker restarts (storage.session in the extension). */
  loadPaused(): Promise<number[]>;
  savePaused(tabIds: number[]): Promise<void>;
  /** Persists intercept rules (storage.local in the extension). */
  loadRules(): Promise<StoredRules>;
  saveRules(rules: StoredRules): Promise<void>;
  /** Asks every relay of the tab to connect (tabs.sendMessage); false when no frame of the tab could be reached. */
  wakeTab(tabId: number): Promise<boolean>;
  /**
   * The tab's top frame's page load, asked without connecting; undefined when it has no relay. `patient`: retry
   * for a moment, as a frame that is loading has no relay yet.
   */
  topFrameSession(tabId: number, patient?: boolean): Promise<PageSessionInfo | undefined>;
  log(error: unknown): void;
}

interface PendingCommand {
  panel: PanelPort;
  timer: ReturnType<typeof setTimeout>;
  tabId: number;
  command: WireCommand;
  /** Relays it was handed to: a relay welcomed while the command waits gets it once. */
  deliveredTo: WeakSet<CaptureConnection>;
}

export interface StoredRules {
  rules: InterceptRule[];
  holdTimeoutMs: number;
}

/** How long a panel command waits for the page to answer before it is reported as failed. */
export const COMMAND_TIMEOUT_MS = 5000;
const RETENTION_DELAY_MS = 10_000;

export class BackgroundHub {
  private readonly deps: HubDeps;
  private readonly captures = new Map<number, Set<CaptureConnection>>();
  private readonly panels = new Map<number, Set<PanelPort>>();
  private paused = new Set<number>();
  private readonly pausedLoaded: Promise<void>;
  private readonly pendingCommands = new Map<string, PendingCommand>();
  private retentionTimer: ReturnType<typeof setTimeout> | undefined;
  private rules: StoredRules = { rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS };
  private readonly rulesLoaded: Promise<void>;

  constructor(deps: HubDeps) {
    this.deps = deps;
    this.pausedLoaded = deps.loadPaused().then(
      (ids) => {
        for (const id of ids) this.paused.add(id);
      },
      (error: unknown) => deps.log(error),
    );
    this.rulesLoaded = deps.loadRules().then(
      (stored) => {
        if (stored && Array.isArray(stored.rules)) this.rules = stored;
      },
      (error: unknown) => deps.log(error),
    );
  }

  /** A relay connected from a frame of `tabId`. */
  addCapturePort(port: CapturePort, tabId: number): void {
    const connection = attachCapturePort(port, tabId, {
      db: async () => {
        await this.pausedLoaded;
        return this.deps.db();
      },
      isPaused: (id) => this.paused.has(id),
      onSessionStarted: (id, sessionId) => this.toPanels(id, message({ type: 'session-started', sessionId })),
      onStored: (id, sessionId, connectionIds) => {
        this.toPanels(id, message({ type: 'stored', sessionId, connectionIds }));
        this.scheduleRetention();
      },
      onCommandResult: (requestId, ok, error) => this.finishCommand(requestId, ok, error),
      onNotice: (id, notice) => this.toPanels(id, message({ type: 'page-notice', tabId: id, notice })),
      onWelcome: (relay) => {
        for (const [requestId, pending] of this.pendingCommands) if (pending.tabId === relay.tabId) this.deliver(requestId, pending, relay);
      },
      topFrameSession: (id) => this.deps.topFrameSession(id),
      onError: (error) => this.deps.log(error),
    });
    const set = this.captures.get(tabId) ?? new Set();
    set.add(connection);
    this.captures.set(tabId, set);
    port.onDisconnect.addListener(() => {
      set.delete(connection);
      if (set.size === 0) this.captures.delete(tabId);
    });
  }

  /** A panel (DevTools or tab) connected. It names its tab in its hello. */
  addPanelPort(port: PanelPort): void {
    let tabId: number | undefined;
    port.onMessage.addListener((data) => {
      if (!isProtocolMessage(data)) return;
      const msg = data as PanelToBackgroundMessage;
      void this.onPanelMessage(port, msg, tabId, (id) => (tabId = id)).catch((error: unknown) => this.deps.log(error));
    });
    port.onDisconnect.addListener(() => {
      if (tabId !== undefined) this.panels.get(tabId)?.delete(port);
      for (const [requestId, pending] of this.pendingCommands) {
        if (pending.panel === port) {
          clearTimeout(pending.timer);
          this.pendingCommands.delete(requestId);
        }
      }
    });
  }

  private async onPanelMessage(port: PanelPort, msg: PanelToBackgroundMessage, tabId: number | undefined, setTab: (id: number) => void): Promise<void> {
    switch (msg.type) {
      case 'panel-hello': {
        if (!Number.isInteger(msg.tabId)) return;
        setTab(msg.tabId);
        const set = this.panels.get(msg.tabId) ?? new Set();
        set.add(port);
        this.panels.set(msg.tabId, set);
        await this.pausedLoaded;
        safePost(port, message({ type: 'panel-welcome', protocolVersion: PROTOCOL_VERSION, tabId: msg.tabId, paused: this.paused.has(msg.tabId) }));
        return;
      }
      case 'set-paused': {
        if (msg.paused) this.paused.add(msg.tabId);
        else this.paused.delete(msg.tabId);
        await this.deps.savePaused([...this.paused]);
        this.toPanels(msg.tabId, message({ type: 'capture-state', tabId: msg.tabId, paused: msg.paused }));
        return;
      }
      case 'clear': {
        const db = await this.deps.db();
        if (msg.scope === 'all') await clearAll(db);
        else await deleteSession(db, msg.sessionId);
        const note = message<BackgroundToPanelMessage>(
          msg.scope === 'all' ? { type: 'cleared', scope: 'all' } : { type: 'cleared', scope: 'session', sessionId: msg.sessionId },
        );
        for (const set of this.panels.values()) for (const panel of set) safePost(panel, note);
        return;
      }
      case 'get-rules': {
        await this.rulesLoaded;
        safePost(port, message({ type: 'rules', rules: this.rules.rules, holdTimeoutMs: this.rules.holdTimeoutMs }));
        return;
      }
      case 'set-rules': {
        if (!Array.isArray(msg.rules)) return;
        await this.rulesLoaded;
        this.rules = { rules: msg.rules, holdTimeoutMs: Number(msg.holdTimeoutMs) > 0 ? Number(msg.holdTimeoutMs) : DEFAULT_HOLD_TIMEOUT_MS };
        // Relays read them from storage (storage.onChanged), connected or not.
        await this.deps.saveRules(this.rules);
        const note = message<BackgroundToPanelMessage>({ type: 'rules', rules: this.rules.rules, holdTimeoutMs: this.rules.holdTimeoutMs });
        for (const set of this.panels.values()) for (const panel of set) safePost(panel, note);
        return;
      }
      case 'page-command': {
        if (tabId === undefined || msg.tabId !== tabId) {
          safePost(port, message({ type: 'command-result', requestId: msg.requestId, ok: false, error: 'This panel is not attached to that tab.' }));
          return;
        }
        const requestId = msg.requestId;
        const timer = setTimeout(() => this.finishCommand(requestId, false, 'The page did not answer: the connection is no longer in the page.'), COMMAND_TIMEOUT_MS);
        const pending: PendingCommand = { panel: port, timer, tabId, command: msg.command, deliveredTo: new WeakSet() };
        this.pendingCommands.set(requestId, pending);
        // Each relay knows its own frame's sockets and ignores the rest; relays with no port are woken and get
        // the command when welcomed (onWelcome).
        for (const relay of this.captures.get(tabId) ?? []) this.deliver(requestId, pending, relay);
        const reached = await this.deps.wakeTab(tabId);
        if (!reached && !this.captures.get(tabId)?.size) this.finishCommand(requestId, false, 'The page is not connected (closed, navigated away, or not captured).');
        return;
      }
      case 'page-session-query': {
        if (tabId === undefined) return;
        const info = await this.deps.topFrameSession(tabId);
        safePost(port, message({ type: 'page-session', tabId, sessionId: info?.sessionId ?? null }));
        return;
      }
    }
  }

  private deliver(requestId: string, pending: PendingCommand, relay: CaptureConnection): void {
    if (pending.deliveredTo.has(relay)) return;
    pending.deliveredTo.add(relay);
    relay.post(message({ type: 'command', requestId, command: pending.command }));
  }

  private finishCommand(requestId: string, ok: boolean, error?: string): void {
    const pending = this.pendingCommands.get(requestId);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pendingCommands.delete(requestId);
    safePost(pending.panel, message({ type: 'command-result', requestId, ok, error }));
  }

  private toPanels(tabId: number, msg: BackgroundToPanelMessage): void {
    const set = this.panels.get(tabId);
    if (set) for (const panel of set) safePost(panel, msg);
  }

  /** Sessions being captured right now are never evicted. */
  liveSessions(): Set<string> {
    const live = new Set<string>();
    for (const set of this.captures.values()) for (const c of set) {
      const id = c.sessionId();
      if (id) live.add(id);
    }
    return live;
  }

  /**
   * Which of these sessions a tab's page is still on. Relays of quiet pages have no port open, so liveSessions
   * misses them; the top frame of each session's tab is asked.
   */
  private async pagesStillOn(candidates: SessionRecord[]): Promise<string[]> {
    const tabs = new Set<number>();
    for (const s of candidates) if (s.source === 'captured' && s.tabId !== null) tabs.add(s.tabId);
    const answers = await Promise.all([...tabs].map((tabId) => this.deps.topFrameSession(tabId, false).catch(() => undefined)));
    return answers.flatMap((info) => (info ? [info.sessionId] : []));
  }

  private scheduleRetention(): void {
    if (this.retentionTimer !== undefined) return;
    this.retentionTimer = setTimeout(() => {
      this.retentionTimer = undefined;
      this.enforceRetention().catch((error: unknown) => this.deps.log(error));
    }, RETENTION_DELAY_MS);
  }

  /** Evicts what the retention settings say must go, never a session a page is still on; tells the panels. */
  async enforceRetention(): Promise<string[]> {
    const db = await this.deps.db();
    const evicted = await enforceRetention(db, await getRetention(db), this.liveSessions(), (candidates) => this.pagesStillOn(candidates));
    for (const sessionId of evicted) {
      for (const set of this.panels.values()) for (const panel of set) safePost(panel, message({ type: 'cleared', scope: 'session', sessionId }));
    }
    return evicted;
  }
}

function safePost(port: PanelPort, msg: BackgroundToPanelMessage): void {
  try {
    port.postMessage(msg);
  } catch {
    // the panel closed
  }
}
