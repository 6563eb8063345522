/**
 * Reads what the diff, copy-as-code and stats dialogs work from, out of the session's stored rows: bounded reads
 * (one row, a connection's range, pages of a session), never a whole session in memory.
 *
 * - `previousOfKind(read, row, kindKey, keyOf)`: the latest earlier row of the same connection and direction whose
 *   kind key is `kindKey`, scanning back at most PREVIOUS_SCAN_ROWS rows (the "Compare with previous of its kind"
 *   shortcut).
 * - `codeRows(db, sessionId, request)`: the rows a "Copy as code" request names: the connection's frames the page
 *   sent (a range of them, or the whole connection), or one message; at most MAX_CODE_FRAMES.
 * - `analyseSession(db, session, options)`: SessionAnalysis over the session's rows, paged, for sessions of at most
 *   LOCAL_STATS_MAX_ROWS rows (the stats view's own figures while the conversation slice has none).
 */
import { SessionAnalysis, type SessionAnalysisOptions, type SessionAnalysisResult } from '../analysis';
import { isSentFrame } from '../analysis/copy-as-code';
import type { FrameRecord, SessionRecord } from '../shared/records';
import { connectionRowChunks, readConnectionRows, readSessionRows, type InspectorDatabase } from '../store/frame-store';
import type { CodeRequest } from './dialogs-state.svelte';

export const PREVIOUS_SCAN_ROWS = 5000;
export const MAX_CODE_FRAMES = 5000;
export const LOCAL_STATS_MAX_ROWS = 200_000;
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

/** The session's figures computed here; null when the session is too big for that (or `signal` aborted). */
export async function analyseSession(
  db: InspectorDatabase,
  session: Pick<SessionRecord, 'id' | 'rowCount'>,
  options: SessionAnalysisOptions,
  signal?: AbortSignal,
): Promise<SessionAnalysisResult | null> {
  if ((session.rowCount ?? 0) > LOCAL_STATS_MAX_ROWS) return null;
  const analysis = new SessionAnalysis(options);
  for (let start = 0; ; start += PAGE_ROWS) {
    if (signal?.aborted) return null;
    const rows = await readSessionRows(db, session.id, start, PAGE_ROWS);
    analysis.push(rows);
    if (rows.length < PAGE_ROWS) break;
  }
  analysis.finish();
  return analysis.result();
}
