/**
 * `--expect`: replies compared with the recording, and a readable report of those that differ. Two text replies
 * that both parse as JSON are compared as JSON (lib/analysis/json-diff.ts: key order does not matter, arrays by
 * index) and the report names the JSON paths that differ; `--ignore <json-path>` leaves paths out of the
 * comparison (fields that change on every run: timestamps, ids). Other text and binary replies must match
 * exactly.
 */
import { diffJson, parseJson, type JsonChange, type JsonPathPattern } from '../lib/analysis/json-diff';
import { describeMessage, safeText } from './payload-print';
import type { ReplayMessage } from './replay-script';

export interface ReplyDiffOptions {
  /** Parsed --ignore paths. */
  ignore?: readonly JsonPathPattern[];
  /** The --ignore paths as the user wrote them, for the report. */
  ignoreText?: readonly string[];
}

/** Paths listed per differing reply; the rest are counted. */
const MAX_PATHS_SHOWN = 20;

type Comparison = { same: true } | { same: false; why: string; paths?: JsonChange[]; pathsTruncated?: boolean };

function firstDifference(a: ReplayMessage, b: ReplayMessage): string {
  if (a.opcode !== b.opcode) return `expected a ${a.opcode === 1 ? 'text' : 'binary'} frame, got a ${b.opcode === 1 ? 'text' : 'binary'} frame`;
  if (a.opcode === 1) {
    const x = a.text ?? '';
    const y = b.text ?? '';
    let i = 0;
    while (i < x.length && i < y.length && x[i] === y[i]) i++;
    return `first difference at character ${i + 1}`;
  }
  const x = a.bytes ?? new Uint8Array(0);
  const y = b.bytes ?? new Uint8Array(0);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return `first difference at byte ${i} (0x${i.toString(16)})`;
}

function compare(e: ReplayMessage, a: ReplayMessage, ignore: readonly JsonPathPattern[]): Comparison {
  if (e.opcode !== a.opcode) return { same: false, why: firstDifference(e, a) };
  if (e.opcode === 2) {
    const x = e.bytes ?? new Uint8Array(0);
    const y = a.bytes ?? new Uint8Array(0);
    return x.length === y.length && x.every((v, i) => v === y[i]) ? { same: true } : { same: false, why: firstDifference(e, a) };
  }
  if (e.text === a.text) return { same: true };
  const x = parseJson(e.text ?? '');
  const y = x.ok ? parseJson(a.text ?? '') : x;
  if (!x.ok || !y.ok) return { same: false, why: firstDifference(e, a) };
  const diff = diffJson(x.value, y.value, { ignore, maxChanges: MAX_PATHS_SHOWN });
  if (diff.changes.length === 0) return { same: true };
  const count = diff.truncated ? `more than ${MAX_PATHS_SHOWN} JSON paths` : `${diff.changes.length} JSON path${diff.changes.length === 1 ? '' : 's'}`;
  return { same: false, why: `${count} differ${diff.changes.length === 1 && !diff.truncated ? 's' : ''}`, paths: diff.changes, pathsTruncated: diff.truncated };
}

/** A JSON value for one report line: compact, cut at 80 characters, control characters escaped. */
function brief(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = '(nested too deeply to print)';
  }
  return safeText(text.length > 80 ? `${text.slice(0, 80)} …` : text);
}

function pathLine(change: JsonChange): string {
  const path = safeText(change.path);
  if (change.kind === 'added') return `      added   ${path}: ${brief(change.after)}`;
  if (change.kind === 'removed') return `      removed ${path}: was ${brief(change.before)}`;
  return `      changed ${path}: ${brief(change.before)} → ${brief(change.after)}`;
}

/** Compares replies with the recording; returns null when they match, else a readable report. */
export function diffReplies(expected: ReplayMessage[], actual: ReplayMessage[], options: ReplyDiffOptions = {}): string | null {
  const ignore = options.ignore ?? [];
  const lines: string[] = [];
  let differing = 0;
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    const e = expected[i];
    const a = actual[i];
    if (e && a) {
      const result = compare(e, a, ignore);
      if (result.same) continue;
      differing++;
      lines.push(`  reply ${i + 1} differs (${result.why}):`);
      if (result.paths) {
        lines.push(...result.paths.map(pathLine));
        if (result.pathsTruncated) lines.push('      …');
      }
      lines.push(`    expected ${describeMessage(e)}`, `    actual   ${describeMessage(a)}`);
      continue;
    }
    differing++;
    if (e) lines.push(`  reply ${i + 1} is missing:`, `    expected ${describeMessage(e)}`);
    else lines.push(`  reply ${i + 1} was not in the recording:`, `    actual   ${describeMessage(a)}`);
  }
  if (differing === 0) return null;
  const ignoring = options.ignoreText?.length ? `; ignoring ${options.ignoreText.map(safeText).join(', ')}` : '';
  return [`${differing} of ${n} replies differ from the recording (expected ${expected.length}, got ${actual.length}${ignoring}):`, ...lines].join('\n');
}
