/**
 * The background's two halves, assembled: the capture side (CaptureRouter: relays' ports, storing, commands to
 * pages, retention) and the panel side (BackgroundHub: panels' ports and requests). They meet in two small
 * interfaces: the router tells panels through PanelNotices; the hub hands panels' commands over as PanelCommands.
 * Tabs that go away (removed, or found gone at start) have their connections ended through GoneTabs.
 */
import type { PageSessionInfo } from '../shared/protocol';
import type { InspectorDatabase } from '../store/frame-store';
import { BackgroundHub, type StoredRules } from './background-hub';
import { CaptureRouter } from './capture-router';
import { GoneTabs, type SweepMemory } from './gone-tabs';
import { NetworkHandshakes } from './network-handshakes';
import { PanelPorts } from './panel-ports';
import { PausedTabs } from './paused-tabs';

export interface WorkerDeps {
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
  /** A tab's first panel opened or its last one closed (see HubDeps.watchChanged). */
  watchChanged(tabId: number, watched: boolean, tabs: number[]): void;
  /** Whether the tab still exists (tabs.get resolves). Absent: every tab does (nothing is swept). */
  tabExists?(tabId: number): Promise<boolean>;
  /** Persists what the start sweep did in this browser run (storage.session). Absent: kept in memory. */
  loadSweepMemory?(): Promise<SweepMemory | undefined>;
  saveSweepMemory?(memory: SweepMemory): Promise<void>;
  log(error: unknown): void;
}

export interface Worker {
  router: CaptureRouter;
  hub: BackgroundHub;
  /** The browser removed the tab at `time` (tabs.onRemoved): its connections still open end as 'page-closed'. */
  tabRemoved(tabId: number, time: number): Promise<void>;
  /** At start: ends the connections left open by tabs gone while the background was stopped (gone-tabs.ts). */
  sweep(): Promise<void>;
  /** Handshakes from webRequest, once the user granted it (network-handshakes.ts). */
  handshakes: NetworkHandshakes;
}

export function createWorker(deps: WorkerDeps): Worker {
  const panels = new PanelPorts();
  const paused = new PausedTabs(deps);
  let memory: SweepMemory | undefined;
  const goneTabs: GoneTabs = new GoneTabs({
    db: () => deps.db(),
    tabExists: (tabId) => deps.tabExists?.(tabId) ?? Promise.resolve(true),
    loadMemory: () => deps.loadSweepMemory?.() ?? Promise.resolve(memory),
    saveMemory: (next) => deps.saveSweepMemory?.(next) ?? Promise.resolve(void (memory = next)),
    liveSessions: (): Set<string> => router.liveSessions(),
    panels,
  });
  const router: CaptureRouter = new CaptureRouter({
    db: () => deps.db(),
    paused,
    panels,
    wakeTab: (tabId) => deps.wakeTab(tabId),
    topFrameSession: (tabId, patient) => deps.topFrameSession(tabId, patient),
    tabRemovedAt: (tabId): Promise<number | undefined> => goneTabs.removalTime(tabId),
    log: (error) => deps.log(error),
  });
  const hub = new BackgroundHub({
    db: () => deps.db(),
    panels,
    paused,
    commands: router,
    loadRules: () => deps.loadRules(),
    saveRules: (rules) => deps.saveRules(rules),
    topFrameSession: (tabId) => deps.topFrameSession(tabId),
    watchChanged: (tabId, watched, tabs) => deps.watchChanged(tabId, watched, tabs),
    log: (error) => deps.log(error),
  });
  const tabRemoved = async (tabId: number, time: number) => {
    goneTabs.removed(tabId, time);
    await router.tabRemoved(tabId, time); // what its relays sent is stored first
    await goneTabs.endTab(tabId, { reason: 'page-closed', time });
  };
  const handshakes = new NetworkHandshakes({ db: () => deps.db(), panels, log: (error) => deps.log(error) });
  return { router, hub, tabRemoved, sweep: () => goneTabs.sweep(), handshakes };
}
