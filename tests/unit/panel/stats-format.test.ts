import { describe, expect, it } from 'vitest';
import { SessionAnalysis } from '@/lib/analysis';
import { bucketLabel, formatMs, formatRate, histogramBars, latencyRows, statsSubject } from '@/lib/panel/stats-format';
import type { FrameRecord } from '@/lib/shared/records';

describe('stats-format', () => {
  it('formats latencies and rates with a precision that suits their size', () => {
    expect(formatMs(0.4219)).toBe('0.42 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(1234.4)).toBe('1234 ms');
    expect(formatMs(Number.NaN)).toBe('–');
    expect(formatRate(2.5, 'frames')).toBe('2.50/s');
    expect(formatRate(250.4, 'frames')).toBe('250/s');
    expect(formatRate(2048, 'bytes')).toBe('2.00 KB/s');
  });

  it('labels size buckets as byte ranges, then powers of two', () => {
    expect(bucketLabel({ minBytes: 0, maxBytes: 0 })).toBe('0 B');
    expect(bucketLabel({ minBytes: 1, maxBytes: 1 })).toBe('1 B');
    expect(bucketLabel({ minBytes: 2, maxBytes: 3 })).toBe('2–3 B');
    expect(bucketLabel({ minBytes: 512, maxBytes: 1023 })).toBe('512–1023 B');
    expect(bucketLabel({ minBytes: 1024, maxBytes: 2047 })).toBe('1–2 KB');
    expect(bucketLabel({ minBytes: 512 * 1024, maxBytes: 1024 * 1024 - 1 })).toBe('512 KB–1 MB');
  });

  it('draws non-empty buckets as bars relative to the largest', () => {
    const bars = histogramBars([
      { minBytes: 0, maxBytes: 0, count: 0 },
      { minBytes: 1, maxBytes: 1, count: 200 },
      { minBytes: 2, maxBytes: 3, count: 1 },
      { minBytes: 4, maxBytes: 7, count: 50 },
    ]);
    expect(bars).toEqual([
      { label: '1 B', count: 200, percent: 100 },
      { label: '2–3 B', count: 1, percent: 1 },
      { label: '4–7 B', count: 50, percent: 25 },
    ]);
    expect(histogramBars([])).toEqual([]);
  });

  it('lists latency by label with unanswered counts, labels never answered included', () => {
    const rows: FrameRecord[] = [];
    let seq = 0;
    const add = (dir: 'send' | 'receive', time: number, data: unknown) =>
      rows.push({ sessionId: 's', connectionId: 'c', seq: seq++, time, kind: 'frame', dir, opcode: 1, data: JSON.stringify(data), size: 10 });
    add('send', 0, { jsonrpc: '2.0', id: 1, method: 'getUser' });
    add('receive', 10, { jsonrpc: '2.0', id: 1, result: {} });
    add('send', 20, { jsonrpc: '2.0', id: 2, method: 'getUser' });
    add('receive', 50, { jsonrpc: '2.0', id: 2, result: {} });
    add('send', 60, { jsonrpc: '2.0', id: 3, method: 'save' });
    add('send', 70, { jsonrpc: '2.0', id: 4, method: 'getUser' });
    const analysis = new SessionAnalysis({ decoderIds: { c: 'json-rpc' } });
    analysis.push(rows);
    analysis.finish();
    const result = analysis.result();
    const c = result.connections[0];
    const table = latencyRows(c.latency, c.pairing.unansweredByLabel, c.pairing.unanswered);
    expect(table[0]).toMatchObject({ label: 'All requests', count: 2, p50: 10, max: 30, unanswered: 2 });
    expect(table.find((r) => r.label === 'getUser')).toMatchObject({ count: 2, p95: 30, unanswered: 1 });
    expect(table.find((r) => r.label === 'save')).toEqual({ label: 'save', count: 0, p50: null, p95: null, p99: null, max: null, unanswered: 1 });

    expect(statsSubject(result, null, 'Session')?.traffic.frames).toBe(6);
    expect(statsSubject(result, 'c', '#1')?.connections).toHaveLength(1);
    expect(statsSubject(result, 'nope', '#9')).toBeUndefined();
  });
});
