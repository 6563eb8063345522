/**
 * The keys of every row the grid shows, read a page at a time: what a filtered export sends when the filter holds
 * parts only the panel can evaluate (hidden kinds, the conversation's unanswered/slower/heartbeat filters), so the
 * file has exactly the rows on screen. Bounded: past `max` rows it refuses with a reason instead of building a
 * list that would not fit a message to the worker.
 */
import type { RowKey } from '../shared/protocol/io';
import type { FrameRecord } from '../shared/records';

export const SHOWN_KEYS_MAX = 500_000;
const PAGE = 2000;

export async function shownRowKeys(
  shown: number,
  rowsAt: (start: number, count: number) => Promise<FrameRecord[]>,
  onProgress: (done: number) => void = () => {},
  max = SHOWN_KEYS_MAX,
): Promise<RowKey[]> {
  if (shown > max) throw new Error(`the filtered view has ${shown} rows; a filter that only the panel evaluates (hidden kinds, unanswered, slower than, heartbeats) exports at most ${max}`);
  const keys: RowKey[] = [];
  for (let start = 0; start < shown; start += PAGE) {
    const rows = await rowsAt(start, Math.min(PAGE, shown - start));
    if (rows.length === 0) break;
    for (const row of rows) keys.push({ connectionId: row.connectionId, seq: row.seq });
    onProgress(keys.length);
  }
  return keys;
}
