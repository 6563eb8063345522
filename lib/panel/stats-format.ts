/**
 * Words and numbers for the stats dialog (StatsView.svelte), from a SessionAnalysisResult's plain data: latencies
 * in ms with a sensible precision, rates per second, size buckets as ranges, histogram bars as a share of the
 * largest bucket, and the rows of the latency table (every label, with its unanswered count, labels that only
 * went unanswered included).
 */
import type { ConnectionAnalysis, LatencyFigures, SessionAnalysisResult } from '../analysis';
import type { SizeBucket, TrafficSummary } from '../analysis/stats';
import { formatBytes } from './message-format';

/** 0.42 ms, 12.3 ms, 1234 ms: three significant figures below 100 ms, whole milliseconds above. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 100) return `${Math.round(ms)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatRate(perSecond: number, unit: 'frames' | 'bytes'): string {
  if (unit === 'bytes') return `${formatBytes(Math.round(perSecond))}/s`;
  return `${perSecond >= 100 ? Math.round(perSecond) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2)}/s`;
}

/** A power of two in its largest whole unit: 512 B, 4 KB, 1 MB. */
function powerOfTwo(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${n / 1024} KB`;
  return `${n / (1024 * 1024)} MB`;
}

/**
 * The histogram's row labels: "0 B", "1 B", "2–3 B", … "512–1023 B" (inclusive, in bytes), then from 1 KB on the
 * bucket's bounds as powers of two: "1–2 KB", "512 KB–1 MB" (a bucket holds sizes from the first up to the second).
 */
export function bucketLabel(bucket: Pick<SizeBucket, 'minBytes' | 'maxBytes'>): string {
  if (bucket.minBytes === bucket.maxBytes) return `${bucket.minBytes} B`;
  if (bucket.maxBytes < 1024) return `${bucket.minBytes}–${bucket.maxBytes} B`;
  const [low, lowUnit] = powerOfTwo(bucket.minBytes).split(' ');
  const high = powerOfTwo(bucket.maxBytes + 1);
  return high.endsWith(` ${lowUnit}`) ? `${low}–${high}` : `${low} ${lowUnit}–${high}`;
}

/** The histogram's non-empty buckets, each with its bar's width in percent of the largest (at least 1 when > 0). */
export function histogramBars(buckets: readonly SizeBucket[]): Array<{ label: string; count: number; percent: number }> {
  const shown = buckets.filter((b) => b.count > 0);
  const most = Math.max(0, ...shown.map((b) => b.count));
  return shown.map((b) => ({ label: bucketLabel(b), count: b.count, percent: most === 0 ? 0 : Math.max(1, Math.round((b.count / most) * 100)) }));
}

export interface LatencyRow {
  label: string;
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  unanswered: number;
}

/** The latency table: the overall row first, then each label (most pairs first), then labels only unanswered. */
export function latencyRows(latency: LatencyFigures, unansweredByLabel: Readonly<Record<string, number>>, unansweredTotal: number): LatencyRow[] {
  const figures = (s: { count: number; p50: number; p95: number; p99: number; max: number }) =>
    s.count === 0 ? { p50: null, p95: null, p99: null, max: null } : { p50: s.p50, p95: s.p95, p99: s.p99, max: s.max };
  const rows: LatencyRow[] = [{ label: 'All requests', count: latency.overall.count, ...figures(latency.overall), unanswered: unansweredTotal }];
  const seen = new Set<string>();
  for (const s of latency.byLabel) {
    seen.add(s.label);
    rows.push({ label: s.label, count: s.count, ...figures(s), unanswered: unansweredByLabel[s.label] ?? 0 });
  }
  for (const [label, n] of Object.entries(unansweredByLabel)) {
    if (!seen.has(label) && n > 0) rows.push({ label, count: 0, p50: null, p95: null, p99: null, max: null, unanswered: n });
  }
  return rows;
}

/** One connection's figures, or the session's traffic with every connection's latency table merged by label. */
export interface StatsSubject {
  title: string;
  traffic: TrafficSummary;
  heartbeatFrames: number;
  connections: ConnectionAnalysis[];
}

export function statsSubject(result: SessionAnalysisResult, connectionId: string | null, title: string): StatsSubject | undefined {
  if (connectionId === null) return { title, traffic: result.session, heartbeatFrames: result.session.heartbeatFrames, connections: result.connections };
  const c = result.connections.find((x) => x.connectionId === connectionId);
  return c && { title, traffic: c.traffic, heartbeatFrames: c.heartbeatFrames, connections: [c] };
}
