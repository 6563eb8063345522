/**
 * The message grid's columns (lib/panel/grid-columns.ts): which are shown and their widths, remembered per user
 * (the database's `settings` store). Only what the user changed is stored, so a column added later starts as its
 * entry says. Widths change live while a header edge is dragged and are stored once the drag ends (`commit`).
 */
import { GRID_COLUMNS, clampWidth, columnById, type GridColumn, type HeaderContext } from './grid-columns';
import type { PanelSettings } from './panel-settings';

/** Settings key of the stored columns. */
export const COLUMNS_KEY = 'gridColumns';

export interface StoredColumns {
  /** Column id → shown, for the columns the user showed or hid. */
  shown: Record<string, boolean>;
  /** Column id → width px, for the columns the user resized. */
  widths: Record<string, number>;
}

/** Where a column's width is kept: per time format for Time (see ColumnsState.width). */
function widthKey(id: string, ctx: HeaderContext | undefined): string {
  if (id === 'time' && (ctx?.timeMode === 'iso' || ctx?.timeMode === 'epoch')) return `time.${ctx.timeMode}`;
  return id;
}

export class ColumnsState {
  /** Column id → shown, where the user chose (others: the column's default). */
  shownChoice = $state.raw<Record<string, boolean>>({});
  /** Column id → width px, where the user resized. */
  widthChoice = $state.raw<Record<string, number>>({});

  private readonly settings: PanelSettings;

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** Whether the user shows the column (whether it applies to the view on screen is `visible`'s). */
  isShown(id: string): boolean {
    return this.shownChoice[id] ?? columnById(id)?.shownByDefault ?? false;
  }

  /** The columns on screen, in order. */
  visible(ctx: HeaderContext): GridColumn[] {
    return GRID_COLUMNS.filter((c) => this.isShown(c.id) && (c.appliesTo?.(ctx) ?? true));
  }

  /**
   * The user's width, else the column's own (by `ctx` where it depends on it). A column whose width depends on the
   * view (Time: ISO times need ~175 px, clock times 92) keeps the user's width per variant: `time` for clock and
   * relative times, `time.iso` and `time.epoch` for the others, so a width dragged for one format does not cut another.
   */
  width(id: string, ctx?: HeaderContext): number {
    const column = columnById(id);
    return this.widthChoice[widthKey(id, ctx)] ?? (ctx && column?.widthFor?.(ctx)) ?? column?.width ?? 0;
  }

  /**
   * Whether the column may be hidden: at least one column that shows in every view stays (a column that only
   * applies to some views, such as Conn, does not count).
   */
  canHide(id: string): boolean {
    if (!this.isShown(id)) return true;
    return GRID_COLUMNS.some((c) => c.id !== id && !c.appliesTo && this.isShown(c.id));
  }

  /** Shows or hides a column; false (and nothing changes) when it is the last one. */
  setShown(id: string, shown: boolean): boolean {
    if (!columnById(id)) return false;
    if (!shown && !this.canHide(id)) return false;
    this.shownChoice = { ...this.shownChoice, [id]: shown };
    void this.save();
    return true;
  }

  /** Sets a width while dragging (not stored: `commit` does once the drag ends); `ctx` as for `width`. */
  resize(id: string, width: number, ctx?: HeaderContext): void {
    const column = columnById(id);
    if (!column || !Number.isFinite(width)) return;
    this.widthChoice = { ...this.widthChoice, [widthKey(id, ctx)]: clampWidth(column, width) };
  }

  /** Stores the current choices (the end of a drag, a keyboard resize). */
  commit(): Promise<void> {
    return this.save();
  }

  /** Every column as its entry says: shown by default, default widths. */
  async reset(): Promise<void> {
    this.shownChoice = {};
    this.widthChoice = {};
    await this.settings.remove(COLUMNS_KEY);
  }

  /** Reads what was stored (defaults for unknown columns or malformed values; all defaults when unreadable). */
  async load(): Promise<void> {
    let stored: unknown;
    try {
      stored = await this.settings.read(COLUMNS_KEY);
    } catch {
      return; // unreadable settings: start with defaults
    }
    if (typeof stored !== 'object' || stored === null) return;
    const { shown, widths } = stored as Partial<Record<keyof StoredColumns, unknown>>;
    const shownChoice: Record<string, boolean> = {};
    const widthChoice: Record<string, number> = {};
    if (typeof shown === 'object' && shown !== null) {
      for (const [id, value] of Object.entries(shown)) if (columnById(id) && typeof value === 'boolean') shownChoice[id] = value;
    }
    if (typeof widths === 'object' && widths !== null) {
      for (const [id, value] of Object.entries(widths)) {
        const column = columnById(id.split('.')[0]);
        if (column && typeof value === 'number' && Number.isFinite(value)) widthChoice[id] = clampWidth(column, value);
      }
    }
    this.shownChoice = shownChoice;
    this.widthChoice = widthChoice;
    // A stored state with no column left (hand-edited, or columns renamed since): show the defaults.
    if (!GRID_COLUMNS.some((c) => !c.appliesTo && this.isShown(c.id))) this.shownChoice = {};
  }

  private save(): Promise<void> {
    const value: StoredColumns = { shown: { ...this.shownChoice }, widths: { ...this.widthChoice } };
    return this.settings.write(COLUMNS_KEY, value);
  }
}
