/**
 * One pass over a session's rows that computes everything the panel's analysis views and `ws-inspector stats`
 * show: each frame is read once (FrameFacts) and fed to its connection's pairing, traffic stats and heartbeat
 * detector, and to the session's traffic stats. Incremental: push pages of rows in session order (`pos`) as they
 * are read from IndexedDB; payloads are not kept, so memory is bounded by the requests waiting for an answer, the
 * latencies (8 bytes each) and a few counters per connection.
 *
 *   const analysis = new SessionAnalysis({ decoderIds: decoders.inUse(connectionIds), onPair });
 *   for await (const page of pages) analysis.push(page);   // FrameRecord[] (or any SessionRow), session order
 *   analysis.finish();                                      // end of capture: waiting requests become unanswered
 *   analysis.result()                                       // SessionAnalysisResult (plain data, JSON-able)
 *   analysis.isHeartbeat(row)                               // for a "Hide heartbeats" filter
 *
 * Rows of one connection must come in seq order; rows of different connections may interleave in any way (the
 * session's gaps assume session order).
 */
import type { FrameRecord } from '../shared/records';
import type { FrameFacts, FrameReader } from './frame-facts';
import { HeartbeatDetector, type DetectedHeartbeat } from './heartbeats';
import type { LabelledLatencySummary, LatencySummary } from './latency';
import { createFrameReader, type PairPaths } from './pair-keys';
import { ConnectionPairing, type Pair, type PairingCounts, type PairingRow, type StreamItem, type UnansweredRequest } from './pairing';
import { TrafficStats, type TrafficStatsOptions, type TrafficSummary } from './stats';

/** The row fields analysis reads (a FrameRecord fits). */
export type SessionRow = PairingRow & Pick<FrameRecord, 'connectionId'>;

export interface SessionAnalysisOptions extends TrafficStatsOptions {
  /**
   * The decoder in use per connection (detected or the user's "Decode as"; ConnectionDecoders.inUse gives this
   * map). A connection missing here is read as generic JSON/text: no protocol ids, `{"type":…}` types.
   */
  decoderIds?: Readonly<Record<string, string | null>>;
  /** User-defined request↔response JSON paths, for every connection or per connection id. */
  pairPaths?: PairPaths | Readonly<Record<string, PairPaths>>;
  /** See PairingOptions (pairing.ts). */
  timeoutMs?: number;
  maxOutstanding?: number;
  onPair?: (pair: Pair) => void;
  onUnanswered?: (request: UnansweredRequest) => void;
  /** A stream's later items and its end (ConnectionPairing's onStreamItem). */
  onStreamItem?: (item: StreamItem) => void;
}

export interface LatencyFigures {
  overall: LatencySummary;
  /** Per request label (method, event, type), most pairs first. */
  byLabel: LabelledLatencySummary[];
}

export interface ConnectionAnalysis {
  connectionId: string;
  decoderId: string | null;
  traffic: TrafficSummary;
  latency: LatencyFigures;
  pairing: PairingCounts & { unansweredByLabel: Record<string, number> };
  heartbeats: DetectedHeartbeat[];
  heartbeatFrames: number;
}

export interface SessionAnalysisResult {
  session: TrafficSummary & { heartbeatFrames: number; pairs: number; unanswered: number };
  /** In the order their first row came. */
  connections: ConnectionAnalysis[];
}

interface PerConnection {
  decoderId: string | null;
  read: FrameReader;
  pairing: ConnectionPairing;
  traffic: TrafficStats;
  heartbeats: HeartbeatDetector;
}

function isPairPaths(value: unknown): value is PairPaths {
  return typeof value === 'object' && value !== null && typeof (value as PairPaths).request === 'string' && typeof (value as PairPaths).response === 'string';
}

export class SessionAnalysis {
  private readonly connections = new Map<string, PerConnection>();
  private readonly session: TrafficStats;

  constructor(private readonly options: SessionAnalysisOptions = {}) {
    this.session = new TrafficStats(options);
  }

  /** The decoder and reader of a connection, made at its first row. Throws JsonPathError on bad pairPaths. */
  private connection(connectionId: string): PerConnection {
    let c = this.connections.get(connectionId);
    if (c) return c;
    const decoderId = this.options.decoderIds?.[connectionId] ?? null;
    const paths = this.options.pairPaths;
    const pairPaths = isPairPaths(paths) ? paths : paths?.[connectionId];
    const { timeoutMs, maxOutstanding, onPair, onUnanswered, onStreamItem } = this.options;
    const read = createFrameReader(decoderId, { pairPaths });
    c = {
      decoderId,
      read,
      pairing: new ConnectionPairing(connectionId, read, { timeoutMs, maxOutstanding, onPair, onUnanswered, onStreamItem }),
      traffic: new TrafficStats(this.options),
      heartbeats: new HeartbeatDetector(),
    };
    this.connections.set(connectionId, c);
    return c;
  }

  /** Analyses a page of rows (session order; each connection's rows in seq order). */
  push(rows: Iterable<SessionRow>): void {
    for (const row of rows) {
      const c = this.connection(row.connectionId);
      if ((row.kind ?? 'frame') !== 'frame') {
        c.pairing.advance(row.time);
        c.traffic.add(row, '');
        this.session.add(row, '');
        continue;
      }
      const facts: FrameFacts = c.read(row);
      c.pairing.add(row, facts);
      c.traffic.add(row, facts.type);
      this.session.add(row, facts.type);
      c.heartbeats.observe(row, facts);
    }
  }

  /** End of the capture: requests still waiting become unanswered ('end'). */
  finish(): void {
    for (const c of this.connections.values()) c.pairing.finish();
  }

  /**
   * Whether a row is a heartbeat: by its protocol or a ping pattern, or a payload detected as a repeated
   * heartbeat of its connection (from the rows pushed so far). For a filter: rows need not come in order.
   */
  isHeartbeat(row: SessionRow): boolean {
    if ((row.kind ?? 'frame') !== 'frame') return false;
    const c = this.connections.get(row.connectionId);
    const decoderId = c?.decoderId ?? this.options.decoderIds?.[row.connectionId] ?? null;
    // A fresh reader: a row out of order must not disturb the pass's protocol state (MQTT reassembly).
    if (createFrameReader(decoderId)(row).heartbeat) return true;
    return c?.heartbeats.isRepeatedHeartbeat(row) ?? false;
  }

  /** The pairing of one connection (live views: outstanding(), advance(now)). */
  pairingOf(connectionId: string): ConnectionPairing | undefined {
    return this.connections.get(connectionId)?.pairing;
  }

  result(): SessionAnalysisResult {
    const connections: ConnectionAnalysis[] = [];
    let heartbeatFrames = 0;
    let pairs = 0;
    let unanswered = 0;
    for (const [connectionId, c] of this.connections) {
      const counts = c.pairing.counts;
      const frames = c.heartbeats.frameCount;
      heartbeatFrames += frames;
      pairs += counts.pairs;
      unanswered += counts.unanswered;
      connections.push({
        connectionId,
        decoderId: c.decoderId,
        traffic: c.traffic.summary(),
        latency: { overall: c.pairing.latency.summary(), byLabel: c.pairing.latency.byLabel() },
        pairing: { ...counts, unansweredByLabel: Object.fromEntries(c.pairing.unansweredByLabel) },
        heartbeats: c.heartbeats.heartbeats(),
        heartbeatFrames: frames,
      });
    }
    return { session: { ...this.session.summary(), heartbeatFrames, pairs, unanswered }, connections };
  }
}
