/**
 * Two messages' payloads compared, for the panel's diff view: JSON-aware when both are text that parses as
 * JSON, a line diff of the text otherwise, hex-dump lines when either is binary. Pure and bounded: each side is
 * cut at `maxBytes` (1 MiB by default) with a note, and the line diff gives up past a set number of edits.
 *
 * API (the one call the panel makes)
 * - `diffPayloads(before, after, { ignore?, maxBytes? }) → PayloadDiff`
 *   - `mode`: 'json' (both parse as JSON; `json.changes` by JSON path, arrays compared by index, and `rows` a
 *     line diff of both pretty-printed with two-space indents), 'text' (a line diff of the text), 'binary'
 *     (either side binary: both as hex lines; a text side counts as its UTF-8 bytes).
 *   - `rows`: side-by-side rows (`left`/`right` cells with 1-based line numbers, `kind` same / changed /
 *     removed / added) ready for a two-column viewer; render `text` as text, never as HTML.
 *   - `identical`: nothing differs (with `ignore`, in JSON mode: nothing outside the ignored paths).
 *   - `notes`: plain sentences to show above the diff (cut inputs, an inexact line diff, …).
 * - `DiffPayload`: a text frame's string, or a binary frame's bytes (Uint8Array or ArrayBuffer, as FrameRecord
 *   has them).
 */
import { diffJson, parseJson, type JsonChange, type JsonPathPattern } from './json-diff';
import { diffLineLists, hexLines, sideBySideRows, splitLines, type SideBySideRow } from './text-diff';

export type DiffPayload = string | Uint8Array | ArrayBuffer;

export type PayloadDiffMode = 'json' | 'text' | 'binary';

export interface PayloadDiff {
  mode: PayloadDiffMode;
  /** JSON mode only: the changes by path, and whether the list was cut (see diffJson's maxChanges). */
  json: { changes: JsonChange[]; truncated: boolean } | null;
  rows: SideBySideRow[];
  identical: boolean;
  notes: string[];
}

export interface PayloadDiffOptions {
  ignore?: readonly JsonPathPattern[];
  /** Each side is compared up to this many bytes (text: UTF-16 code units count as bytes here). Default 1 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_DIFF_BYTES = 1024 * 1024;

const asBytes = (p: Uint8Array | ArrayBuffer) => (p instanceof Uint8Array ? p : new Uint8Array(p));

function sizeLabel(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
}

export function diffPayloads(before: DiffPayload, after: DiffPayload, options: PayloadDiffOptions = {}): PayloadDiff {
  const max = options.maxBytes ?? DEFAULT_MAX_DIFF_BYTES;
  const notes: string[] = [];
  const cut = <T extends string | Uint8Array>(value: T, side: string): T => {
    if (value.length <= max) return value;
    notes.push(`The ${side} payload is ${sizeLabel(value.length)}: only its first ${sizeLabel(max)} is compared.`);
    return value.slice(0, max) as T;
  };

  if (typeof before !== 'string' || typeof after !== 'string') {
    if (typeof before === 'string' || typeof after === 'string') notes.push('One message is text and the other binary: both are compared as bytes (text as UTF-8).');
    const encoder = new TextEncoder();
    const bytes = (p: DiffPayload) => (typeof p === 'string' ? encoder.encode(p) : asBytes(p));
    const left = cut(bytes(before), 'left');
    const right = cut(bytes(after), 'right');
    return lineResult('binary', hexLines(left), hexLines(right), null, notes, sameBytes(left, right));
  }

  const left = cut(before, 'left');
  const right = cut(after, 'right');
  const x = parseJson(left);
  const y = parseJson(right);
  if (x.ok && y.ok) {
    const json = diffJson(x.value, y.value, { ignore: options.ignore });
    notes.push('JSON: objects are compared by key, arrays by index (an inserted element shows as changes from there on).');
    if (json.truncated) notes.push(`Only the first ${json.changes.length} changed paths are listed.`);
    return lineResult('json', pretty(x.value), pretty(y.value), json, notes, json.changes.length === 0);
  }
  return lineResult('text', splitLines(left), splitLines(right), null, notes, left === right);
}

function pretty(value: unknown): string[] {
  try {
    return splitLines(JSON.stringify(value, null, 2) ?? String(value));
  } catch {
    return ['(nested too deeply to show)'];
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function lineResult(mode: PayloadDiffMode, left: string[], right: string[], json: PayloadDiff['json'], notes: string[], identical: boolean): PayloadDiff {
  const lines = diffLineLists(left, right);
  if (!lines.exact) notes.push('Too many lines differ for a line-by-line diff: the whole left side is shown as removed and the right side as added.');
  return { mode, json, rows: sideBySideRows(lines.runs), identical, notes };
}
