/**
 * The traffic timeline's data: messages and bytes per time bucket, sent and received, for the whole session and
 * per connection, and the connections' opens, closes and errors as marks, built incrementally from a session's rows
 * (pure; fed in pages like the grid's, in a worker or the CLI). The interface the worker and the chart share (#13).
 *
 * Buckets are aligned to the epoch (bucket i covers [i·bucketMs, (i+1)·bucketMs)), and every step of
 * BUCKET_STEPS_MS divides the next, so coarsening merges whole buckets and gives exactly what feeding the rows at
 * the coarser size would have. The size starts at 1 s and coarsens when the session's span would need more than
 * MAX_BUCKETS buckets, or the connections' series together more than MAX_CELLS (20,000 connections each living the
 * whole session would otherwise hold 20,000 × 2,000 buckets, and every result is copied to the panel). Each size is the smallest that fits what was fed so
 * far, so the result does not depend on how the rows were paged or ordered. Memory is bounded whatever the session:
 * a million frames over a day take 2,000 buckets.
 */
import type { FrameRecord } from '../shared/records';

export interface TimelineMark {
  time: number;
  connectionId: string;
  kind: 'open' | 'close' | 'error';
}

export interface TimelineSeries {
  /** Start of each bucket, epoch ms (ascending, every `bucketMs`). */
  times: Float64Array;
  sentMessages: Float64Array;
  receivedMessages: Float64Array;
  sentBytes: Float64Array;
  receivedBytes: Float64Array;
}

/** Messages and payload bytes each way. */
export interface TimelineTotals {
  sentMessages: number;
  receivedMessages: number;
  sentBytes: number;
  receivedBytes: number;
}

export interface TimelineData {
  bucketMs: number;
  /** All connections of the session. */
  all: TimelineSeries;
  /** Per connection id: buckets from its first row to its last. */
  byConnection: Record<string, TimelineSeries>;
  /** In time order; the first MAX_MARKS fed (see `marksDropped`). */
  marks: TimelineMark[];
  /** Marks left out past MAX_MARKS. */
  marksDropped: number;
  /** Time of the first and last row fed (frames and control rows); null before any. */
  range: { from: number; to: number } | null;
  /** The session's totals (the sum of `all`). */
  totals: TimelineTotals;
}

/** Bucket sizes, ms: each divides the next (past the last one, sizes double). */
export const BUCKET_STEPS_MS: readonly number[] = [
  1_000, 2_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];
/** Buckets the session's span may take before the size coarsens. */
export const MAX_BUCKETS = 2_000;
/** Buckets all connections' series may take together (each cell: 4 numbers). */
export const MAX_CELLS = 250_000;
export const MAX_MARKS = 10_000;

/** The size after `ms` in the ladder. */
function nextStep(ms: number): number {
  const i = BUCKET_STEPS_MS.indexOf(ms);
  return i >= 0 && i < BUCKET_STEPS_MS.length - 1 ? BUCKET_STEPS_MS[i + 1] : ms * 2;
}

/** Fields per bucket in a builder's array. */
const STRIDE = 4;
const SENT_M = 0;
const RECV_M = 1;
const SENT_B = 2;
const RECV_B = 3;

/** One series being built: buckets lo..hi, stored from bucket `base` in one growing array. */
class SeriesBuilder {
  lo = Infinity;
  hi = -Infinity;
  private base = 0;
  private cells = new Float64Array(0);

  get span(): number {
    return this.hi >= this.lo ? this.hi - this.lo + 1 : 0;
  }

  /** Makes bucket `index` part of the series; returns how many buckets the span grew by. */
  cover(index: number): number {
    if (index >= this.lo && index <= this.hi) return 0;
    const before = this.span;
    const lo = Math.min(this.lo, index);
    const hi = Math.max(this.hi, index);
    const capacity = this.cells.length / STRIDE;
    if (lo < this.base || hi >= this.base + capacity) {
      // Grow with room on the side it grew towards (rows come mostly in time order).
      const need = hi - lo + 1;
      const size = Math.max(4, need * 2);
      const base = index < this.lo && this.span > 0 ? hi - size + 1 : lo;
      const cells = new Float64Array(size * STRIDE);
      if (this.span > 0) cells.set(this.cells.subarray((this.lo - this.base) * STRIDE, (this.hi - this.base + 1) * STRIDE), (this.lo - base) * STRIDE);
      this.cells = cells;
      this.base = base;
    }
    this.lo = lo;
    this.hi = hi;
    return this.span - before;
  }

  /** Counts a message in bucket `index` (covered already). */
  add(index: number, sent: boolean, bytes: number): void {
    const at = (index - this.base) * STRIDE;
    if (sent) {
      this.cells[at + SENT_M]++;
      this.cells[at + SENT_B] += bytes;
    } else {
      this.cells[at + RECV_M]++;
      this.cells[at + RECV_B] += bytes;
    }
  }

  /** Merges every `factor` buckets into one (bucket i becomes i / factor, rounded down). */
  coarsen(factor: number): void {
    if (this.span === 0) return;
    const lo = Math.floor(this.lo / factor);
    const hi = Math.floor(this.hi / factor);
    const cells = new Float64Array((hi - lo + 1) * STRIDE);
    for (let i = this.lo; i <= this.hi; i++) {
      const from = (i - this.base) * STRIDE;
      const to = (Math.floor(i / factor) - lo) * STRIDE;
      for (let f = 0; f < STRIDE; f++) cells[to + f] += this.cells[from + f];
    }
    this.cells = cells;
    this.base = this.lo = lo;
    this.hi = hi;
  }

  series(bucketMs: number): TimelineSeries {
    const n = this.span;
    const out: TimelineSeries = {
      times: new Float64Array(n),
      sentMessages: new Float64Array(n),
      receivedMessages: new Float64Array(n),
      sentBytes: new Float64Array(n),
      receivedBytes: new Float64Array(n),
    };
    for (let k = 0; k < n; k++) {
      const at = (this.lo + k - this.base) * STRIDE;
      out.times[k] = (this.lo + k) * bucketMs;
      out.sentMessages[k] = this.cells[at + SENT_M];
      out.receivedMessages[k] = this.cells[at + RECV_M];
      out.sentBytes[k] = this.cells[at + SENT_B];
      out.receivedBytes[k] = this.cells[at + RECV_B];
    }
    return out;
  }
}

export class TimelineBuckets {
  private bucketMs = BUCKET_STEPS_MS[0];
  private readonly all = new SeriesBuilder();
  private readonly connections = new Map<string, SeriesBuilder>();
  /** Buckets of every connection's span, summed. */
  private connectionCells = 0;
  private readonly marks: TimelineMark[] = [];
  private marksDropped = 0;
  private from = Infinity;
  private to = -Infinity;
  private readonly totals: TimelineTotals = { sentMessages: 0, receivedMessages: 0, sentBytes: 0, receivedBytes: 0 };
  /** The last row's connection (rows come in runs of one connection). */
  private lastId: string | undefined;
  private lastSeries: SeriesBuilder | undefined;

  /** The bucket size now, ms. */
  get size(): number {
    return this.bucketMs;
  }

  /** Adds rows (any order within a page; pages in session order). Rows without a finite time are left out. */
  push(rows: Iterable<FrameRecord>): void {
    for (const row of rows) {
      const time = row.time;
      if (!Number.isFinite(time)) continue;
      if (time < this.from || time > this.to) this.widen(time);
      let index = Math.floor(time / this.bucketMs);
      this.all.cover(index);
      const series = this.seriesOf(row.connectionId);
      const grown = series.cover(index);
      if (grown > 0) {
        this.connectionCells += grown;
        if (this.connectionCells > MAX_CELLS) {
          // Past a single bucket nothing merges further (more connections than MAX_CELLS): stop there.
          while (this.connectionCells > MAX_CELLS && this.all.span > 1) this.coarsenTo(nextStep(this.bucketMs));
          index = Math.floor(time / this.bucketMs);
        }
      }
      if (row.kind === 'frame') {
        const sent = row.dir === 'send';
        const bytes = row.size > 0 ? row.size : 0;
        this.all.add(index, sent, bytes);
        series.add(index, sent, bytes);
        if (sent) {
          this.totals.sentMessages++;
          this.totals.sentBytes += bytes;
        } else {
          this.totals.receivedMessages++;
          this.totals.receivedBytes += bytes;
        }
      } else if (row.kind === 'open' || row.kind === 'close' || row.kind === 'error') {
        if (this.marks.length < MAX_MARKS) this.marks.push({ time, connectionId: row.connectionId, kind: row.kind });
        else this.marksDropped++;
      }
    }
  }

  /** The data so far (copies: feeding more rows does not change a result already taken). */
  result(): TimelineData {
    const byConnection: Record<string, TimelineSeries> = {};
    for (const [id, series] of this.connections) byConnection[id] = series.series(this.bucketMs);
    return {
      bucketMs: this.bucketMs,
      all: this.all.series(this.bucketMs),
      byConnection,
      marks: [...this.marks].sort((a, b) => a.time - b.time),
      marksDropped: this.marksDropped,
      range: this.from <= this.to ? { from: this.from, to: this.to } : null,
      totals: { ...this.totals },
    };
  }

  private seriesOf(id: string): SeriesBuilder {
    if (id === this.lastId && this.lastSeries) return this.lastSeries;
    let series = this.connections.get(id);
    if (!series) {
      series = new SeriesBuilder();
      this.connections.set(id, series);
    }
    this.lastId = id;
    this.lastSeries = series;
    return series;
  }

  /** A row at `time` widens the session's span: coarsen first if it would not fit (before any array grows). */
  private widen(time: number): void {
    this.from = Math.min(this.from, time);
    this.to = Math.max(this.to, time);
    let step = this.bucketMs;
    while (Math.floor(this.to / step) - Math.floor(this.from / step) + 1 > MAX_BUCKETS) step = nextStep(step);
    if (step !== this.bucketMs) this.coarsenTo(step);
  }

  private coarsenTo(step: number): void {
    const factor = step / this.bucketMs;
    this.bucketMs = step;
    this.all.coarsen(factor);
    this.connectionCells = 0;
    for (const series of this.connections.values()) {
      series.coarsen(factor);
      this.connectionCells += series.span;
    }
  }
}
