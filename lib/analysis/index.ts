/**
 * lib/analysis: reading a conversation (pure; imports lib/shared and lib/decoders only). The public entry of
 * pairing and stats; diff and copy as code have their own modules (json-diff.ts, copy-as-code.ts).
 *
 * - session-analysis.ts: SessionAnalysis, one pass over a session's rows: pairing, latency, traffic stats,
 *   heartbeats, per connection and for the session.
 * - pairing.ts: ConnectionPairing (one connection), Pair, UnansweredRequest, StreamItem (a stream's later items).
 * - pair-keys.ts: createFrameReader(decoderId, { pairPaths }) → FrameFacts of a frame (type, heartbeat, ids).
 * - latency.ts: LatencyRecorder, exact nearest-rank percentiles.
 * - stats.ts: TrafficStats; heartbeats.ts: HeartbeatDetector; json-path.ts: reading an id by a JSON path (the
 *   syntax of json-diff.ts's parseJsonPath).
 */
export { SessionAnalysis, type ConnectionAnalysis, type LatencyFigures, type SessionAnalysisOptions, type SessionAnalysisResult, type SessionRow } from './session-analysis';
export { ConnectionPairing, DEFAULT_MAX_OUTSTANDING, DEFAULT_TIMEOUT_MS, type Pair, type PairingCounts, type PairingOptions, type PairingRow, type StreamItem, type UnansweredRequest } from './pairing';
export { PAIRING_DECODERS, createFrameReader, type FrameReaderOptions, type PairPaths } from './pair-keys';
export type { FrameFacts, FrameReader, PairMark } from './frame-facts';
export { LatencyRecorder, percentile, type LabelledLatencySummary, type LatencySummary } from './latency';
export { TrafficStats, sizeBucket, type Gap, type Rates, type SizeBucket, type TrafficStatsOptions, type TrafficSummary, type TypeCount } from './stats';
export { HEARTBEAT_MAX_BYTES, HeartbeatDetector, type DetectedHeartbeat } from './heartbeats';
export { JsonPathError, parseIdPath, readJsonPath, type JsonPath } from './json-path';
