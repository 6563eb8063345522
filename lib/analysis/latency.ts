/**
 * Latency statistics: p50, p95, p99, max and count, overall and per label (method or message type). Exact, not
 * streamed: every latency is kept in a growing Float64Array (8 bytes each: a million pairs is 8 MB) and sorted
 * when asked, so the percentiles are the true nearest-rank ones, with no sketch error to explain.
 *
 *   const latencies = new LatencyRecorder();
 *   latencies.add('getUser', 12.5);
 *   latencies.summary()   → { count, p50, p95, p99, max, mean }   (every latency)
 *   latencies.byLabel()   → [{ label, count, p50, … }] most frequent first
 */

export interface LatencySummary {
  count: number;
  /** Milliseconds; 0 when count is 0. Nearest rank: the smallest latency with at least p% of them at or below it. */
  p50: number;
  p95: number;
  p99: number;
  max: number;
  min: number;
  mean: number;
}

export interface LabelledLatencySummary extends LatencySummary {
  label: string;
}

/** A growing list of numbers in one Float64Array (doubling), so a million latencies are one 8 MB buffer. */
export class NumberList {
  private values = new Float64Array(64);
  length = 0;

  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  /** A sorted copy of the values. */
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

/** Nearest-rank percentile of sorted values (p in 0…100). */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function summarize(values: NumberList): LatencySummary {
  const sorted = values.sorted();
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i];
  const n = sorted.length;
  return {
    count: n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n ? sorted[n - 1] : 0,
    min: n ? sorted[0] : 0,
    mean: n ? sum / n : 0,
  };
}

export class LatencyRecorder {
  private readonly all = new NumberList();
  private readonly labels = new Map<string, NumberList>();

  constructor(
    /** Distinct labels kept apart; later new labels are counted under "(other)" so a label per request id cannot grow memory. */
    private readonly maxLabels = 1000,
  ) {}

  add(label: string, latencyMs: number): void {
    this.all.push(latencyMs);
    let list = this.labels.get(label);
    if (!list) {
      if (this.labels.size >= this.maxLabels) label = '(other)';
      list = this.labels.get(label) ?? new NumberList();
      this.labels.set(label, list);
    }
    list.push(latencyMs);
  }

  get count(): number {
    return this.all.length;
  }

  summary(): LatencySummary {
    return summarize(this.all);
  }

  /** Per label, most pairs first (ties by label). */
  byLabel(): LabelledLatencySummary[] {
    return [...this.labels]
      .map(([label, list]) => ({ label, ...summarize(list) }))
      .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  }
}
