/**
 * The traffic timeline's data: messages and bytes per time bucket, sent and received, and the connections'
 * opens, closes and errors as marks, built incrementally from a session's rows (pure; fed in pages like the
 * grid's). To be built (#13): the interface the worker and the chart share.
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

export interface TimelineData {
  bucketMs: number;
  /** All connections of the session. */
  all: TimelineSeries;
  /** Per connection id. */
  byConnection: Record<string, TimelineSeries>;
  marks: TimelineMark[];
}

export class TimelineBuckets {
  /** Adds rows (any order within a page; pages in session order). */
  push(rows: Iterable<FrameRecord>): void {
    for (const row of rows) void row;
  }

  result(): TimelineData {
    const empty = (): TimelineSeries => ({ times: new Float64Array(0), sentMessages: new Float64Array(0), receivedMessages: new Float64Array(0), sentBytes: new Float64Array(0), receivedBytes: new Float64Array(0) });
    return { bucketMs: 1000, all: empty(), byConnection: {}, marks: [] };
  }
}
