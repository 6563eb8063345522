/**
 * Reads what the diff, copy-as-code and stats dialogs work from, out of the session's stored rows: bounded reads
 * (one row, a connection's range, pages of a session), never a whole session in memory.
 *
 * - `previousOfKind(read, row, kindKey, keyOf)`: the latest earlier row of the same connection and direction whose
 *   kind key is `kindKey`, scanning back at most PREVIOUS_SCAN_ROWS rows (the "Compare with previous of its kind"
 *   shortcut).
 * - `codeRows(db, sessionId, request)`: the rows a "Copy as code" request names: the connection's frames the page
 *   sent (a range of them, or the whole connection), or one message; at most MAX_CODE_FRAMES.
 *
 * The stats view reads the conversation slice's figures (computed in its worker), not rows of its own.
 */
import { isSentFrame } from '../analysis/copy-as-code';
import type { FrameRecord } from '../shared/records';
import { connectionRowChunks, readConnectionRows, type InspectorDatabase } from '../store/frame-store';
import type { CodeRequest } from './dialogs-state.svelte';

export const PREVIOUS_SCAN_ROWS = 5000;
export const MAX_CODE_FRAMES = 5000;
const PAGE_ROWS = 2000;

/** Reads rows [start, start + count) of a connection, by position (`cpos`). */
export type ConnectionReader = (connectionId: string, start: number, count: number) => Promise<FrameRecord[]>;

export function connectionReader(db: InspectorDatabase, sessionId: string): ConnectionReader {
  return (connectionId, start, count) => readConnectionRows(db, sessionId, connectionId, start, count);
}

export async function previousOfKind(
  read: ConnectionReader,
  row: FrameRecord,
  kindKey: string,
  keyOf: (row: FrameRecord) => string | undefined,
): Promise<FrameRecord | undefined> {
  let end = row.cpos ?? 0;
  const stop = Math.max(0, end - PREVIOUS_SCAN_ROWS);
  while (end > stop) {
    const start = Math.max(stop, end - 500);
    const rows = await read(row.connectionId, start, end - start);
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i];
      if (r.seq < row.seq && r.kind === 'frame' && r.dir === row.dir && r.data !== undefined && keyOf(r) === kindKey) return r;
    }
    end = start;
  }
  return undefined;
}

export interface CodeRows {
  rows: FrameRecord[];
  /** More frames matched than MAX_CODE_FRAMES: `rows` holds the first ones. */
  truncated: boolean;
}

export async function codeRows(db: InspectorDatabase, sessionId: string, request: CodeRequest, max = MAX_CODE_FRAMES): Promise<CodeRows> {
  const rows: FrameRecord[] = [];
  const keep = request.single ? (row: FrameRecord) => row.kind === 'frame' : isSentFrame;
  for await (const page of connectionRowChunks(db, sessionId, request.connectionId, PAGE_ROWS, request.fromSeq, request.single ? request.fromSeq : request.toSeq)) {
    for (const row of page) {
      if (!keep(row)) continue;
      if (rows.length === max) return { rows, truncated: true };
      rows.push(row);
      if (request.single) return { rows, truncated: false };
    }
  }
  return { rows, truncated: false };
}
