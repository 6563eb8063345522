/**
 * Message filters for the panel: pure matching over stored rows, so the grid, the background scan of a filtered
 * view and the unit tests all use the same rules.
 *
 * Rules:
 * - direction `send` / `receive` keeps only frames in that direction (control rows have no direction, so any
 *   direction other than `all` hides them);
 * - types: `text` frames (opcode 1), `binary` frames (opcode 2) and `events` (open / close / error rows);
 * - `contains` and `regex` test a row's searchable text: a text frame's payload, a binary frame's bytes read as
 *   UTF-8 (so readable strings inside binary are found), a close row's code and reason, an open row's protocol;
 * - every part must hold (they combine with AND); an empty `contains` / `regex` tests nothing.
 */
import type { FrameRecord } from './records';

export type DirectionFilter = 'all' | 'send' | 'receive';

export interface TypeFilter {
  text: boolean;
  binary: boolean;
  events: boolean;
}

export interface FrameFilter {
  direction: DirectionFilter;
  types: TypeFilter;
  contains: string;
  regex: string;
  matchCase: boolean;
}

export interface SavedFilter {
  name: string;
  filter: FrameFilter;
}

export const EMPTY_FILTER: FrameFilter = Object.freeze({
  direction: 'all',
  types: Object.freeze({ text: true, binary: true, events: true }),
  contains: '',
  regex: '',
  matchCase: false,
}) as FrameFilter;

export function emptyFilter(): FrameFilter {
  return { ...EMPTY_FILTER, types: { ...EMPTY_FILTER.types } };
}

/** True when the filter lets every row through (the view can then page by key, without scanning). */
export function isEmptyFilter(filter: FrameFilter): boolean {
  return (
    filter.direction === 'all' &&
    filter.types.text &&
    filter.types.binary &&
    filter.types.events &&
    filter.contains === '' &&
    filter.regex === ''
  );
}

export type RowMatcher = (row: FrameRecord) => boolean;

/**
 * Rows both matchers let through (null: every row). The panel's view and an export of it AND the frame filter
 * with the decoded-fields query this one way, so the file holds what the grid shows.
 */
export function bothMatch(a: RowMatcher | null, b: RowMatcher | null): RowMatcher | null {
  if (a === null) return b;
  if (b === null) return a;
  return (row) => a(row) && b(row);
}

export interface CompiledFilter {
  /** null when the filter matches everything. */
  matches: RowMatcher | null;
  /** A message for an invalid regular expression (the filter then ignores the regex part). */
  regexError?: string;
}

/** Checks a regular expression without building a matcher; returns the error text or undefined. */
export function regexError(source: string, matchCase = false): string | undefined {
  if (source === '') return undefined;
  try {
    new RegExp(source, matchCase ? 'u' : 'iu');
    return undefined;
  } catch (error) {
    return `Invalid regular expression: ${error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error)}`;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** The text a row is searched by (see the module comment). */
export function searchableText(row: FrameRecord): string {
  if (row.kind === 'frame') {
    if (typeof row.data === 'string') return row.data;
    if (row.data instanceof ArrayBuffer) return utf8.decode(row.data);
    return '';
  }
  if (row.kind === 'close') return `${row.code ?? ''} ${row.reason ?? ''}`;
  if (row.kind === 'open') return row.protocol ?? '';
  return '';
}

export function compileFilter(filter: FrameFilter): CompiledFilter {
  const error = regexError(filter.regex, filter.matchCase);
  const regex = filter.regex !== '' && !error ? new RegExp(filter.regex, filter.matchCase ? 'u' : 'iu') : undefined;
  const needle = filter.matchCase ? filter.contains : filter.contains.toLowerCase();
  const { direction, types } = filter;
  const everything = direction === 'all' && types.text && types.binary && types.events && needle === '' && !regex;
  if (everything) return { matches: null, regexError: error };

  const matches: RowMatcher = (row) => {
    if (row.kind === 'frame') {
      if (direction !== 'all' && row.dir !== direction) return false;
      if (row.opcode === 2 ? !types.binary : !types.text) return false;
    } else {
      if (direction !== 'all' || !types.events) return false;
    }
    if (needle === '' && !regex) return true;
    const text = searchableText(row);
    if (needle !== '' && !(filter.matchCase ? text : text.toLowerCase()).includes(needle)) return false;
    if (regex) {
      regex.lastIndex = 0;
      if (!regex.test(text)) return false;
    }
    return true;
  };
  return { matches, regexError: error };
}

/** Reads saved filters back from storage, dropping anything malformed (storage is not trusted to be ours). */
export function parseSavedFilters(value: unknown): SavedFilter[] {
  if (!Array.isArray(value)) return [];
  const result: SavedFilter[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const { name, filter } = item as { name?: unknown; filter?: unknown };
    if (typeof name !== 'string' || name.trim() === '') continue;
    const parsed = parseFilter(filter);
    if (parsed) result.push({ name, filter: parsed });
  }
  return result;
}

function parseFilter(value: unknown): FrameFilter | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<Record<keyof FrameFilter, unknown>>;
  const types = (typeof v.types === 'object' && v.types !== null ? v.types : {}) as Partial<Record<keyof TypeFilter, unknown>>;
  const direction = v.direction === 'send' || v.direction === 'receive' ? v.direction : 'all';
  return {
    direction,
    types: { text: types.text !== false, binary: types.binary !== false, events: types.events !== false },
    contains: typeof v.contains === 'string' ? v.contains : '',
    regex: typeof v.regex === 'string' ? v.regex : '',
    matchCase: v.matchCase === true,
  };
}

/** Adds or replaces (by name) a saved filter; names are trimmed. */
export function upsertSavedFilter(list: SavedFilter[], name: string, filter: FrameFilter): SavedFilter[] {
  const trimmed = name.trim();
  if (trimmed === '') return list;
  const copy = { ...filter, types: { ...filter.types } };
  const rest = list.filter((s) => s.name !== trimmed);
  return [...rest, { name: trimmed, filter: copy }].sort((a, b) => a.name.localeCompare(b.name));
}
