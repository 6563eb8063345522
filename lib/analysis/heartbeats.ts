/**
 * Heartbeats of one connection: frames that only keep it alive. Two kinds:
 * - by protocol or pattern (FrameFacts.heartbeat): Socket.IO `2`/`3`, STOMP heart-beat EOLs, MQTT
 *   PINGREQ/PINGRESP, GraphQL-WS ping/pong/ka, SignalR Ping, SockJS `h`, `{"type":"ping"}`/`pong`/`heartbeat`…;
 * - by repetition: the same small payload (≤ 64 bytes) in one direction at least 4 times at a roughly regular
 *   interval (the intervals' coefficient of variation ≤ 0.35, mean ≥ 200 ms), whatever the protocol.
 *
 *   const beats = new HeartbeatDetector();
 *   beats.observe(row, facts);          // every frame of the connection, seq order
 *   beats.heartbeats()                  // DetectedHeartbeat[]: what was found, with count and interval
 *   beats.isRepeatedHeartbeat(row)      // the row's payload is a detected repeated heartbeat
 *
 * `isHeartbeat` (session-analysis.ts) joins both kinds into the predicate a "Hide heartbeats" filter uses.
 * Memory: at most 256 candidate payloads per connection (the ones seen fewer than 3 times are swept when full).
 */
import type { Direction } from '../shared/protocol/vocabulary';
import type { FrameFacts } from './frame-facts';
import type { PairingRow } from './pairing';

export interface DetectedHeartbeat {
  /** protocol: the protocol or a ping pattern says so; repeated: the same small payload at a regular interval. */
  kind: 'protocol' | 'repeated';
  dir: Direction;
  /** The message type (protocol) or the payload as text, binary as hex (repeated). */
  label: string;
  count: number;
  bytes: number;
  /** Mean time between two of them, ms (0 with fewer than two). */
  intervalMs: number;
  firstTime: number;
  lastTime: number;
}

export const HEARTBEAT_MAX_BYTES = 64;
const MIN_REPEATS = 4;
const MAX_VARIATION = 0.35;
const MIN_INTERVAL_MS = 200;
const MAX_CANDIDATES = 256;

interface Series {
  dir: Direction;
  label: string;
  count: number;
  bytes: number;
  firstTime: number;
  lastTime: number;
  /** Welford's running mean and sum of squared deviations of the intervals. */
  mean: number;
  m2: number;
}

function newSeries(dir: Direction, label: string, time: number): Series {
  return { dir, label, count: 0, bytes: 0, firstTime: time, lastTime: time, mean: 0, m2: 0 };
}

function observeSeries(s: Series, time: number, size: number): void {
  if (s.count > 0) {
    const interval = time - s.lastTime;
    const n = s.count; // intervals so far + 1
    const delta = interval - s.mean;
    s.mean += delta / n;
    s.m2 += delta * (interval - s.mean);
  }
  s.count++;
  s.bytes += size;
  s.lastTime = time;
}

function isRegular(s: Series): boolean {
  if (s.count < MIN_REPEATS || s.mean < MIN_INTERVAL_MS) return false;
  const intervals = s.count - 1;
  const sd = Math.sqrt(s.m2 / intervals);
  return sd / s.mean <= MAX_VARIATION;
}

/** The payload of a small frame as a map key: its text, or its bytes as hex. Undefined for frames too big. */
export function smallPayloadKey(row: PairingRow): string | undefined {
  const data = row.data;
  if (data === undefined) return undefined;
  if (typeof data === 'string') return data.length <= HEARTBEAT_MAX_BYTES ? `t${data}` : undefined;
  if (data.byteLength > HEARTBEAT_MAX_BYTES) return undefined;
  let hex = 'b';
  for (const b of new Uint8Array(data)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export class HeartbeatDetector {
  private readonly protocol = new Map<string, Series>();
  private readonly candidates = new Map<string, Series>();

  /** Counts a frame: under its type when its facts say heartbeat, else as a repeated-payload candidate. */
  observe(row: PairingRow, facts: FrameFacts): void {
    const dir: Direction = row.dir ?? 'receive';
    const size = row.size ?? 0;
    if (facts.heartbeat) {
      const key = `${dir}\u0000${facts.type}`;
      let s = this.protocol.get(key);
      if (!s) this.protocol.set(key, (s = newSeries(dir, facts.type, row.time)));
      observeSeries(s, row.time, size);
      return;
    }
    const payload = smallPayloadKey(row);
    if (payload === undefined) return;
    const key = `${dir}${payload}`;
    let s = this.candidates.get(key);
    if (!s) {
      if (this.candidates.size >= MAX_CANDIDATES) this.sweep();
      if (this.candidates.size >= MAX_CANDIDATES) return;
      const label = payload.startsWith('t') ? payload.slice(1) : `0x${payload.slice(1)}`;
      this.candidates.set(key, (s = newSeries(dir, label, row.time)));
    }
    observeSeries(s, row.time, size);
  }

  /** True when the row's payload is one of the detected repeated heartbeats (their direction too). */
  isRepeatedHeartbeat(row: PairingRow): boolean {
    const payload = smallPayloadKey(row);
    if (payload === undefined) return false;
    const s = this.candidates.get(`${row.dir ?? 'receive'}${payload}`);
    return s !== undefined && isRegular(s);
  }

  heartbeats(): DetectedHeartbeat[] {
    const out: DetectedHeartbeat[] = [];
    const report = (s: Series, kind: DetectedHeartbeat['kind']) =>
      out.push({ kind, dir: s.dir, label: s.label, count: s.count, bytes: s.bytes, intervalMs: s.count > 1 ? s.mean : 0, firstTime: s.firstTime, lastTime: s.lastTime });
    for (const s of this.protocol.values()) report(s, 'protocol');
    for (const s of this.candidates.values()) if (isRegular(s)) report(s, 'repeated');
    return out.sort((a, b) => b.count - a.count);
  }

  /** Heartbeat frames seen: protocol ones and those of detected repeated payloads. */
  get frameCount(): number {
    let n = 0;
    for (const s of this.protocol.values()) n += s.count;
    for (const s of this.candidates.values()) if (isRegular(s)) n += s.count;
    return n;
  }

  /** Drops the candidates seen fewer than 3 times, to make room (one-off small messages). */
  private sweep(): void {
    for (const [key, s] of this.candidates) if (s.count < 3) this.candidates.delete(key);
  }
}
