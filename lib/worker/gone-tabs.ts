/**
 * Tabs that went away, as the background learns of them (issue #21 §1), so that no connection stays "open" for
 * ever in the store:
 * - Tab closed. Chromium drops everything a closing tab's content script sends during pagehide (measured: its last
 *   batches, its goodbye on an open port, a runtime.sendMessage, a storage.local.set), so the relay's goodbye never
 *   comes. The tab's removal (tabs.onRemoved, which needs no permission) ends the tab's connections as
 *   'page-closed' at the time it was removed. A relay port that drops with no goodbye is told apart from a crash
 *   by waiting a moment for its tab's removal (onDisconnect may come before or after onRemoved).
 * - Background stopped meanwhile. After an idle stop a relay's port is gone: a later crash or tab close shows no
 *   port dropping. At start, captured sessions' tabs that no longer exist (tabs.get rejects) have their connections
 *   still open ended as 'crashed' (what happened cannot be told), once per tab per browser run: storage.session
 *   remembers the tabs swept. storage.session starts empty with each browser run and each extension version
 *   (reload, update): the relays of the run before can never come back (an orphaned content script sends
 *   nothing), so on a run's first start the connections its sessions left open are ended at their session's last
 *   activity. Sessions being captured right now are never touched.
 */
import type { InspectorDatabase } from '../store/schema';
import { capturedSessionKeys, endOpenConnectionsOfSessions, endOpenConnectionsOfTab, type PageGone } from '../store/page-gone';
import { message } from '../shared/protocol';
import type { PanelNotices } from './panel-ports';

/** How long a port that dropped with no goodbye waits for its tab's removal before it counts as a crash. */
export const TAB_REMOVAL_GRACE_MS = 1000;
/** Tab ids remembered (removed in this worker, swept in this run): the oldest are forgotten past this. */
const MAX_REMEMBERED_TABS = 5000;

/** What storage.session keeps for the sweep (one browser run, one extension version). */
export interface SweepMemory {
  /** The first start of the background in this run: sessions started before it are the run before's. */
  runStartedAt: number;
  /** The run before's sessions have been swept. */
  previousRunSwept: boolean;
  /** Tabs of this run whose connections were ended (tab ids are not reused within a run). */
  sweptTabs: number[];
}

export interface GoneTabsDeps {
  db(): Promise<InspectorDatabase>;
  /** Whether the tab still exists (tabs.get resolves). */
  tabExists(tabId: number): Promise<boolean>;
  loadMemory(): Promise<SweepMemory | undefined>;
  saveMemory(memory: SweepMemory): Promise<void>;
  /** Sessions being captured right now (a relay was welcomed into them): never swept. */
  liveSessions(): ReadonlySet<string>;
  panels: PanelNotices;
  now?(): number;
}

/** Keeps a bounded list of the latest tab ids. */
function remembered(list: number[], added: number[]): number[] {
  const next = [...list.filter((id) => !added.includes(id)), ...added];
  return next.slice(-MAX_REMEMBERED_TABS);
}

export class GoneTabs {
  private readonly deps: GoneTabsDeps;
  private readonly removedAt = new Map<number, number>();
  private readonly waiting = new Map<number, Set<(time: number) => void>>();
  private memory: Promise<SweepMemory> | undefined;
  /** Saves of the memory, one after another. */
  private saving: Promise<void> = Promise.resolve();

  constructor(deps: GoneTabsDeps) {
    this.deps = deps;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The browser says the tab was removed (tabs.onRemoved), at `time`. */
  removed(tabId: number, time: number): void {
    this.removedAt.set(tabId, time);
    if (this.removedAt.size > MAX_REMEMBERED_TABS) this.removedAt.delete(this.removedAt.keys().next().value!);
    const waiters = this.waiting.get(tabId);
    this.waiting.delete(tabId);
    for (const wake of waiters ?? []) wake(time);
  }

  /**
   * When the tab was removed, if it is gone (removed before, or within `graceMs`, or no longer there); undefined
   * while it still exists (a renderer crash leaves its tab).
   */
  async removalTime(tabId: number, graceMs = TAB_REMOVAL_GRACE_MS): Promise<number | undefined> {
    const known = this.removedAt.get(tabId);
    if (known !== undefined) return known;
    const time = await new Promise<number | undefined>((resolve) => {
      const waiters = this.waiting.get(tabId) ?? new Set();
      const wake = (at: number | undefined) => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiting.get(tabId) === waiters) this.waiting.delete(tabId);
        resolve(at);
      };
      const timer = setTimeout(() => wake(undefined), graceMs);
      waiters.add(wake);
      this.waiting.set(tabId, waiters);
    });
    if (time !== undefined) return time;
    return (await this.deps.tabExists(tabId)) ? undefined : this.now();
  }

  /** The tab was removed: every connection of its sessions still open in the store is ended with `pageGone`. */
  async endTab(tabId: number, pageGone: PageGone): Promise<void> {
    const changed = await endOpenConnectionsOfTab(await this.deps.db(), tabId, pageGone, () => this.deps.liveSessions());
    this.tell(tabId, changed);
    await this.remember([tabId]);
  }

  /** At start: ends what gone tabs, and the run before, left open (see the header). */
  async sweep(): Promise<void> {
    const memory = await this.loadMemory();
    const db = await this.deps.db();
    const keys = await capturedSessionKeys(db);
    const live = () => this.deps.liveSessions();
    if (!memory.previousRunSwept) {
      const before = keys.filter((key) => key.startedAt < memory.runStartedAt);
      const changed = await endOpenConnectionsOfSessions(db, before.map((key) => key.sessionId), (session) => ({ reason: 'crashed', time: session.lastActivity }), live);
      for (const key of before) this.tell(key.tabId, changed, key.sessionId);
      await this.update((m) => ({ ...m, previousRunSwept: true }));
    }
    const swept = new Set(memory.sweptTabs);
    const byTab = new Map<number, string[]>();
    for (const key of keys) {
      if (key.startedAt < memory.runStartedAt || swept.has(key.tabId)) continue;
      byTab.set(key.tabId, [...(byTab.get(key.tabId) ?? []), key.sessionId]);
    }
    const gone: number[] = [];
    for (const [tabId, sessionIds] of byTab) {
      if (await this.deps.tabExists(tabId)) continue;
      const time = this.removedAt.get(tabId);
      const pageGone: PageGone = time === undefined ? { reason: 'crashed', time: this.now() } : { reason: 'page-closed', time };
      this.tell(tabId, await endOpenConnectionsOfSessions(db, sessionIds, () => pageGone, live));
      gone.push(tabId);
    }
    if (gone.length > 0) await this.remember(gone);
  }

  /** The tab's panels hear of connections ended (of `only` that session, when given). */
  private tell(tabId: number, changed: Map<string, string[]>, only?: string): void {
    for (const [sessionId, connectionIds] of changed) {
      if (only === undefined || sessionId === only) this.deps.panels.toTab(tabId, message({ type: 'stored', sessionId, connectionIds }));
    }
  }

  private loadMemory(): Promise<SweepMemory> {
    return (this.memory ??= this.deps.loadMemory().then(async (stored) => {
      if (stored && typeof stored.runStartedAt === 'number' && Array.isArray(stored.sweptTabs)) return stored;
      // The first start of this run (or of this extension version).
      const fresh: SweepMemory = { runStartedAt: this.now(), previousRunSwept: false, sweptTabs: [] };
      await this.deps.saveMemory(fresh);
      return fresh;
    }));
  }

  private remember(tabIds: number[]): Promise<void> {
    return this.update((m) => ({ ...m, sweptTabs: remembered(m.sweptTabs, tabIds) }));
  }

  /** Changes the memory and saves it (in order: each save has every change before it). */
  private update(change: (memory: SweepMemory) => SweepMemory): Promise<void> {
    const step = this.saving.then(async () => {
      const next = change(await this.loadMemory());
      this.memory = Promise.resolve(next);
      await this.deps.saveMemory(next);
    });
    this.saving = step.catch(() => undefined);
    return step;
  }
}
