/**
 * A line diff (Myers, by the `diff` package: ESM, no dependencies, tree-shaken to `diffArrays`) and the
 * side-by-side rows a viewer shows. Pure. Binary payloads are compared as hex-dump lines (`hexLines`).
 *
 * API
 * - `splitLines(text) → string[]`: lines without their terminators (`\n`, `\r\n`); '' → [''].
 * - `hexLines(bytes) → string[]`: 16 bytes a line, `00000010  de ad be ef …  ascii`; an insertion shifts every
 *   later line (offsets are part of the line on purpose: the viewer shows where a byte is).
 * - `diffLineLists(before, after, { maxEditLength? }) → LineDiff`: runs of same / removed / added lines. Past
 *   maxEditLength differing lines (default 4,000) Myers is stopped (its cost grows with the square of the edit
 *   length) and the result is the whole of `before` removed then the whole of `after` added, `exact: false`.
 * - `sideBySideRows(runs) → SideBySideRow[]`: one row per line pair; a removed run followed by an added run is
 *   paired line by line as `changed` rows, the longer run's rest as `removed` / `added` rows with one side null.
 */
import { diffArrays } from 'diff';

export type LineRunKind = 'same' | 'removed' | 'added';

export interface LineRun {
  kind: LineRunKind;
  lines: string[];
}

export interface LineDiff {
  runs: LineRun[];
  /** False when the inputs differed too much for a line-by-line diff: all removed, then all added. */
  exact: boolean;
}

export type SideBySideKind = 'same' | 'changed' | 'removed' | 'added';

/** One side of a row: its 1-based line number on that side and the line's text. */
export interface SideBySideCell {
  line: number;
  text: string;
}

export interface SideBySideRow {
  kind: SideBySideKind;
  /** Null on an `added` row. */
  left: SideBySideCell | null;
  /** Null on a `removed` row. */
  right: SideBySideCell | null;
}

export function splitLines(text: string): string[] {
  return text.split(/\r?\n/);
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

export function hexLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const slice = bytes.subarray(offset, offset + 16);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < slice.length; i++) {
      hex += (i === 0 ? '' : ' ') + HEX[slice[i]];
      ascii += slice[i] >= 0x20 && slice[i] < 0x7f ? String.fromCharCode(slice[i]) : '.';
    }
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines;
}

export function diffLineLists(before: string[], after: string[], options: { maxEditLength?: number } = {}): LineDiff {
  const changes = diffArrays(before, after, { maxEditLength: options.maxEditLength ?? 4000 });
  if (!changes) {
    const runs: LineRun[] = [];
    if (before.length > 0) runs.push({ kind: 'removed', lines: before });
    if (after.length > 0) runs.push({ kind: 'added', lines: after });
    return { runs, exact: false };
  }
  return { runs: changes.map((c) => ({ kind: c.added ? 'added' : c.removed ? 'removed' : 'same', lines: c.value })), exact: true };
}

export function sideBySideRows(runs: readonly LineRun[]): SideBySideRow[] {
  const rows: SideBySideRow[] = [];
  let left = 0;
  let right = 0;
  const cell = (side: 'left' | 'right', text: string): SideBySideCell => ({ line: side === 'left' ? ++left : ++right, text });
  for (let r = 0; r < runs.length; r++) {
    const run = runs[r];
    if (run.kind === 'same') {
      for (const text of run.lines) rows.push({ kind: 'same', left: cell('left', text), right: cell('right', text) });
      continue;
    }
    if (run.kind === 'removed' && runs[r + 1]?.kind === 'added') {
      const added = runs[r + 1].lines;
      const n = Math.max(run.lines.length, added.length);
      for (let i = 0; i < n; i++) {
        const l = i < run.lines.length ? cell('left', run.lines[i]) : null;
        const rt = i < added.length ? cell('right', added[i]) : null;
        rows.push({ kind: l && rt ? 'changed' : l ? 'removed' : 'added', left: l, right: rt });
      }
      r++;
      continue;
    }
    for (const text of run.lines) {
      rows.push(run.kind === 'removed' ? { kind: 'removed', left: cell('left', text), right: null } : { kind: 'added', left: null, right: cell('right', text) });
    }
  }
  return rows;
}
