/**
 * Traffic figures of a connection or a session, incremental: frames and bytes each way, rates over the active span
 * (first to last frame), a log2 size histogram, the top message types, the longest silences, and control rows.
 * Memory is constant: counters, one map of types (capped) and the N longest gaps.
 *
 *   const stats = new TrafficStats();
 *   stats.add(row, facts.type);       // every row in order (seq order for a connection, session order for a session)
 *   stats.summary()                   // TrafficSummary: plain data (JSON-able)
 */
import type { FrameRecord } from '../shared/records';
import type { PairingRow } from './pairing';

export interface DirectionTotals {
  frames: number;
  bytes: number;
}

export interface SizeBucket {
  /** Sizes from `minBytes` to `maxBytes` inclusive (bucket 0 is exactly 0 bytes; then 1, 2–3, 4–7, 8–15, …). */
  minBytes: number;
  maxBytes: number;
  count: number;
}

export interface TypeCount {
  type: string;
  count: number;
  bytes: number;
}

export interface Gap {
  /** When the silence began: the time of the frame before it. */
  start: number;
  durationMs: number;
  /** The frames on either side (connection and seq), to jump to. */
  before: { connectionId?: string; seq: number };
  after: { connectionId?: string; seq: number };
}

export interface Rates {
  framesPerSecond: number;
  bytesPerSecond: number;
  sentFramesPerSecond: number;
  receivedFramesPerSecond: number;
  sentBytesPerSecond: number;
  receivedBytesPerSecond: number;
}

export interface TrafficSummary {
  frames: number;
  bytes: number;
  sent: DirectionTotals;
  received: DirectionTotals;
  /** Time of the first and last frame (null before any frame). */
  firstTime: number | null;
  lastTime: number | null;
  /** lastTime − firstTime, ms. */
  activeSpanMs: number;
  /** Per second over the active span; null when the span is under 1 ms (a single frame has no rate). */
  rates: Rates | null;
  sizeHistogram: SizeBucket[];
  /** Most frequent message types first (at most `topTypes`). */
  topTypes: TypeCount[];
  /** Distinct types seen (types past the cap count as "(other)"). */
  typeCount: number;
  /** The longest silences between two frames, longest first. */
  gaps: Gap[];
  opens: number;
  closes: number;
  errors: number;
}

export interface TrafficStatsOptions {
  /** How many top types summary() lists. Default 10. */
  topTypes?: number;
  /** How many gaps are kept. Default 5. */
  gaps?: number;
  /** Distinct types counted apart; later new ones go under "(other)". Default 1000. */
  maxTypes?: number;
}

export type StatsRow = PairingRow & Partial<Pick<FrameRecord, 'connectionId'>>;

/** log2 bucket of a size: 0 for 0 bytes, k for 2^(k−1) ≤ size < 2^k. */
export function sizeBucket(size: number): number {
  return size <= 0 ? 0 : Math.min(52, Math.floor(Math.log2(size)) + 1);
}

export class TrafficStats {
  private readonly sent: DirectionTotals = { frames: 0, bytes: 0 };
  private readonly received: DirectionTotals = { frames: 0, bytes: 0 };
  private readonly histogram: number[] = [];
  private readonly types = new Map<string, TypeCount>();
  private readonly gaps: Gap[] = [];
  private firstTime: number | null = null;
  private lastTime: number | null = null;
  private last: { connectionId?: string; seq: number } | null = null;
  private opens = 0;
  private closes = 0;
  private errors = 0;
  private readonly topTypes: number;
  private readonly maxGaps: number;
  private readonly maxTypes: number;

  constructor(options: TrafficStatsOptions = {}) {
    this.topTypes = options.topTypes ?? 10;
    this.maxGaps = options.gaps ?? 5;
    this.maxTypes = options.maxTypes ?? 1000;
  }

  /** Counts a row; `type` is its message type (FrameFacts.type) for frames. */
  add(row: StatsRow, type: string): void {
    const kind = row.kind ?? 'frame';
    if (kind !== 'frame') {
      if (kind === 'open') this.opens++;
      else if (kind === 'close') this.closes++;
      else this.errors++;
      return;
    }
    const size = row.size ?? 0;
    const totals = row.dir === 'send' ? this.sent : this.received;
    totals.frames++;
    totals.bytes += size;
    const bucket = sizeBucket(size);
    while (this.histogram.length <= bucket) this.histogram.push(0);
    this.histogram[bucket]++;
    let counted = this.types.get(type);
    if (!counted) {
      const key = this.types.size >= this.maxTypes ? '(other)' : type;
      counted = this.types.get(key);
      if (!counted) this.types.set(key, (counted = { type: key, count: 0, bytes: 0 }));
    }
    counted.count++;
    counted.bytes += size;
    const here = { connectionId: row.connectionId, seq: row.seq };
    if (this.lastTime !== null && this.last) this.gap(this.lastTime, row.time - this.lastTime, this.last, here);
    if (this.firstTime === null) this.firstTime = row.time;
    // Times are non-decreasing within a connection; across a session's merge, a clock step back is not a gap.
    this.lastTime = this.lastTime === null ? row.time : Math.max(this.lastTime, row.time);
    this.last = here;
  }

  private gap(start: number, durationMs: number, before: Gap['before'], after: Gap['after']): void {
    if (this.maxGaps === 0 || durationMs <= 0) return;
    const gaps = this.gaps;
    if (gaps.length === this.maxGaps && durationMs <= gaps[gaps.length - 1].durationMs) return;
    let at = gaps.length;
    while (at > 0 && gaps[at - 1].durationMs < durationMs) at--;
    gaps.splice(at, 0, { start, durationMs, before, after });
    if (gaps.length > this.maxGaps) gaps.pop();
  }

  summary(): TrafficSummary {
    const frames = this.sent.frames + this.received.frames;
    const bytes = this.sent.bytes + this.received.bytes;
    const span = this.firstTime !== null && this.lastTime !== null ? this.lastTime - this.firstTime : 0;
    const perSecond = (n: number) => n / (span / 1000);
    const rates: Rates | null =
      span >= 1
        ? {
            framesPerSecond: perSecond(frames),
            bytesPerSecond: perSecond(bytes),
            sentFramesPerSecond: perSecond(this.sent.frames),
            receivedFramesPerSecond: perSecond(this.received.frames),
            sentBytesPerSecond: perSecond(this.sent.bytes),
            receivedBytesPerSecond: perSecond(this.received.bytes),
          }
        : null;
    const sizeHistogram: SizeBucket[] = [];
    this.histogram.forEach((count, k) => {
      if (count > 0) sizeHistogram.push({ minBytes: k === 0 ? 0 : 2 ** (k - 1), maxBytes: k === 0 ? 0 : 2 ** k - 1, count });
    });
    const topTypes = [...this.types.values()]
      .sort((a, b) => b.count - a.count || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
      .slice(0, this.topTypes)
      .map((t) => ({ ...t }));
    return {
      frames,
      bytes,
      sent: { ...this.sent },
      received: { ...this.received },
      firstTime: this.firstTime,
      lastTime: this.lastTime,
      activeSpanMs: span,
      rates,
      sizeHistogram,
      topTypes,
      typeCount: this.types.size,
      gaps: this.gaps.map((g) => ({ ...g })),
      opens: this.opens,
      closes: this.closes,
      errors: this.errors,
    };
  }
}
