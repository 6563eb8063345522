/**
 * The message grid's columns, one entry each: a column is added by adding an entry here (its cell is text made by
 * `text`), and the header menu, widths and what is remembered follow. Order here is order on screen.
 */
import type { FrameRecord } from '../shared/records';
import { formatBytes, formatRowTime, rowType, type TimeMode } from './message-format';

/** What a cell may need besides its row (the grid fills it per row). */
export interface CellContext {
  timeMode: TimeMode;
  /** When the row's connection opened (relative times count from it). */
  connectionStart: number | undefined;
  /** "#3": the row's connection number. */
  connectionLabel: string;
  /** The decoded one-line summary ('' when not decoded). */
  summary: string;
}

/** What a header may depend on. */
export interface HeaderContext {
  timeMode: TimeMode;
  /** All of the session's connections are shown (not one). */
  allConnections: boolean;
}

export interface GridColumn {
  id: string;
  /** The column's name in the header menu (and the header, unless `header` says otherwise). */
  label: string;
  header?: (ctx: HeaderContext) => string;
  /** Width in px; the column marked `fill` takes what is left (at least its width). */
  width: number;
  minWidth: number;
  fill?: boolean;
  align?: 'right';
  /** Shown unless the user hid it (false: offered in the menu, off until picked). */
  shownByDefault: boolean;
  /** The column only makes sense in some views (the connection number only when all connections are shown). */
  appliesTo?: (ctx: HeaderContext) => boolean;
  /** The cell's text. Direction and Data draw their own cells (an arrow, the marks before the preview). */
  text(row: FrameRecord, ctx: CellContext): string;
  /** The cell's tooltip (the full text when it is cut). */
  title?(row: FrameRecord, ctx: CellContext): string | undefined;
}

export const GRID_COLUMNS: readonly GridColumn[] = [
  { id: 'dir', label: 'Direction', header: () => '', width: 16, minWidth: 16, shownByDefault: true, text: () => '' },
  {
    id: 'conn',
    label: 'Connection',
    header: () => 'Conn',
    width: 36,
    minWidth: 24,
    shownByDefault: true,
    appliesTo: (ctx) => ctx.allConnections,
    text: (_row, ctx) => ctx.connectionLabel,
  },
  {
    id: 'time',
    label: 'Time',
    header: (ctx) => (ctx.timeMode === 'relative' ? 'Time (rel.)' : 'Time'),
    width: 92,
    minWidth: 40,
    shownByDefault: true,
    text: (row, ctx) => formatRowTime(row.time, ctx.timeMode, ctx.connectionStart),
  },
  { id: 'size', label: 'Size', width: 64, minWidth: 32, align: 'right', shownByDefault: true, text: (row) => (row.kind === 'frame' ? formatBytes(row.size) : '') },
  { id: 'type', label: 'Type', width: 44, minWidth: 32, shownByDefault: true, text: (row) => rowType(row) },
  { id: 'summary', label: 'Summary', width: 160, minWidth: 40, shownByDefault: true, text: (_row, ctx) => ctx.summary, title: (_row, ctx) => ctx.summary },
  { id: 'data', label: 'Data', width: 120, minWidth: 60, fill: true, shownByDefault: true, text: () => '' },
];

export const columnById = (id: string): GridColumn | undefined => GRID_COLUMNS.find((c) => c.id === id);

/** Widths past this are surely a slip of the mouse. */
export const MAX_COLUMN_WIDTH = 2000;

export function clampWidth(column: GridColumn, width: number): number {
  return Math.round(Math.min(MAX_COLUMN_WIDTH, Math.max(column.minWidth, width)));
}
