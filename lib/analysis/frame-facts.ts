/**
 * What analysis reads from one frame: its message type (for "top message types" and latency by type), whether it
 * is a heartbeat by its protocol or a well-known pattern, and the ids that make it a request, a response, or an
 * item or the end of a stream of responses.
 * The readers per protocol live in pair-keys-*.ts; pair-keys.ts picks one by decoder id.
 *
 * A reader parses the payload itself (JSON.parse, a few bytes of MQTT) instead of running the connection's full
 * decoder: decoders build a tree and previews for the detail pane, several times the cost, and a million-frame
 * session is read here in one pass.
 */
import type { FrameLike } from '../decoders/types';

/** One side of a request↔response exchange, as a frame announces it. */
export interface PairMark {
  /**
   * The id joining the two frames within the connection (e.g. a JSON-RPC id as JSON text, `puback:7` for MQTT).
   * A request waits under (its direction, key); a response answers the request waiting under (the other
   * direction, key).
   */
  key: string;
  /** Method, event or message type the exchange is counted under (the request's label is the pair's label). */
  label: string;
}

export interface FrameFacts {
  /** The message type for stats: a method, event or command name, or the protocol's message type. */
  type: string;
  /** A heartbeat by its protocol (Socket.IO ping, STOMP heart-beat, MQTT PINGREQ, …) or a `{"type":"ping"}` pattern. */
  heartbeat: boolean;
  /** Exchanges this frame opens. */
  requests?: PairMark[];
  /** Exchanges this frame answers. */
  responses?: PairMark[];
  /**
   * Items of a stream (GraphQL `next`/`data`, SignalR StreamItem): the first one answers its request like a
   * response; the request then stays open as a stream, and later items are tied to it (ConnectionPairing's
   * onStreamItem) until an end marker, an id reuse or the end of the connection.
   */
  items?: PairMark[];
  /** End markers of a stream (GraphQL `complete`/`error`, SignalR Completion): a response that also closes the stream. */
  ends?: PairMark[];
  /**
   * Marks that answer a waiting request from the other direction when there is one and open an exchange
   * otherwise (user-defined pairs whose request and response paths are the same, e.g. `$.id` ↔ `$.id`).
   */
  either?: PairMark[];
}

/** Reads the frames of one connection, in seq order (some protocols carry state from frame to frame). */
export type FrameReader = (frame: FrameLike) => FrameFacts;

export const OTHER_DIRECTION = { send: 'receive', receive: 'send' } as const;

/** Facts of a frame nothing could be read from. */
export function plainFacts(frame: FrameLike): FrameFacts {
  return { type: frame.data === undefined ? '(no payload)' : typeof frame.data === 'string' ? 'text' : 'binary', heartbeat: false };
}

/**
 * Exchanges that pair by order (a PINGREQ and the next PINGRESP): the n-th request a direction sends pairs with the
 * n-th response the other direction sends, through keys numbered per direction.
 */
export class OrderedKeys {
  private readonly counters = new Map<string, number>();

  private next(counter: string): number {
    const n = (this.counters.get(counter) ?? 0) + 1;
    this.counters.set(counter, n);
    return n;
  }

  request(dir: string, name: string, label = name): PairMark {
    return { key: `${name}#${this.next(`${dir}>${name}`)}`, label };
  }

  response(dir: string, name: string): PairMark {
    return { key: `${name}#${this.next(`${dir}<${name}`)}`, label: name };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The payload as text (binary frames when they are UTF-8), or undefined. Never throws. */
export function frameText(frame: FrameLike): string | undefined {
  if (typeof frame.data === 'string') return frame.data;
  if (frame.data === undefined) return undefined;
  try {
    return utf8.decode(new Uint8Array(frame.data));
  } catch {
    return undefined;
  }
}

/** JSON.parse that returns undefined for anything that is not JSON. */
export function tryJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  const first = text.charCodeAt(0);
  // Cheap refusal of most non-JSON text before paying for an exception.
  if (first !== 0x7b && first !== 0x5b && first !== 0x20 && first !== 0x0a && first !== 0x09 && first !== 0x0d) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys whose string value names a JSON message's type in the protocols people make up. */
const TYPE_KEYS = ['type', 'event', 'method', 'op', 'action', 'cmd', 'command', 'msgType', 'messageType', 'kind', 'e'];
const HEARTBEAT_WORDS = /^(ping|pong|heartbeat|heart-beat|hb|keepalive|keep-alive|keep_alive)$/i;

/** The type of a JSON message without a known protocol: its `type`/`event`/`method`/`op`… value. */
export function genericJsonType(value: unknown): string | undefined {
  if (!isObject(value)) return Array.isArray(value) ? 'JSON array' : undefined;
  for (const key of TYPE_KEYS) {
    const v = value[key];
    if (typeof v === 'string' && v.length > 0 && v.length <= 80) return v;
    if (typeof v === 'number' && key === 'op') return `op ${v}`;
  }
  return 'JSON object';
}

/**
 * Heartbeat patterns any protocol may use: `{"type":"ping"}` (also `event`/`op`/`action`… and `pong`,
 * `heartbeat`, `keepalive`), `{"ping": 1700000000}` and a bare `ping`/`pong` text.
 */
export function isHeartbeatPattern(text: string | undefined, value: unknown): boolean {
  if (text === undefined || text.length > 256) return false;
  if (HEARTBEAT_WORDS.test(text.trim())) return true;
  if (!isObject(value)) return false;
  for (const key of TYPE_KEYS) {
    const v = value[key];
    if (typeof v === 'string' && HEARTBEAT_WORDS.test(v)) return true;
  }
  const keys = Object.keys(value);
  return keys.length === 1 && HEARTBEAT_WORDS.test(keys[0]);
}

/** Facts of a frame read as generic JSON (or text): type by the usual keys, heartbeat by pattern. */
export function genericFacts(frame: FrameLike): FrameFacts {
  const text = frameText(frame);
  if (text === undefined) return plainFacts(frame);
  const value = tryJson(text);
  const type = genericJsonType(value) ?? (typeof frame.data === 'string' ? 'text' : 'binary');
  return { type, heartbeat: isHeartbeatPattern(text, value) };
}
