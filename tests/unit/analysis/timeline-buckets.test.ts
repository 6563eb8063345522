import { describe, expect, it } from 'vitest';
import { BUCKET_STEPS_MS, MAX_BUCKETS, MAX_CELLS, TimelineBuckets, type TimelineData, type TimelineSeries } from '../../../lib/analysis/timeline-buckets';
import type { FrameRecord } from '../../../lib/shared/records';

const T0 = 1_700_000_000_000; // a multiple of every step up to 10 s (and of 1 min: 1.7e12 / 6e4 is whole)

function frame(connectionId: string, time: number, dir: 'send' | 'receive', size: number): FrameRecord {
  return { sessionId: 's', connectionId, seq: 0, time, kind: 'frame', dir, opcode: 1, size };
}

function control(connectionId: string, time: number, kind: 'open' | 'close' | 'error'): FrameRecord {
  return { sessionId: 's', connectionId, seq: 0, time, kind, size: 0 };
}

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` rows over `spanMs` on `connections` connections, each opened first and closed last. */
function session(n: number, spanMs: number, connections = 3, seed = 1): FrameRecord[] {
  const next = random(seed);
  const rows: FrameRecord[] = [];
  for (let c = 0; c < connections; c++) rows.push(control(`c${c}`, T0 + c, 'open'));
  for (let i = 0; i < n; i++) {
    const time = T0 + 10 + (i / n) * spanMs + next() * 5;
    rows.push(frame(`c${i % connections}`, time, next() < 0.5 ? 'send' : 'receive', Math.floor(next() * 500)));
  }
  for (let c = 0; c < connections; c++) rows.push(control(`c${c}`, T0 + spanMs + 20 + c, c === 0 ? 'error' : 'close'));
  return rows;
}

/** The series by counting each row into its bucket directly (the reference). */
function reference(rows: FrameRecord[], bucketMs: number, connectionId?: string): Map<number, number[]> {
  const buckets = new Map<number, number[]>();
  for (const row of rows) {
    if (connectionId !== undefined && row.connectionId !== connectionId) continue;
    if (row.kind !== 'frame') continue;
    const start = Math.floor(row.time / bucketMs) * bucketMs;
    const cell = buckets.get(start) ?? [0, 0, 0, 0];
    if (row.dir === 'send') {
      cell[0]++;
      cell[2] += row.size;
    } else {
      cell[1]++;
      cell[3] += row.size;
    }
    buckets.set(start, cell);
  }
  return buckets;
}

/** The non-empty buckets of a series, as the reference has them; checks its times are dense and aligned. */
function nonEmpty(series: TimelineSeries, bucketMs: number): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < series.times.length; i++) {
    expect(series.times[i] % bucketMs).toBe(0);
    if (i > 0) expect(series.times[i] - series.times[i - 1]).toBe(bucketMs);
    const cell = [series.sentMessages[i], series.receivedMessages[i], series.sentBytes[i], series.receivedBytes[i]];
    if (cell.some((v) => v !== 0)) out.set(series.times[i], cell);
  }
  return out;
}

function feed(rows: FrameRecord[], pageSize = rows.length): TimelineData {
  const buckets = new TimelineBuckets();
  for (let i = 0; i < rows.length; i += pageSize) buckets.push(rows.slice(i, i + pageSize));
  return buckets.result();
}

const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);

describe('TimelineBuckets', () => {
  it('counts messages and bytes each way per second, for the session and per connection; control rows are marks', () => {
    const rows = [
      control('a', T0 + 100, 'open'),
      frame('a', T0 + 200, 'send', 10),
      frame('a', T0 + 900, 'receive', 25),
      frame('b', T0 + 999.5, 'send', 3),
      frame('a', T0 + 1000, 'send', 7),
      frame('b', T0 + 3500, 'receive', 100),
      control('b', T0 + 3600, 'error'),
      control('a', T0 + 4200, 'close'),
    ];
    const data = feed(rows);
    expect(data.bucketMs).toBe(1000);
    expect([...data.all.times]).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000]);
    expect([...data.all.sentMessages]).toEqual([2, 1, 0, 0, 0]);
    expect([...data.all.receivedMessages]).toEqual([1, 0, 0, 1, 0]);
    expect([...data.all.sentBytes]).toEqual([13, 7, 0, 0, 0]);
    expect([...data.all.receivedBytes]).toEqual([25, 0, 0, 100, 0]);
    // Each connection from its first row to its last (a's close extends it to the 4 s bucket).
    expect([...data.byConnection.a.times]).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000, T0 + 4000]);
    expect([...data.byConnection.a.sentMessages]).toEqual([1, 1, 0, 0, 0]);
    expect([...data.byConnection.b.times]).toEqual([T0, T0 + 1000, T0 + 2000, T0 + 3000]);
    expect([...data.byConnection.b.receivedBytes]).toEqual([0, 0, 0, 100]);
    expect(data.marks).toEqual([
      { time: T0 + 100, connectionId: 'a', kind: 'open' },
      { time: T0 + 3600, connectionId: 'b', kind: 'error' },
      { time: T0 + 4200, connectionId: 'a', kind: 'close' },
    ]);
    expect(data.range).toEqual({ from: T0 + 100, to: T0 + 4200 });
    expect(data.totals).toEqual({ sentMessages: 3, receivedMessages: 2, sentBytes: 20, receivedBytes: 125 });
  });

  it('is empty before any row, and leaves out rows without a finite time', () => {
    const empty = new TimelineBuckets().result();
    expect(empty.all.times.length).toBe(0);
    expect(empty.range).toBeNull();
    expect(empty.marks).toEqual([]);
    const data = feed([frame('a', Number.NaN, 'send', 5), frame('a', T0, 'send', 5), frame('a', Infinity, 'send', 5)]);
    expect(data.totals.sentMessages).toBe(1);
    expect([...data.all.times]).toEqual([T0]);
  });

  it('coarsens through the steps as the span grows, and the merged buckets equal counting at that size', () => {
    // 5 hours: 18,000 s needs 10 s buckets (1,800).
    const rows = session(20_000, 5 * 3600_000);
    const data = feed(rows);
    expect(data.bucketMs).toBe(10_000);
    expect(data.all.times.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(nonEmpty(data.all, data.bucketMs)).toEqual(reference(rows, data.bucketMs));
    expect(nonEmpty(data.byConnection.c1, data.bucketMs)).toEqual(reference(rows, data.bucketMs, 'c1'));
    expect(sum(data.all.sentMessages) + sum(data.all.receivedMessages)).toBe(20_000);
    // The smallest step that fits: one step finer would need more than MAX_BUCKETS.
    const finer = BUCKET_STEPS_MS[BUCKET_STEPS_MS.indexOf(data.bucketMs) - 1];
    expect(Math.floor(data.range!.to / finer) - Math.floor(data.range!.from / finer) + 1).toBeGreaterThan(MAX_BUCKETS);
  });

  it('gives the same result fed in pages of 1, 7 and 64 rows, shuffled within pages, as in one page', () => {
    const rows = session(6_000, 3 * 3600_000, 5, 7);
    const whole = feed(rows);
    expect(whole.bucketMs).toBe(10_000);
    for (const pageSize of [1, 7, 64]) expect(feed(rows, pageSize)).toEqual(whole);
    const next = random(3);
    const shuffled: FrameRecord[] = [];
    for (let i = 0; i < rows.length; i += 64) {
      const page = rows.slice(i, i + 64);
      for (let k = page.length - 1; k > 0; k--) {
        const j = Math.floor(next() * (k + 1));
        [page[k], page[j]] = [page[j], page[k]];
      }
      shuffled.push(...page);
    }
    expect(feed(shuffled, 64)).toEqual(whole);
  });

  it('keeps the connections together under MAX_CELLS buckets by coarsening', () => {
    // 300 connections all living 2,000 s: 600,000 one-second cells would be too many.
    const rows: FrameRecord[] = [];
    for (let c = 0; c < 300; c++) rows.push(frame(`c${c}`, T0 + c, 'send', 1), frame(`c${c}`, T0 + 1_999_000 + c, 'receive', 2));
    const data = feed(rows, 100);
    const cells = Object.values(data.byConnection).reduce((n, s) => n + s.times.length, 0);
    expect(cells).toBeLessThanOrEqual(MAX_CELLS);
    expect(data.bucketMs).toBe(10_000);
    expect(nonEmpty(data.all, data.bucketMs)).toEqual(reference(rows, data.bucketMs));
    expect(feed(rows)).toEqual(data);
  });

  it('a row with a stray time (0) coarsens before any array grows: the span still fits MAX_BUCKETS', () => {
    const data = feed([frame('a', T0, 'send', 1), frame('a', 0, 'receive', 1), frame('b', T0 + 5, 'send', 1)]);
    expect(data.all.times.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(data.byConnection.a.times.length).toBeLessThanOrEqual(MAX_BUCKETS);
    expect(data.totals.sentMessages + data.totals.receivedMessages).toBe(3);
  });

  it('returns copies: rows fed later do not change a result already taken', () => {
    const buckets = new TimelineBuckets();
    buckets.push([frame('a', T0, 'send', 1)]);
    const first = buckets.result();
    buckets.push([frame('a', T0 + 10, 'send', 1)]);
    expect([...first.all.sentMessages]).toEqual([1]);
    expect([...buckets.result().all.sentMessages]).toEqual([2]);
  });

  it('takes a million rows on 50 connections over 8 hours quickly, in bounded memory', () => {
    const n = 1_000_000;
    const span = 8 * 3600_000;
    const buckets = new TimelineBuckets();
    const page: FrameRecord[] = [];
    const started = performance.now();
    for (let i = 0; i < n; i++) {
      page.push(frame(`c${i % 50}`, T0 + (i / n) * span, i % 2 ? 'send' : 'receive', 64));
      if (page.length === 2000) {
        buckets.push(page);
        page.length = 0;
      }
    }
    const data = buckets.result();
    const ms = performance.now() - started;
    expect(data.totals.sentMessages + data.totals.receivedMessages).toBe(n);
    expect(data.bucketMs).toBe(30_000);
    expect(data.all.times.length).toBeLessThanOrEqual(MAX_BUCKETS);
    // Generous for a shared CI machine (about 0.3 s here, generating the rows included).
    expect(ms).toBeLessThan(5_000);
  });
});
