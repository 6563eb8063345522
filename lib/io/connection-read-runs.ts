/**
 * Which connections an export reads together. Chunks hold the rows of every connection active at the time, so
 * reading each connection by its own index reads a busy stream's chunks once per heartbeat socket beside it;
 * connections whose rows lie in the same chunks are read in one pass instead, within a memory budget.
 */
import type { ConnectionSpan } from '../store/frame-store';
import type { ConnectionRecord } from '../shared/records';

/** Default ExportOptions.sharedReadBudget: the rows of connections read in one pass are held until written. */
export const SHARED_READ_BUDGET = 64 * 1024 * 1024;

/** A connection to export, with where its rows lie and about what they take in memory. */
export interface ConnectionReadCost extends ConnectionSpan {
  id: string;
  memory: number;
}

/** Connections read in one pass over the chunks with keys in [firstChunk, lastChunk]. */
export interface ReadRun {
  members: ConnectionReadCost[];
  firstChunk: number;
  lastChunk: number;
}

/**
 * Splits connections (in file order) into runs read in one pass over the chunks their rows span, instead of
 * one read of each connection by its index. Chunks hold the rows of every connection active at the time, so
 * a busy stream with a few heartbeat sockets beside it was read once per socket. A connection joins the run
 * before it when that reads fewer chunks than reading it on its own, and the run's rows fit in `budget` bytes.
 * `chunksBetween(first, last)` counts the session's chunks with keys in that range.
 */
export function groupConnectionReads(
  costs: readonly ConnectionReadCost[],
  chunksBetween: (first: number, last: number) => number,
  budget: number,
): ReadRun[] {
  const runs: ReadRun[] = [];
  let run: ReadRun | undefined;
  let memory = 0;
  for (const c of costs) {
    if (run && c.chunks > 0 && run.members[0].chunks > 0) {
      const first = Math.min(run.firstChunk, c.firstChunk);
      const last = Math.max(run.lastChunk, c.lastChunk);
      const alone = run.members.length === 1 ? run.members[0].chunks : chunksBetween(run.firstChunk, run.lastChunk);
      if (memory + c.memory <= budget && chunksBetween(first, last) < alone + c.chunks) {
        run.members.push(c);
        run.firstChunk = first;
        run.lastChunk = last;
        memory += c.memory;
        continue;
      }
    }
    run = { members: [c], firstChunk: c.firstChunk, lastChunk: c.lastChunk };
    runs.push(run);
    memory = c.memory;
  }
  return runs;
}

/** About what a connection's rows take as row objects in memory: payload strings plus each row's fields. */
export function rowsMemory(connection: ConnectionRecord): number {
  return 2 * (connection.sentBytes + connection.receivedBytes) + 300 * connection.rowCount;
}

/** The number of keys in sorted `keys` within [first, last]. */
export function keysBetween(keys: readonly number[], first: number, last: number): number {
  const lowerBound = (value: number) => {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return lowerBound(last + 1) - lowerBound(first);
}
