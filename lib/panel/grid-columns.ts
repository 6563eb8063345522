/**
 * The message grid's columns, one entry each: a column is added by adding an entry here (its cell is text made by
 * `text`), and the header menu, widths and what is remembered follow. Order here is order on screen.
 */
import type { FrameRecord } from '../shared/records';
import type { RowPair } from './conversation-state.svelte';
import type { StreamItemRole } from './conversation-tables';
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
  /** The row's request↔response pair (conversation slice), if it has one. */
  pair?: RowPair;
  /** A request that got no answer. */
  unanswered?: boolean;
}

/** What a header may depend on. */
export interface HeaderContext {
  timeMode: TimeMode;
  /** All of the session's connections are shown (not one). */
  allConnections: boolean;
  /** The session has request↔response pairs or unanswered requests (the Latency column shows then). */
  hasPairs?: boolean;
}

export interface GridColumn {
  id: string;
  /** The column's name in the header menu (and the header, unless `header` says otherwise). */
  label: string;
  header?: (ctx: HeaderContext) => string;
  /** Width in px; the column marked `fill` takes what is left (at least its width). */
  width: number;
  /** The width by what the header shows, where it depends on it (the Time column by time format). */
  widthFor?: (ctx: HeaderContext) => number;
  /** When the columns do not fit, lower tiers give way first (fitWidths); no tier: keeps its width. */
  shrinkTier?: number;
  /** Leaves the screen when even its minimum does not fit (fitWidths). */
  dropWhenNarrow?: boolean;
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
    shrinkTier: 2,
    shownByDefault: true,
    appliesTo: (ctx) => ctx.allConnections,
    text: (_row, ctx) => ctx.connectionLabel,
  },
  {
    id: 'time',
    label: 'Time',
    header: (ctx) => (ctx.timeMode === 'relative' ? 'Time (rel.)' : 'Time'),
    width: 92,
    shrinkTier: 3,
    // 2026-12-06T09:55:27.123Z needs ~175 px at the grid's 11 px monospace; 1796550927123 ~110 px.
    widthFor: (ctx) => (ctx.timeMode === 'iso' ? 175 : ctx.timeMode === 'epoch' ? 110 : 92),
    minWidth: 40,
    shownByDefault: true,
    text: (row, ctx) => formatRowTime(row.time, ctx.timeMode, ctx.connectionStart),
  },
  { id: 'size', label: 'Size', width: 64, minWidth: 32, shrinkTier: 2, align: 'right', shownByDefault: true, text: (row) => (row.kind === 'frame' ? formatBytes(row.size) : '') },
  { id: 'type', label: 'Type', width: 44, minWidth: 32, shrinkTier: 2, shownByDefault: true, text: (row) => rowType(row) },
  {
    id: 'latency',
    label: 'Latency',
    // 12 characters at the grid's 11 px monospace: a stream item's "↩ +1.24 s #3" (pairs' "↪ 42 ms" need 72), and
    // still 75 px for Time at 430 px wide (conversation-filters.test.ts).
    width: 80,
    minWidth: 40,
    shrinkTier: 3,
    align: 'right',
    shownByDefault: true,
    appliesTo: (ctx) => ctx.hasPairs === true,
    text: (_row, ctx) => latencyText(ctx),
    title: (_row, ctx) => latencyTitle(ctx),
  },
  { id: 'summary', label: 'Summary', width: 160, minWidth: 40, shrinkTier: 1, dropWhenNarrow: true, shownByDefault: true, text: (_row, ctx) => ctx.summary, title: (_row, ctx) => ctx.summary },
  { id: 'data', label: 'Data', width: 120, minWidth: 60, fill: true, shownByDefault: true, text: () => '' },
];

/** A latency as the grid shows it: 42 ms, 1.25 s. */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/**
 * "↪ 42 ms" on a request (its answer came after), "↩ 42 ms" on its response, "no reply" on a request unanswered;
 * on a stream's later item the time since its request and its place in the stream, "↩ +1.24 s #3" ("end" on the
 * end marker; the title says it in words).
 */
function latencyText(ctx: CellContext): string {
  const pair = ctx.pair;
  if (pair?.role === 'item') return `↩ +${formatLatency(pair.sinceRequestMs)} ${pair.end ? 'end' : `#${pair.index}`}`;
  if (pair) return `${pair.role === 'request' ? '↪' : '↩'} ${formatLatency(pair.latencyMs)}`;
  return ctx.unanswered ? 'no reply' : '';
}

/** A stream item in words: "Item 3 of the stream opened by #12 (OnTick), 1.24 s after it" (the grid's title, the detail pane). */
export function streamItemText(pair: StreamItemRole): string {
  const stream = `the stream opened by #${pair.partnerSeq}${pair.label ? ` (${pair.label})` : ''}, ${formatLatency(pair.sinceRequestMs)} after it`;
  return pair.end ? `End of ${stream} (answer ${pair.index})` : `Item ${pair.index} of ${stream}`;
}

function latencyTitle(ctx: CellContext): string | undefined {
  const pair = ctx.pair;
  if (pair?.role === 'item') return `${streamItemText(pair)}. Click to go to the request.`;
  if (pair) return `${pair.role === 'request' ? 'Response' : 'Request'}: #${pair.partnerSeq}, ${formatLatency(pair.latencyMs)}${pair.label ? ` (${pair.label})` : ''}. Click to go to it.`;
  return ctx.unanswered ? 'No response came (by the timeout, or before the connection ended)' : undefined;
}

export const columnById = (id: string): GridColumn | undefined => GRID_COLUMNS.find((c) => c.id === id);

/** Widths past this are surely a slip of the mouse. */
export const MAX_COLUMN_WIDTH = 2000;

export function clampWidth(column: GridColumn, width: number): number {
  return Math.round(Math.min(MAX_COLUMN_WIDTH, Math.max(column.minWidth, width)));
}

/** Cells' horizontal padding and border, px (MessageGrid.svelte's and GridHeader.svelte's `.row > div`). */
export const CELL_EXTRA_PX = 9;

/**
 * The columns on screen and their widths in `available` px (content widths, as `style:width`): each its own, unless
 * they do not fit with the fill column (Data) at its own width. Then columns give way by tier (`shrinkTier`, lowest
 * first), each of a tier in proportion to what it can give down to its minimum: Summary first, and past its minimum
 * it leaves the screen (`dropWhenNarrow`); then Size, Type and Conn; then Time and Latency. Data keeps the rest: at
 * 430 px the payload stays readable instead of being pushed off the row. Columns absent from the result are not shown.
 */
export function fitWidths(columns: readonly GridColumn[], widthOf: (column: GridColumn) => number, available: number): Record<string, number> {
  const widths: Record<string, number> = {};
  let needed = 0;
  for (const c of columns) {
    widths[c.id] = widthOf(c);
    needed += widths[c.id] + CELL_EXTRA_PX;
  }
  let excess = needed - available;
  const give = (group: readonly GridColumn[]) => {
    const slack = group.map((c) => Math.max(0, widths[c.id] - c.minWidth));
    const total = slack.reduce((a, b) => a + b, 0);
    if (excess <= 0 || total <= 0) return;
    const share = Math.min(1, excess / total);
    group.forEach((c, i) => {
      const cut = Math.floor(slack[i] * share);
      widths[c.id] -= cut;
      excess -= cut;
    });
    // What rounding down left, a pixel at a time from those that can still give.
    for (const c of group) {
      if (excess <= 0) break;
      const cut = Math.min(excess, widths[c.id] - c.minWidth);
      if (cut > 0) {
        widths[c.id] -= cut;
        excess -= cut;
      }
    }
  };
  const tiers = [...new Set(columns.map((c) => c.shrinkTier).filter((t): t is number => t !== undefined))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const group = columns.filter((c) => !c.fill && c.shrinkTier === tier);
    give(group);
    for (const c of group) {
      if (excess <= 0 || !c.dropWhenNarrow) continue;
      excess -= widths[c.id] + CELL_EXTRA_PX;
      delete widths[c.id];
    }
  }
  return widths;
}
