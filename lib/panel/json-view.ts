/**
 * JSON for the detail pane: whether a text payload is JSON, and the pieces a collapsible tree needs (children
 * of a node, a one-line summary of a collapsed node, the display of a primitive). Everything here returns plain
 * strings; the tree component renders them as text.
 */

/** Payloads above this are shown raw only: parsing and building a tree for them would stall the panel. */
export const MAX_JSON_TREE_CHARS = 5 * 1024 * 1024;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type JsonParse = { ok: true; value: JsonValue } | { ok: false };

/** Parses `text` when it looks like a JSON object or array (a bare number or string is shown as text). */
export function parseJsonPayload(text: string): JsonParse {
  if (text.length > MAX_JSON_TREE_CHARS) return { ok: false };
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return { ok: false };
  }
}

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export function jsonKind(value: JsonValue): JsonKind {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonKind;
}

export function isContainer(value: JsonValue): value is JsonValue[] | { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null;
}

export interface JsonEntry {
  key: string;
  value: JsonValue;
}

/** Children of an object or array, in order, with array indexes as keys. */
export function jsonEntries(value: JsonValue): JsonEntry[] {
  if (Array.isArray(value)) return value.map((v, i) => ({ key: String(i), value: v }));
  if (isContainer(value)) return Object.keys(value).map((key) => ({ key, value: value[key] }));
  return [];
}

/** How a collapsed container reads: `Array(3)` or `{id, name, …}` as DevTools shows them. */
export function jsonSummary(value: JsonValue, maxKeys = 4): string {
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (isContainer(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return '{}';
    const shown = keys.slice(0, maxKeys).join(', ');
    return `{${shown}${keys.length > maxKeys ? ', …' : ''}}`;
  }
  return formatJsonPrimitive(value);
}

/** A primitive as JSON shows it (strings quoted and escaped). */
export function formatJsonPrimitive(value: JsonValue): string {
  return JSON.stringify(value) ?? 'undefined';
}

/** Pretty-printed JSON for the raw view and "Copy as JSON". */
export function prettyJson(value: JsonValue): string {
  return JSON.stringify(value, null, 2);
}
