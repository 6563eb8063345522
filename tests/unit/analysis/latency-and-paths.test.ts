/** Exact latency percentiles, the id paths of user-defined pairs, and pairing's bounds (cap, superseded, clock). */
import { describe, expect, it } from 'vitest';
import { LatencyRecorder, percentile } from '../../../lib/analysis/latency';
import { JsonPathError, parseIdPath, readJsonPath } from '../../../lib/analysis/json-path';
import { createFrameReader } from '../../../lib/analysis/pair-keys';
import { ConnectionPairing, type UnansweredRequest } from '../../../lib/analysis/pairing';
import { Conversation } from './rows';
import { pairRows } from './pairing-helpers';

describe('latency percentiles', () => {
  it('are nearest-rank over every latency, overall and per label', () => {
    const latencies = new LatencyRecorder();
    for (let i = 1; i <= 100; i++) latencies.add(i % 4 === 0 ? 'slow' : 'fast', i);
    expect(latencies.summary()).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, min: 1, mean: 50.5 });
    const [fast, slow] = latencies.byLabel();
    expect(fast).toMatchObject({ label: 'fast', count: 75, max: 99, min: 1 });
    // slow: 4, 8, …, 100 (25 values): p50 is the 13th (52), p95 the 24th (96), p99 the 25th (100).
    expect(slow).toMatchObject({ label: 'slow', count: 25, p50: 52, p95: 96, p99: 100, max: 100 });
  });

  it('handles none, one, and unsorted input', () => {
    expect(new LatencyRecorder().summary()).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0, min: 0, mean: 0 });
    const one = new LatencyRecorder();
    one.add('x', 7.25);
    expect(one.summary()).toMatchObject({ count: 1, p50: 7.25, p99: 7.25, max: 7.25 });
    expect(percentile(Float64Array.from([1, 2, 3, 4]), 50)).toBe(2);
    const r = new LatencyRecorder();
    for (const v of [30, 10, 20, 1000, 5]) r.add('m', v);
    expect(r.summary()).toMatchObject({ p50: 20, max: 1000, min: 5 });
  });

  it('keeps at most maxLabels labels apart, the rest under (other)', () => {
    const r = new LatencyRecorder(2);
    r.add('a', 1);
    r.add('b', 2);
    r.add('c', 3);
    r.add('d', 4);
    r.add('a', 5);
    expect(r.byLabel().map((l) => [l.label, l.count])).toEqual([['(other)', 2], ['a', 2], ['b', 1]]);
  });
});

describe('id paths', () => {
  it('read one value by dots, indexes and quoted keys', () => {
    const value = { a: { 'x y': [{ id: 7 }] }, list: [1, 2] };
    expect(readJsonPath(parseIdPath('$.a["x y"][0].id'), value)).toBe(7);
    expect(readJsonPath(parseIdPath("$['a']['x y'][0]['id']"), value)).toBe(7);
    expect(readJsonPath(parseIdPath('$.list[1]'), value)).toBe(2);
    expect(readJsonPath(parseIdPath('$.list[5]'), value)).toBeUndefined();
    expect(readJsonPath(parseIdPath('$.a.missing.id'), value)).toBeUndefined();
    expect(readJsonPath(parseIdPath('$.list.length'), value)).toBeUndefined();
    expect(readJsonPath(parseIdPath('$.toString'), {})).toBeUndefined();
  });

  it('refuse bad syntax and wildcards', () => {
    expect(() => parseIdPath('id')).toThrow(JsonPathError);
    expect(() => parseIdPath('$.items[*].id')).toThrow(/names many values/);
    expect(() => createFrameReader(null, { pairPaths: { request: '$.id', response: 'replyTo' } })).toThrow(JsonPathError);
  });
});

describe('pairing bounds', () => {
  it('caps the waiting requests, dropping the oldest and counting it', () => {
    const c = new Conversation();
    for (let id = 1; id <= 5; id++) c.send(`{"jsonrpc":"2.0","method":"m${id}","id":${id}}`, 1);
    c.receive('{"jsonrpc":"2.0","result":0,"id":1}', 1);
    c.receive('{"jsonrpc":"2.0","result":0,"id":5}', 1);
    const { pairs, unanswered, pairing } = pairRows('json-rpc', c.rows, { maxOutstanding: 3 });
    expect(pairs).toEqual([[5, 7, 'm5', 2]]);
    expect(unanswered).toEqual([
      [3, 'm3', 'end'],
      [4, 'm4', 'end'],
    ]);
    expect(pairing.counts).toEqual({ pairs: 1, unanswered: 2, dropped: 2, outstanding: 0, streams: 0, streamItems: 0 });
  });

  it('makes a request whose id is reused before its answer unanswered (superseded)', () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","method":"a","id":1}');
    c.send('{"jsonrpc":"2.0","method":"b","id":1}', 5);
    c.receive('{"jsonrpc":"2.0","result":0,"id":1}', 5);
    const { pairs, unanswered } = pairRows('json-rpc', c.rows);
    expect(pairs).toEqual([[2, 3, 'b', 5]]);
    expect(unanswered).toEqual([[1, 'a', 'superseded']]);
  });

  it('times out by the clock of later rows (open/close too) and by advance(now) in a live view', () => {
    const c = new Conversation();
    c.send('{"jsonrpc":"2.0","method":"a","id":1}');
    c.control('close', 2_000);
    const out: UnansweredRequest[] = [];
    const pairing = new ConnectionPairing('c1', createFrameReader('json-rpc'), { timeoutMs: 1_000, onUnanswered: (u) => out.push(u) });
    pairing.push(c.rows);
    expect(out.map((u) => u.reason)).toEqual(['timeout']);
    const live = new ConnectionPairing('c1', createFrameReader('json-rpc'), { timeoutMs: 1_000 });
    live.push(c.rows.slice(0, 1));
    expect([...live.outstanding()]).toEqual([{ requestSeq: 1, requestTime: c.rows[0].time, label: 'a', requestDir: 'send' }]);
    live.advance(c.rows[0].time + 999);
    expect(live.counts.outstanding).toBe(1);
    live.advance(c.rows[0].time + 1_001);
    expect(live.counts).toMatchObject({ outstanding: 0, unanswered: 1 });
  });
});
