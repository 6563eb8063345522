/**
 * Request↔response pairing for one connection, incremental: feed its frames in seq order, in chunks of any size
 * (a million-frame session is paged from IndexedDB), and pairs come out as their responses arrive. Memory is
 * bounded by the requests still waiting and the streams still open (together capped, oldest dropped and counted)
 * plus the latencies (8 bytes each).
 *
 *   const pairing = new ConnectionPairing(connectionId, createFrameReader(decoderId), { onPair, onUnanswered });
 *   pairing.push(rows);            // any rows of the connection, seq order; open/close/error rows only move the clock
 *   pairing.finish();              // end of capture: what still waits is unanswered ('end')
 *   pairing.latency.summary() / .byLabel()   // p50, p95, p99, max, count (lib/analysis/latency.ts)
 *   pairing.counts                 // { pairs, unanswered, dropped, outstanding, streams, streamItems }
 *
 * A request waits under (its direction, key); a response from the other direction with the same key answers it,
 * so servers' requests (JSON-RPC both ways, MQTT server PUBLISH, WAMP INVOCATION) pair too. A request still waiting
 * `timeoutMs` after it was sent (by the times of later rows, or `advance(now)` for a live view) is unanswered
 * ('timeout'); an id reused before its answer makes the earlier request unanswered ('superseded'). Sends that
 * never left (status dropped, refused, blocked) open nothing.
 *
 * Streams (GraphQL subscriptions, SignalR StreamInvocation): a frame's `items` answer like responses, but the
 * request stays open as a stream after its first item; every later item is reported to `onStreamItem` with its
 * index (the first item, the pair, is 1) and its time since the request, and so is the end marker (`ends`: GraphQL
 * `complete`/`error`, SignalR Completion) with `end: true`, which closes the stream. An end marker that comes first
 * is a plain response. A stream was answered, so it never times out and is never unanswered; it closes at its end
 * marker, when its id opens a new request (a new exchange: the stream's later frames cannot be told from the new
 * one's), or at `finish()` (the connection ended), silently in the last two cases. Latency statistics and `pairs`
 * count the first response only: a subscription's later items measure the server's schedule, not its latency.
 */
import type { FrameLike } from '../decoders/types';
import type { Direction } from '../shared/protocol/vocabulary';
import type { FrameRecord } from '../shared/records';
import { OTHER_DIRECTION, type FrameFacts, type FrameReader, type PairMark } from './frame-facts';
import { LatencyRecorder } from './latency';

/** The row fields pairing reads (a FrameRecord fits). */
export type PairingRow = FrameLike & Pick<FrameRecord, 'seq' | 'time'> & Partial<Pick<FrameRecord, 'status' | 'size'>>;

export interface Pair {
  connectionId: string;
  requestSeq: number;
  responseSeq: number;
  requestTime: number;
  responseTime: number;
  /** responseTime − requestTime, milliseconds. */
  latencyMs: number;
  /** The request's method, event or type (e.g. the JSON-RPC method, `PUBLISH qos1`). */
  label: string;
  /** Who asked: 'send' for the page's requests, 'receive' for the server's. */
  requestDir: Direction;
}

/** A later answer of a stream (see the module comment): item 2, 3, … of the request, or its end marker. */
export interface StreamItem {
  connectionId: string;
  requestSeq: number;
  itemSeq: number;
  requestTime: number;
  itemTime: number;
  /** itemTime − requestTime, milliseconds. */
  sinceRequestMs: number;
  /** The answer's place in the stream: the first answer (the pair's response) is 1, so these count from 2. */
  index: number;
  /** The request's label (as its pair's). */
  label: string;
  requestDir: Direction;
  /** The end marker (GraphQL complete/error, SignalR Completion): the stream is closed. */
  end: boolean;
}

export interface UnansweredRequest {
  connectionId: string;
  requestSeq: number;
  requestTime: number;
  label: string;
  requestDir: Direction;
  /** timeout: nothing within timeoutMs; end: nothing by the end of the capture; superseded: its id was reused first. */
  reason: 'timeout' | 'end' | 'superseded';
}

export interface PairingOptions {
  /** A request with no answer this long after it was sent is unanswered. Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Requests kept waiting plus streams kept open, at most; beyond it the oldest open stream is dropped, or when
   * none is open the oldest waiting request (counted in `counts.dropped`). Default 100 000.
   */
  maxOutstanding?: number;
  onPair?: (pair: Pair) => void;
  onUnanswered?: (request: UnansweredRequest) => void;
  /** A stream's later items and its end marker (see StreamItem). */
  onStreamItem?: (item: StreamItem) => void;
}

export interface PairingCounts {
  pairs: number;
  unanswered: number;
  /**
   * Dropped over maxOutstanding: waiting requests (neither paired nor counted unanswered) and open streams (paired;
   * their later items are not tied to them).
   */
  dropped: number;
  /** Requests waiting now (open streams not included: they were answered and do not time out). */
  outstanding: number;
  /** Streams open now. */
  streams: number;
  /** Later items of streams reported so far, end markers included (first items are counted in `pairs`). */
  streamItems: number;
}

interface Waiting {
  seq: number;
  time: number;
  label: string;
  dir: Direction;
}

interface OpenStream extends Waiting {
  /** Answers so far (the first item is 1). */
  answers: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTSTANDING = 100_000;

export class ConnectionPairing {
  readonly latency = new LatencyRecorder();
  /** Unanswered requests by label (the request's), for "count, unanswered" per method. */
  readonly unansweredByLabel = new Map<string, number>();
  private readonly waiting = new Map<string, Waiting>();
  /** Answered requests whose stream is open, by the same (direction, key) id, oldest first. */
  private readonly streams = new Map<string, OpenStream>();
  private readonly timeoutMs: number;
  private readonly maxOutstanding: number;
  private pairs = 0;
  private unanswered = 0;
  private dropped = 0;
  private streamItems = 0;
  /** No waiting request can time out before this time (the oldest one's deadline when last looked at). */
  private nextDeadline = Infinity;

  constructor(
    readonly connectionId: string,
    private readonly reader: FrameReader,
    private readonly options: PairingOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxOutstanding = options.maxOutstanding ?? DEFAULT_MAX_OUTSTANDING;
  }

  get counts(): PairingCounts {
    return { pairs: this.pairs, unanswered: this.unanswered, dropped: this.dropped, outstanding: this.waiting.size, streams: this.streams.size, streamItems: this.streamItems };
  }

  /** Reads and pairs a chunk of the connection's rows (seq order, continuing the previous chunk). */
  push(rows: Iterable<PairingRow>): void {
    for (const row of rows) {
      if ((row.kind ?? 'frame') !== 'frame') this.advance(row.time);
      else this.add(row, this.reader(row));
    }
  }

  /** Pairs one frame whose facts were already read (a caller reading each frame once for stats and pairing). */
  add(row: PairingRow, facts: FrameFacts): void {
    this.advance(row.time);
    if (row.dir === 'send' && (row.status ?? 'sent') !== 'sent') return;
    const dir: Direction = row.dir ?? 'receive';
    const other = OTHER_DIRECTION[dir];
    if (facts.responses) for (const mark of facts.responses) this.answer(other, mark, row, false);
    if (facts.items) for (const mark of facts.items) if (!this.answer(other, mark, row, true)) this.streamItem(other, mark, row, false);
    if (facts.ends) for (const mark of facts.ends) if (!this.answer(other, mark, row, false)) this.streamItem(other, mark, row, true);
    if (facts.either) {
      for (const mark of facts.either) if (!this.answer(other, mark, row, false)) this.open(dir, mark, row);
    }
    if (facts.requests) for (const mark of facts.requests) this.open(dir, mark, row);
  }

  /** Moves the clock: requests older than timeoutMs at `now` become unanswered ('timeout'). */
  advance(now: number): void {
    if (now <= this.nextDeadline) return;
    for (const [key, w] of this.waiting) {
      const deadline = w.time + this.timeoutMs;
      if (deadline >= now) {
        this.nextDeadline = deadline;
        return;
      }
      this.waiting.delete(key);
      this.giveUp(w, 'timeout');
    }
    this.nextDeadline = Infinity;
  }

  /** End of the capture: every request still waiting is unanswered ('end'); open streams close. */
  finish(): void {
    for (const w of this.waiting.values()) this.giveUp(w, 'end');
    this.waiting.clear();
    this.streams.clear();
    this.nextDeadline = Infinity;
  }

  /** Requests waiting now, oldest first (a live view can flag them before they time out). */
  *outstanding(): Generator<{ requestSeq: number; requestTime: number; label: string; requestDir: Direction }> {
    for (const w of this.waiting.values()) yield { requestSeq: w.seq, requestTime: w.time, label: w.label, requestDir: w.dir };
  }

  private open(dir: Direction, mark: PairMark, row: PairingRow): void {
    const id = `${dir}\u0000${mark.key}`;
    const earlier = this.waiting.get(id);
    if (earlier) {
      this.waiting.delete(id);
      this.giveUp(earlier, 'superseded');
    } else if (this.streams.delete(id)) {
      // The id names a new exchange now: its stream is over.
    } else if (this.waiting.size + this.streams.size >= this.maxOutstanding) {
      // An open stream goes first: it was paired already, only its later items are lost.
      const from = this.streams.size > 0 ? this.streams : this.waiting;
      from.delete(from.keys().next().value!);
      this.dropped++;
    }
    this.waiting.set(id, { seq: row.seq, time: row.time, label: mark.label, dir });
    if (this.nextDeadline === Infinity) this.nextDeadline = row.time + this.timeoutMs;
  }

  /** Answers the request waiting under (requestDir, key), which stays open as a stream if `stream`; false when none waits. */
  private answer(requestDir: Direction, mark: PairMark, row: PairingRow, stream: boolean): boolean {
    const id = `${requestDir}\u0000${mark.key}`;
    const w = this.waiting.get(id);
    if (!w) return false;
    this.waiting.delete(id);
    if (stream) this.streams.set(id, { ...w, answers: 1 });
    const latencyMs = row.time - w.time;
    this.pairs++;
    this.latency.add(w.label, latencyMs);
    this.options.onPair?.({ connectionId: this.connectionId, requestSeq: w.seq, responseSeq: row.seq, requestTime: w.time, responseTime: row.time, latencyMs, label: w.label, requestDir: w.dir });
    return true;
  }

  /** A later item (or the end) of the stream open under (requestDir, key); nothing when none is open. */
  private streamItem(requestDir: Direction, mark: PairMark, row: PairingRow, end: boolean): void {
    const id = `${requestDir}\u0000${mark.key}`;
    const s = this.streams.get(id);
    if (!s) return;
    s.answers++;
    if (end) this.streams.delete(id);
    this.streamItems++;
    this.options.onStreamItem?.({ connectionId: this.connectionId, requestSeq: s.seq, itemSeq: row.seq, requestTime: s.time, itemTime: row.time, sinceRequestMs: row.time - s.time, index: s.answers, label: s.label, requestDir: s.dir, end });
  }

  private giveUp(w: Waiting, reason: UnansweredRequest['reason']): void {
    this.unanswered++;
    // Labels come from the protocol (a bounded set of methods); past 1000 the rest count together.
    const label = this.unansweredByLabel.has(w.label) || this.unansweredByLabel.size < 1000 ? w.label : '(other)';
    this.unansweredByLabel.set(label, (this.unansweredByLabel.get(label) ?? 0) + 1);
    this.options.onUnanswered?.({ connectionId: this.connectionId, requestSeq: w.seq, requestTime: w.time, label: w.label, requestDir: w.dir, reason });
  }
}
