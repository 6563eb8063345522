import { describe, expect, it } from 'vitest';
import { TimelineBuckets } from '@/lib/analysis/timeline-buckets';
import { chartColumns, formatRate, marksNear, marksOf, readoutText, seriesOf, timelineSummary } from '@/lib/panel/timeline-chart';
import { formatClock } from '@/lib/panel/message-format';
import type { FrameRecord } from '@/lib/shared/records';

const T0 = new Date(2026, 0, 5, 12, 1, 0).getTime(); // local 12:01:00, a whole second

const frame = (connectionId: string, time: number, dir: 'send' | 'receive', size = 10): FrameRecord => ({ sessionId: 's', connectionId, seq: 0, time, kind: 'frame', dir, opcode: 1, size });
const control = (connectionId: string, time: number, kind: 'open' | 'close' | 'error'): FrameRecord => ({ sessionId: 's', connectionId, seq: 0, time, kind, size: 0 });

/** Two bursts on `a` (20 sent and 20 received each, 3 s apart), a quiet `b` that errors, `a` closed at the end. */
function twoBursts() {
  const buckets = new TimelineBuckets();
  const rows: FrameRecord[] = [control('a', T0 + 50, 'open'), control('b', T0 + 60, 'open')];
  for (const start of [T0 + 100, T0 + 3100]) for (let i = 0; i < 20; i++) rows.push(frame('a', start + i * 10, 'send'), frame('a', start + i * 10 + 5, 'receive', 30));
  rows.push(frame('b', T0 + 1500, 'send', 4), control('b', T0 + 1600, 'error'), control('a', T0 + 4200, 'close'));
  buckets.push(rows);
  return buckets.result();
}

describe('timeline chart helpers', () => {
  it('says the counts, bytes, peak and events of all connections or of one', () => {
    const data = twoBursts();
    expect(timelineSummary(data, null, 'All connections')).toBe(
      'All connections, 5.0 s: 41 sent (404 B), 40 received (1.17 KB); peak 40 msg/s at 12:01:00; 2 opens, 1 close, 1 error.',
    );
    expect(timelineSummary(data, 'a', 'Connection #1')).toBe('Connection #1, 5.0 s: 40 sent (400 B), 40 received (1.17 KB); peak 40 msg/s at 12:01:00; 1 open, 1 close.');
    expect(timelineSummary(data, 'b', 'Connection #2')).toBe('Connection #2, 2.0 s: 1 sent (4 B), 0 received (0 B); peak 1 msg/s at 12:01:01; 1 open, 1 error.');
    expect(timelineSummary(data, 'zzz', 'Connection #9')).toBe('Connection #9: no traffic yet.');
    expect(timelineSummary(null, null, 'All connections')).toBe('All connections: no traffic yet.');
  });

  it('states the step and averages the peak over it once buckets are coarser than a second', () => {
    const buckets = new TimelineBuckets();
    const rows: FrameRecord[] = [];
    for (let i = 0; i < 50; i++) rows.push(frame('a', T0 + i, 'send'));
    rows.push(frame('a', T0 + 3 * 3600_000, 'receive'));
    buckets.push(rows);
    const data = buckets.result();
    expect(data.bucketMs).toBe(10_000);
    expect(timelineSummary(data, null, 'All connections')).toMatch(/^All connections, 3 h 0 min in 10-s steps: 50 sent \(500 B\), 1 received \(10 B\); peak 5 msg\/s at 12:01:00\.$/);
    const [x, sentRate, , sentBytesRate] = chartColumns(data.all, data.bucketMs);
    expect([x[1] - x[0], sentRate[0], sentBytesRate[0]]).toEqual([10, 5, 50]);
  });

  it('gives uPlot rates per second, with a closing point so the last bucket has a width', () => {
    const data = twoBursts();
    const [x, sent, received, sentBytes, receivedBytes] = chartColumns(seriesOf(data, 'a')!, data.bucketMs);
    expect(x).toEqual([0, 1, 2, 3, 4, 5].map((s) => T0 / 1000 + s));
    expect(sent).toEqual([20, 0, 0, 20, 0, 0]);
    expect(received).toEqual([20, 0, 0, 20, 0, 0]);
    expect(sentBytes).toEqual([200, 0, 0, 200, 0, 0]);
    expect(receivedBytes).toEqual([600, 0, 0, 600, 0, 0]);
    expect(seriesOf(data, 'nope')).toBeUndefined();
    expect(marksOf(data, 'b').map((m) => m.kind)).toEqual(['open', 'error']);
  });

  it('reads out the bucket under the cursor and the marks near it', () => {
    const data = twoBursts();
    const columns = chartColumns(seriesOf(data, null)!, data.bucketMs);
    const toPx = (time: number) => (time - T0) / 10; // 10 ms a pixel
    const near = marksNear(data.marks, 160, toPx);
    expect(near.map((m) => m.kind)).toEqual(['error']);
    expect(readoutText(columns, 1, near, (id) => `#${id}`)).toBe(`12:01:01: ↑ 1 msg/s 4 B/s, ↓ 0 msg/s 0 B/s; #b error ${formatClock(T0 + 1600)}`);
    expect(readoutText(columns, columns[0].length - 1, [], String)).toBe('');
    expect([formatRate(40), formatRate(2.5), formatRate(0.125), formatRate(12.34), formatRate(150.4)]).toEqual(['40', '2.5', '0.13', '12.3', '150']);
  });
});
