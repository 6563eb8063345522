/**
 * What the timeline chart (components/Timeline.svelte) draws and says, from the timeline's buckets
 * (lib/analysis/timeline-buckets.ts): the series of the connection on screen or of all of them as rates for the
 * chart (uPlot's aligned columns), its marks, the text summary screen readers and the caption read, and the
 * readout under the cursor. Pure, so it is unit-tested without a canvas.
 */
import type { TimelineData, TimelineMark, TimelineSeries } from '../analysis/timeline-buckets';
import { formatBytes, formatClock, formatDuration } from './message-format';

/** The series shown: one connection's (null: all connections). Undefined when it has no rows yet. */
export function seriesOf(data: TimelineData | null, connectionId: string | null): TimelineSeries | undefined {
  if (!data) return undefined;
  const series = connectionId === null ? data.all : data.byConnection[connectionId];
  return series && series.times.length > 0 ? series : undefined;
}

export function marksOf(data: TimelineData | null, connectionId: string | null): TimelineMark[] {
  if (!data) return [];
  return connectionId === null ? data.marks : data.marks.filter((m) => m.connectionId === connectionId);
}

/**
 * uPlot's columns: x in seconds (uPlot's time unit), then sent and received messages per second and sent and
 * received bytes per second. A last point at the end of the last bucket repeats its values, so the stepped lines
 * draw that bucket's width too (and a single bucket still has a span).
 */
export function chartColumns(series: TimelineSeries, bucketMs: number): [number[], number[], number[], number[], number[]] {
  const n = series.times.length;
  const perSecond = 1000 / bucketMs;
  const x = new Array<number>(n + 1);
  const columns = [series.sentMessages, series.receivedMessages, series.sentBytes, series.receivedBytes].map((values) => {
    const out = new Array<number>(n + 1);
    for (let i = 0; i < n; i++) out[i] = values[i] * perSecond;
    out[n] = n > 0 ? out[n - 1] : 0;
    return out;
  });
  for (let i = 0; i < n; i++) x[i] = series.times[i] / 1000;
  x[n] = n > 0 ? (series.times[n - 1] + bucketMs) / 1000 : 0;
  return [x, columns[0], columns[1], columns[2], columns[3]];
}

/** A rate for people: 40, 2.5, 0.25. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 100 || Number.isInteger(perSecond)) return String(Math.round(perSecond));
  return perSecond >= 10 ? perSecond.toFixed(1) : String(Number(perSecond.toPrecision(2)));
}

/** Clock time to the second: 14:03:07. */
export function formatSecond(time: number): string {
  return formatClock(time).slice(0, 8);
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

/** A bucket size for people: "1-s", "10-s", "1-min", "6-h". */
function bucketText(bucketMs: number): string {
  if (bucketMs < 60_000) return `${bucketMs / 1000}-s`;
  if (bucketMs < 3_600_000) return `${bucketMs / 60_000}-min`;
  if (bucketMs < 86_400_000) return `${bucketMs / 3_600_000}-h`;
  return `${bucketMs / 86_400_000}-day`;
}

/**
 * The chart in words, e.g. "All connections, 45 s: 40 sent (1.2 KB), 40 received (1.2 KB); peak 20 msg/s at
 * 12:01:03; 1 open, 1 close." The peak is the busiest bucket's average rate (per second over its width).
 */
export function timelineSummary(data: TimelineData | null, connectionId: string | null, scope: string): string {
  const series = seriesOf(data, connectionId);
  if (!data || !series) return `${scope}: no traffic yet.`;
  const n = series.times.length;
  let sent = 0;
  let received = 0;
  let sentBytes = 0;
  let receivedBytes = 0;
  let peak = -1;
  for (let i = 0; i < n; i++) {
    sent += series.sentMessages[i];
    received += series.receivedMessages[i];
    sentBytes += series.sentBytes[i];
    receivedBytes += series.receivedBytes[i];
    const both = series.sentMessages[i] + series.receivedMessages[i];
    if (peak < 0 || both > series.sentMessages[peak] + series.receivedMessages[peak]) peak = i;
  }
  const span = data.bucketMs > 1000 ? `${formatDuration(n * data.bucketMs)} in ${bucketText(data.bucketMs)} steps` : formatDuration(n * data.bucketMs);
  const parts = [`${scope}, ${span}: ${sent.toLocaleString('en')} sent (${formatBytes(sentBytes)}), ${received.toLocaleString('en')} received (${formatBytes(receivedBytes)})`];
  const peakCount = series.sentMessages[peak] + series.receivedMessages[peak];
  if (peakCount > 0) parts.push(`peak ${formatRate((peakCount * 1000) / data.bucketMs)} msg/s at ${formatSecond(series.times[peak])}`);
  const marks = marksOf(data, connectionId);
  const count = (kind: TimelineMark['kind']) => marks.filter((m) => m.kind === kind).length;
  const events = [plural(count('open'), 'open', 'opens'), plural(count('close'), 'close', 'closes'), plural(count('error'), 'error', 'errors')].filter((text) => !text.startsWith('0 '));
  if (events.length > 0) parts.push(events.join(', '));
  return `${parts.join('; ')}.`;
}

/** The marks within `px` pixels of the cursor, as `toPx` places them. */
export function marksNear(marks: readonly TimelineMark[], cursorPx: number, toPx: (time: number) => number, px = 4): TimelineMark[] {
  return marks.filter((m) => Math.abs(toPx(m.time) - cursorPx) <= px);
}

const MARK_VERBS: Record<TimelineMark['kind'], string> = { open: 'opened', close: 'closed', error: 'error' };

/** What the cursor is over: the bucket's rates, and any mark there ("#2 closed 12:01:05.120"). */
export function readoutText(columns: ReturnType<typeof chartColumns>, index: number, marks: readonly TimelineMark[], connectionName: (id: string) => string): string {
  const [x, sentM, receivedM, sentB, receivedB] = columns;
  if (index < 0 || index >= x.length - 1) return '';
  const rates = `${formatSecond(x[index] * 1000)}: ↑ ${formatRate(sentM[index])} msg/s ${formatBytes(Math.round(sentB[index]))}/s, ↓ ${formatRate(receivedM[index])} msg/s ${formatBytes(Math.round(receivedB[index]))}/s`;
  const named = marks.slice(0, 3).map((m) => `${connectionName(m.connectionId)} ${MARK_VERBS[m.kind]} ${formatClock(m.time)}`);
  return [rates, ...named].join('; ');
}
