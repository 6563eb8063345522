/**
 * The session order of imported rows: every connection's rows merged by time (lib/io/session-import.ts writes
 * them into store chunks in this order).
 */

/**
 * The session order of imported rows, as [connection index, row index] pairs: all connections' rows merged by
 * time, ties going to the earlier connection in the file. Each connection's rows keep their own (seq) order even
 * where a file's clock goes backwards, because the store needs a connection's positions in session order to be
 * in seq order too (lib/store/frame-store.ts). A binary heap of connections keyed on their next row: O(rows · log
 * connections).
 */
export function* mergeByTime(connections: readonly { rows: readonly { time: number }[] }[]): Generator<[number, number]> {
  const next = connections.map(() => 0);
  const heap: number[] = [];
  const before = (a: number, b: number): boolean => {
    const ta = connections[a].rows[next[a]].time;
    const tb = connections[b].rows[next[b]].time;
    return ta < tb || (ta === tb && a < b);
  };
  const siftDown = (at: number): void => {
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) return;
      const child = left + 1 < heap.length && before(heap[left + 1], heap[left]) ? left + 1 : left;
      if (!before(heap[child], heap[at])) return;
      [heap[at], heap[child]] = [heap[child], heap[at]];
      at = child;
    }
  };
  for (let ci = 0; ci < connections.length; ci++) {
    if (connections[ci].rows.length === 0) continue;
    heap.push(ci);
    for (let at = heap.length - 1; at > 0; ) {
      const parent = (at - 1) >> 1;
      if (!before(heap[at], heap[parent])) break;
      [heap[at], heap[parent]] = [heap[parent], heap[at]];
      at = parent;
    }
  }
  while (heap.length > 0) {
    const ci = heap[0];
    yield [ci, next[ci]++];
    if (next[ci] === connections[ci].rows.length) {
      const last = heap.pop()!;
      if (heap.length === 0) return;
      heap[0] = last;
    }
    siftDown(0);
  }
}
