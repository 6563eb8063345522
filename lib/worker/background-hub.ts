/**
 * The background's panel side, keyed by tab: panel ports (one per open panel, each naming its tab in its hello),
 * and what panels ask of the background: pause a tab, clear stored sessions, read and save intercept rules, run a
 * command in the page (handed to the capture side: PanelCommands), which session the tab's page writes into, and
 * the sockets DevTools' network log lists (lib/worker/devtools-sockets.ts).
 * Panels are told what was stored and read IndexedDB themselves.
 */
import type { BackgroundToPanelMessage, PageSessionInfo, PanelToBackgroundMessage, WireCommand } from '../shared/protocol';
import { DEFAULT_HOLD_TIMEOUT_MS, type InterceptRule } from '../shared/intercept-rules';
import { PROTOCOL_VERSION, isProtocolMessage, message } from '../shared/protocol';
import { clearAll, deleteSession, type InspectorDatabase } from '../store/frame-store';
import { sendToPanel, type PanelPort, type PanelPorts } from './panel-ports';
import type { PausedTabs } from './paused-tabs';
import { DevtoolsSocketWriter } from './devtools-sockets';

export interface StoredRules {
  rules: InterceptRule[];
  holdTimeoutMs: number;
}

/** The capture side as panels' commands reach it (CaptureRouter). */
export interface PanelCommands {
  sendCommand(panel: PanelPort, tabId: number, requestId: string, command: WireCommand): Promise<void>;
  dropPanel(panel: PanelPort): void;
}

export interface HubDeps {
  db(): Promise<InspectorDatabase>;
  panels: PanelPorts;
  paused: PausedTabs;
  commands: PanelCommands;
  /** Persists intercept rules (storage.local in the extension). */
  loadRules(): Promise<StoredRules>;
  saveRules(rules: StoredRules): Promise<void>;
  /** The tab's top frame's page load, asked without connecting; undefined when it has no relay. */
  topFrameSession(tabId: number): Promise<PageSessionInfo | undefined>;
  /**
   * A tab's first panel opened (true) or its last one closed (false): its relays hand breakpoints to their hooks
   * only while watched, and forward every held frame when not (issue #9 §6). `tabs` lists every watched tab.
   */
  watchChanged(tabId: number, watched: boolean, tabs: number[]): void;
  log(error: unknown): void;
}

export class BackgroundHub {
  private readonly deps: HubDeps;
  private readonly panels: PanelPorts;
  private readonly paused: PausedTabs;
  private rules: StoredRules = { rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS };
  private readonly rulesLoaded: Promise<void>;
  private readonly devtoolsSockets: DevtoolsSocketWriter;

  constructor(deps: HubDeps) {
    this.deps = deps;
    this.panels = deps.panels;
    this.paused = deps.paused;
    this.devtoolsSockets = new DevtoolsSocketWriter({
      db: deps.db,
      panels: deps.panels,
      paused: (tabId) => deps.paused.has(tabId),
      topFrameSession: deps.topFrameSession,
      log: deps.log,
    });
    this.rulesLoaded = deps.loadRules().then(
      (stored) => {
        if (stored && Array.isArray(stored.rules)) this.rules = stored;
      },
      (error: unknown) => deps.log(error),
    );
  }

  /** A panel (DevTools or tab) connected. It names its tab in its hello. */
  addPanelPort(port: PanelPort): void {
    let tabId: number | undefined;
    port.listen(
      (data) => {
        if (!isProtocolMessage(data)) return;
        const msg = data as PanelToBackgroundMessage;
        void this.onPanelMessage(port, msg, tabId, (id) => (tabId = id)).catch((error: unknown) => this.deps.log(error));
      },
      () => {
        if (tabId !== undefined) this.unwatch(tabId, port);
        this.deps.commands.dropPanel(port);
      },
    );
  }

  /** Whether a panel watches the tab (a relay's watch-query). */
  watches(tabId: number): boolean {
    return this.panels.watches(tabId);
  }

  private unwatch(tabId: number, port: PanelPort): void {
    if (this.panels.remove(tabId, port)) this.deps.watchChanged(tabId, false, this.panels.watchedTabs());
  }

  private async onPanelMessage(port: PanelPort, msg: PanelToBackgroundMessage, tabId: number | undefined, setTab: (id: number) => void): Promise<void> {
    switch (msg.type) {
      case 'panel-hello': {
        if (!Number.isInteger(msg.tabId)) return;
        if (tabId !== undefined && tabId !== msg.tabId) this.unwatch(tabId, port);
        setTab(msg.tabId);
        if (this.panels.add(msg.tabId, port)) this.deps.watchChanged(msg.tabId, true, this.panels.watchedTabs());
        await this.paused.loaded;
        sendToPanel(port, message({ type: 'panel-welcome', protocolVersion: PROTOCOL_VERSION, tabId: msg.tabId, paused: this.paused.has(msg.tabId) }));
        return;
      }
      case 'set-paused': {
        await this.paused.set(msg.tabId, msg.paused);
        this.panels.toTab(msg.tabId, message({ type: 'capture-state', tabId: msg.tabId, paused: msg.paused }));
        return;
      }
      case 'clear': {
        const db = await this.deps.db();
        if (msg.scope === 'all') await clearAll(db);
        else await deleteSession(db, msg.sessionId);
        this.panels.toAll(
          message<BackgroundToPanelMessage>(msg.scope === 'all' ? { type: 'cleared', scope: 'all' } : { type: 'cleared', scope: 'session', sessionId: msg.sessionId }),
        );
        return;
      }
      case 'get-rules': {
        await this.rulesLoaded;
        sendToPanel(port, message({ type: 'rules', rules: this.rules.rules, holdTimeoutMs: this.rules.holdTimeoutMs }));
        return;
      }
      case 'set-rules': {
        if (!Array.isArray(msg.rules)) return;
        await this.rulesLoaded;
        this.rules = { rules: msg.rules, holdTimeoutMs: Number(msg.holdTimeoutMs) > 0 ? Number(msg.holdTimeoutMs) : DEFAULT_HOLD_TIMEOUT_MS };
        // Relays read them from storage (storage.onChanged), connected or not.
        await this.deps.saveRules(this.rules);
        this.panels.toAll(message({ type: 'rules', rules: this.rules.rules, holdTimeoutMs: this.rules.holdTimeoutMs }));
        return;
      }
      case 'page-command': {
        if (tabId === undefined || msg.tabId !== tabId) {
          sendToPanel(port, message({ type: 'command-result', requestId: msg.requestId, ok: false, error: 'This panel is not attached to that tab.' }));
          return;
        }
        await this.deps.commands.sendCommand(port, tabId, msg.requestId, msg.command);
        return;
      }
      case 'page-session-query': {
        if (tabId === undefined) return;
        const info = await this.deps.topFrameSession(tabId);
        sendToPanel(port, message({ type: 'page-session', tabId, sessionId: info?.sessionId ?? null }));
        return;
      }
      case 'devtools-sockets': {
        // Only for the tab this panel watches: a panel's DevTools log is its own tab's.
        if (tabId === undefined || msg.tabId !== tabId) return;
        await this.devtoolsSockets.handle(port, tabId, msg.sockets);
        return;
      }
    }
  }
}
