/**
 * Retention after writes: a while after rows were stored, the sessions the retention settings say must go are
 * evicted and every panel is told. Never a session a page is still on: those with a relay connected now, and
 * those whose tab's top frame says it is still on them (relays of quiet pages have no port open).
 */
import type { BackgroundToPanelMessage, PageSessionInfo } from '../shared/protocol';
import type { SessionRecord } from '../shared/records';
import { message } from '../shared/protocol';
import { enforceRetention, getRetention, type InspectorDatabase } from '../store/frame-store';

const RETENTION_DELAY_MS = 10_000;

export interface RetentionDeps {
  db(): Promise<InspectorDatabase>;
  /** Sessions relays are writing into right now. */
  liveSessions(): Set<string>;
  topFrameSession(tabId: number, patient?: boolean): Promise<PageSessionInfo | undefined>;
  /** Tells every panel. */
  toAll(msg: BackgroundToPanelMessage): void;
  log(error: unknown): void;
}

export class RetentionSchedule {
  private readonly deps: RetentionDeps;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(deps: RetentionDeps) {
    this.deps = deps;
  }

  /** Rows were stored: retention runs once, RETENTION_DELAY_MS from the first write since it last ran. */
  schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enforce().catch((error: unknown) => this.deps.log(error));
    }, RETENTION_DELAY_MS);
  }

  /** Evicts what the retention settings say must go, never a session a page is still on; tells the panels. */
  async enforce(): Promise<string[]> {
    const db = await this.deps.db();
    const evicted = await enforceRetention(db, await getRetention(db), this.deps.liveSessions(), (candidates) => this.pagesStillOn(candidates));
    for (const sessionId of evicted) this.deps.toAll(message({ type: 'cleared', scope: 'session', sessionId }));
    return evicted;
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
}
