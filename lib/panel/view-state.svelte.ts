/**
 * The rows on screen, paged from IndexedDB (lib/store/frame-query.ts), and the selection in them: counts, the
 * filtered scan's progress, following the newest row, scroll requests and the detail pane, and how times are
 * shown. The root says what to show (`rebuild`) and when stored rows changed (`refresh`); components read
 * windows of rows (`rowsAt`) and move the selection.
 *
 * Every change of view bumps a token: async work for an older view drops its result.
 */
import { FilteredFrames, FrameSequence, refOf, type RowRef, type ViewScope } from '../store/frame-query';
import { getRow, type InspectorDatabase } from '../store/frame-store';
import type { FrameRecord } from '../shared/records';
import type { RowMatcher } from '../shared/filters';
import { isTimeMode, type TimeMode } from './message-format';
import { PREFERENCES_KEY, type PanelSettings } from './panel-settings';

export class ViewState {
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
  timeMode = $state<TimeMode>('absolute');
  /** The format "Relative time" toggles back to. */
  private absoluteMode: Exclude<TimeMode, 'relative'> = 'absolute';

  private readonly settings: PanelSettings;
  private sequence: FrameSequence | undefined;
  private filtered: FilteredFrames | undefined;
  private viewToken = 0;
  private scrollVersion = 0;
  private rescan = false;
  private scanningView: FilteredFrames | undefined;
  /** The database of the view on screen (for positionOfKey). */
  private db: InspectorDatabase | undefined;

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** The current view's token: compare with `isCurrent` after an await. */
  get token(): number {
    return this.viewToken;
  }

  isCurrent(token: number): boolean {
    return token === this.viewToken;
  }

  /** Drops the current view's pending work (the panel is closing, or a new view is coming). */
  cancel(): void {
    this.viewToken++;
  }

  /** Rows on screen may have changed: the grid re-reads its window. */
  invalidate(): void {
    this.dataVersion++;
  }

  /** A new session on screen: nothing selected, follow its newest row. */
  reset(): void {
    this.clearSelection();
    this.follow = true;
  }

  /**
   * Shows the rows of `scope` in `db` that `matches` (null: all; no scope: nothing). With `keepSelection` the
   * selected row stays selected if it is still in the view.
   */
  async rebuild(db: InspectorDatabase | undefined, scope: ViewScope | null, matches: RowMatcher | null, keepSelection = false): Promise<void> {
    const token = ++this.viewToken;
    this.db = db;
    this.sequence = undefined;
    this.filtered = undefined;
    const keep = keepSelection && this.selected ? refOf(this.selected) : undefined;
    if (!keep) this.clearSelection();
    if (scope === null || !db) {
      this.total = this.shown = this.scanned = 0;
      this.scanning = false;
      this.clearSelection();
      this.dataVersion++;
      return;
    }
    const sequence = new FrameSequence(db, scope);
    await sequence.refresh();
    if (token !== this.viewToken) return;
    this.sequence = sequence;
    this.total = sequence.total;
    if (matches) {
      this.filtered = new FilteredFrames(db, scope, matches);
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

  /** Stored rows may have grown: re-count, and scan the new ones of a filtered view (for the view of `token`). */
  async refresh(token: number): Promise<void> {
    const sequence = this.sequence;
    if (!sequence || token !== this.viewToken) return;
    const changed = await sequence.refresh();
    if (token !== this.viewToken) return;
    this.total = sequence.total;
    if (this.filtered) {
      if (changed) await this.scanFiltered(token);
    } else if (changed) {
      this.shown = sequence.total;
      this.dataVersion++;
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

  // Selection ------------------------------------------------------------------------------------------------

  clearSelection(): void {
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

  /**
   * The grid position of the row (connectionId, seq) in the view on screen, filtered or not; -1 when the view
   * does not show it (filtered out, another connection, not stored). For "Go to response" and the like.
   */
  async positionOfKey(connectionId: string, seq: number): Promise<number> {
    const view = this.filtered ?? this.sequence;
    const db = this.db;
    if (!view || !db) return -1;
    const row = await getRow(db, view.scope.sessionId, connectionId, seq);
    if (!row || (this.filtered ?? this.sequence) !== view) return -1;
    return view.positionOf(refOf(row));
  }

  /** Selects and opens a row of the (unfiltered) view, if it is in it. */
  async reveal(row: FrameRecord): Promise<void> {
    if (!this.sequence) return;
    const index = this.sequence.positionOf(refOf(row));
    this.follow = false;
    await this.select(index, { open: true });
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

  // How rows are shown -----------------------------------------------------------------------------------------

  /**
   * The one place the time format is set: the toolbar's "Relative time" toggle and the Settings dialog both call
   * it, so they always agree. The mode is stored with the last absolute format the user picked, which the toggle
   * returns to.
   */
  setTimeMode(mode: TimeMode): void {
    this.timeMode = mode;
    if (mode !== 'relative') this.absoluteMode = mode;
    void this.settings.write(PREFERENCES_KEY, { timeMode: mode, absoluteMode: this.absoluteMode });
  }

  /** The toolbar's toggle: relative times, or back to the absolute format last picked (clock, ISO or epoch). */
  toggleRelative(): void {
    this.setTimeMode(this.timeMode === 'relative' ? this.absoluteMode : 'relative');
  }

  /** Reads the stored time mode (unreadable settings: the default). */
  async loadPreferences(): Promise<void> {
    try {
      const prefs = (await this.settings.read(PREFERENCES_KEY)) as { timeMode?: unknown; absoluteMode?: unknown } | undefined;
      if (isTimeMode(prefs?.absoluteMode) && prefs.absoluteMode !== 'relative') this.absoluteMode = prefs.absoluteMode;
      if (isTimeMode(prefs?.timeMode)) this.timeMode = prefs.timeMode;
      if (this.timeMode !== 'relative') this.absoluteMode = this.timeMode;
    } catch {
      // unreadable settings: start with defaults
    }
  }

  // Timeline -----------------------------------------------------------------------------------------------------

  /**
   * Position, in what the grid shows, of the row nearest in time to `time` (epoch ms; -1 when nothing is shown or
   * the view changed meanwhile), for the timeline's click. A binary search reading one row per step (about 20 reads
   * on a million rows): a view's rows are stored in time order (across connections, nearly so).
   */
  async positionAtTime(time: number): Promise<number> {
    const token = this.viewToken;
    let low = 0;
    let high = this.shown - 1;
    if (high < 0) return -1;
    while (low < high) {
      const mid = (low + high) >> 1;
      const [row] = await this.rowsAt(mid, 1);
      if (token !== this.viewToken) return -1;
      if (row && row.time < time) low = mid + 1;
      else high = mid;
    }
    // `low`: the first row at or after `time` (or the last row); the one before it may be nearer.
    if (low === 0) return 0;
    const [before, after] = await this.rowsAt(low - 1, 2);
    if (token !== this.viewToken) return -1;
    return before && after && Math.abs(before.time - time) <= Math.abs(after.time - time) ? low - 1 : low;
  }
}
