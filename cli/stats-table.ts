/**
 * `ws-inspector stats` as text: per connection its counts, bytes and rates, sizes, top message types, longest
 * silences, heartbeats and a latency table by request label. Pure (figures in, text out).
 */
import type { ConnectionAnalysis, SessionAnalysisResult } from '../lib/analysis/session-analysis';
import type { LatencySummary } from '../lib/analysis/latency';

export interface ConnectionHeading {
  /** 1-based position in the file. */
  index: number;
  url: string;
  /** The decoder's label, or null when none was detected. */
  decoder: string | null;
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  // Bounds on the rounded figure: 999.6 ms reads "1.00 s", not "1000 ms".
  if (ms < 999.5) return `${ms < 9.95 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(ms < 9_995 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function rate(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** UTC time of day with milliseconds (the gaps' starts). */
function clock(time: number): string {
  return new Date(time).toISOString().slice(11, 23) + 'Z';
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
export function columns(rows: string[][], indent = '  '): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => [...r[i]].length)));
  return rows.map((r) => indent + r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd()).join('\n');
}

function latencyRow(label: string, s: LatencySummary, unanswered: number): string[] {
  return [label, String(s.count), formatMs(s.p50), formatMs(s.p95), formatMs(s.p99), formatMs(s.max), String(unanswered)];
}

export function connectionTable(heading: ConnectionHeading, c: ConnectionAnalysis): string {
  const t = c.traffic;
  const lines = [`#${heading.index} ${heading.url || '(no URL)'}${heading.decoder ? `  [${heading.decoder}]` : ''}`];
  const span = t.rates ? ` over ${formatMs(t.activeSpanMs)}: ${rate(t.rates.framesPerSecond)} frames/s, ${formatBytes(Math.round(t.rates.bytesPerSecond))}/s` : '';
  lines.push(`  frames      ${t.frames} (${formatBytes(t.bytes)})${span}`);
  lines.push(`    sent      ${t.sent.frames} (${formatBytes(t.sent.bytes)})${t.rates ? `: ${rate(t.rates.sentFramesPerSecond)} frames/s, ${formatBytes(Math.round(t.rates.sentBytesPerSecond))}/s` : ''}`);
  lines.push(`    received  ${t.received.frames} (${formatBytes(t.received.bytes)})${t.rates ? `: ${rate(t.rates.receivedFramesPerSecond)} frames/s, ${formatBytes(Math.round(t.rates.receivedBytesPerSecond))}/s` : ''}`);
  if (t.opens + t.closes + t.errors > 0) lines.push(`  events      ${t.opens} open, ${t.closes} close, ${t.errors} error`);
  if (t.sizeHistogram.length) lines.push(`  sizes       ${t.sizeHistogram.map((b) => `${b.minBytes === b.maxBytes ? formatBytes(b.minBytes) : `${formatBytes(b.minBytes)}–${formatBytes(b.maxBytes)}`}: ${b.count}`).join(' · ')}`);
  if (t.topTypes.length) lines.push(`  types       ${t.topTypes.map((x) => `${x.type} ${x.count}`).join(' · ')}${t.typeCount > t.topTypes.length ? ` (${t.typeCount} types)` : ''}`);
  if (t.gaps.length) lines.push(`  gaps        ${t.gaps.map((g) => `${formatMs(g.durationMs)} at ${clock(g.start)}`).join(' · ')}`);
  if (c.heartbeats.length) {
    lines.push(`  heartbeats  ${c.heartbeatFrames} frames`);
    for (const h of c.heartbeats) lines.push(`    ${h.dir === 'send' ? 'sent' : 'received'} ${h.label} ×${h.count}${h.intervalMs ? ` every ${formatMs(h.intervalMs)}` : ''}${h.kind === 'repeated' ? ' (repeated payload)' : ''}`);
  }
  const { pairing, latency } = c;
  if (pairing.pairs + pairing.unanswered + pairing.dropped === 0) {
    lines.push('  latency     no request↔response pairs');
  } else {
    const rows = [['latency', 'pairs', 'p50', 'p95', 'p99', 'max', 'unanswered'], latencyRow('all', latency.overall, pairing.unanswered)];
    const labels = new Set([...latency.byLabel.map((l) => l.label), ...Object.keys(pairing.unansweredByLabel)]);
    const byLabel = new Map(latency.byLabel.map((l) => [l.label, l]));
    const empty: LatencySummary = { count: 0, p50: 0, p95: 0, p99: 0, max: 0, min: 0, mean: 0 };
    for (const label of labels) rows.push(latencyRow(`  ${label}`, byLabel.get(label) ?? empty, pairing.unansweredByLabel[label] ?? 0).map((cell, i) => (i >= 2 && i <= 5 && !byLabel.has(label) ? '–' : cell)));
    lines.push(columns(rows));
    if (pairing.dropped) lines.push(`  (${pairing.dropped} waiting requests dropped over the limit)`);
    // Streams (subscriptions): later items are tied to their request but are not latencies (first response only).
    if (pairing.streamItems) lines.push(`  streams     ${pairing.streamItems} later stream item${pairing.streamItems === 1 ? '' : 's'} tied to their requests (latency counts the first response)${pairing.streams ? `, ${pairing.streams} stream${pairing.streams === 1 ? '' : 's'} still open` : ''}`);
  }
  return lines.join('\n');
}

/** The whole report; `headings` by connection id (connections are listed in file order). */
export function statsTable(title: string, headings: ReadonlyMap<string, ConnectionHeading>, result: SessionAnalysisResult): string {
  const s = result.session;
  const connections = [...result.connections].sort((a, b) => headings.get(a.connectionId)!.index - headings.get(b.connectionId)!.index);
  const parts = [
    `${title}: ${connections.length} connection${connections.length === 1 ? '' : 's'}, ${s.frames} frames (${formatBytes(s.bytes)}), ${s.pairs} pairs, ${s.unanswered} unanswered, ${s.heartbeatFrames} heartbeat frames${s.rates ? `, ${formatMs(s.activeSpanMs)} active` : ''}`,
  ];
  for (const c of connections) parts.push(connectionTable(headings.get(c.connectionId)!, c));
  return parts.join('\n\n') + '\n';
}
