/**
 * Tabs whose frames are not recorded (the panel's pause), kept across service worker restarts (storage.session in
 * the extension). Connection lifecycle is still recorded while paused; only frames are skipped.
 */

export interface PausedTabsStorage {
  loadPaused(): Promise<number[]>;
  savePaused(tabIds: number[]): Promise<void>;
  log(error: unknown): void;
}

export class PausedTabs {
  private readonly storage: PausedTabsStorage;
  private readonly paused = new Set<number>();
  /** Resolves once the stored list is read: nothing is written, nor a panel told, before. */
  readonly loaded: Promise<void>;

  constructor(storage: PausedTabsStorage) {
    this.storage = storage;
    this.loaded = storage.loadPaused().then(
      (ids) => {
        for (const id of ids) this.paused.add(id);
      },
      (error: unknown) => storage.log(error),
    );
  }

  has(tabId: number): boolean {
    return this.paused.has(tabId);
  }

  /** Pauses or resumes a tab, and saves the list. */
  async set(tabId: number, paused: boolean): Promise<void> {
    if (paused) this.paused.add(tabId);
    else this.paused.delete(tabId);
    await this.storage.savePaused([...this.paused]);
  }
}
