/**
 * The panel's layout: sidebar sizes, the connection list, the filter bar's extra controls and the timeline folded or not,
 * remembered per user (the database's `settings` store), so a panel docked at the side or the bottom opens as it
 * was left. Sizes change live while a splitter is dragged and are stored once the drag ends (`commit`).
 */
import type { PanelSettings } from './panel-settings';

/** Settings key of the stored layout. */
export const LAYOUT_KEY = 'panelLayout';

export interface Layout {
  /** The connection list (side column) is shown; when narrow the list is a drop-down and this does not apply. */
  connectionsOpen: boolean;
  /** The filter bar's less-used controls are unfolded. */
  filtersOpen: boolean;
  /**
   * The traffic timeline is shown above the grid. Closed by default: docked at the bottom (about 330 px high) the
   * grid keeps its rows, and the user opens the chart when they want it.
   */
  timelineOpen: boolean;
  /** Width of the connection list, px. */
  sideWidth: number;
  /** Width of the detail pane beside the grid (short panels), px. */
  detailWidth: number;
  /** Height of the detail pane under the grid, px. */
  detailHeight: number;
}

export type LayoutSize = 'sideWidth' | 'detailWidth' | 'detailHeight';

export const LAYOUT_DEFAULTS: Readonly<Layout> = {
  connectionsOpen: true,
  filtersOpen: false,
  timelineOpen: false,
  sideWidth: 280,
  detailWidth: 420,
  detailHeight: 260,
};

/** Bounds of each size, px: the panel clamps further to the room it has. */
export const LAYOUT_LIMITS: Readonly<Record<LayoutSize, { min: number; max: number }>> = {
  sideWidth: { min: 160, max: 800 },
  detailWidth: { min: 240, max: 1600 },
  detailHeight: { min: 100, max: 1200 },
};

export function clampSize(which: LayoutSize, px: number): number {
  const { min, max } = LAYOUT_LIMITS[which];
  return Number.isFinite(px) ? Math.round(Math.min(max, Math.max(min, px))) : LAYOUT_DEFAULTS[which];
}

export class LayoutState {
  connectionsOpen = $state(LAYOUT_DEFAULTS.connectionsOpen);
  filtersOpen = $state(LAYOUT_DEFAULTS.filtersOpen);
  timelineOpen = $state(LAYOUT_DEFAULTS.timelineOpen);
  sideWidth = $state(LAYOUT_DEFAULTS.sideWidth);
  detailWidth = $state(LAYOUT_DEFAULTS.detailWidth);
  detailHeight = $state(LAYOUT_DEFAULTS.detailHeight);

  private readonly settings: PanelSettings;

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** Reads what was stored (defaults for what is missing or malformed; all defaults when unreadable). */
  async load(): Promise<void> {
    let stored: unknown;
    try {
      stored = await this.settings.read(LAYOUT_KEY);
    } catch {
      return; // unreadable settings: start with defaults
    }
    if (typeof stored !== 'object' || stored === null) return;
    const s = stored as Partial<Record<keyof Layout, unknown>>;
    if (typeof s.connectionsOpen === 'boolean') this.connectionsOpen = s.connectionsOpen;
    if (typeof s.filtersOpen === 'boolean') this.filtersOpen = s.filtersOpen;
    if (typeof s.timelineOpen === 'boolean') this.timelineOpen = s.timelineOpen;
    for (const which of ['sideWidth', 'detailWidth', 'detailHeight'] as const) {
      const value = s[which];
      if (typeof value === 'number' && Number.isFinite(value)) this[which] = clampSize(which, value);
    }
  }

  get snapshot(): Layout {
    return {
      connectionsOpen: this.connectionsOpen,
      filtersOpen: this.filtersOpen,
      timelineOpen: this.timelineOpen,
      sideWidth: this.sideWidth,
      detailWidth: this.detailWidth,
      detailHeight: this.detailHeight,
    };
  }

  setConnectionsOpen(open: boolean): void {
    this.connectionsOpen = open;
    void this.commit();
  }

  setFiltersOpen(open: boolean): void {
    this.filtersOpen = open;
    void this.commit();
  }

  setTimelineOpen(open: boolean): void {
    this.timelineOpen = open;
    void this.commit();
  }

  /** Changes a size on screen (while dragging); `commit` stores it. */
  resize(which: LayoutSize, px: number): void {
    this[which] = clampSize(which, px);
  }

  /** Stores the layout as it is now (a failure is reported by the settings, never thrown). */
  commit(): Promise<void> {
    return this.settings.write(LAYOUT_KEY, this.snapshot);
  }
}
