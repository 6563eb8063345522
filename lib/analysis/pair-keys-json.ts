/**
 * Request↔response ids of the JSON protocols: JSON-RPC 2.0 `id` (and pub/sub subscription ids), GraphQL over
 * WebSocket operation `id`, SignalR `invocationId` (JSON and MessagePack) and WAMP request ids (JSON and
 * MessagePack). Each reader is a FrameReader (see frame-facts.ts); the wire formats are the ones the decoders of
 * the same name read.
 */
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { operationOf } from '../decoders/graphql-ws';
import { signalRMessagePackBodies } from '../decoders/signalr';
import type { FrameLike } from '../decoders/types';
import type { Direction } from '../shared/protocol/vocabulary';
import { OTHER_DIRECTION, OrderedKeys, frameText, genericJsonType, isHeartbeatPattern, isObject, plainFacts, tryJson, type FrameFacts, type FrameReader, type PairMark } from './frame-facts';

/** Subscribe methods of JSON-RPC pub/sub: eth_subscribe, Solana's accountSubscribe, Polkadot's chain_subscribeNewHeads. */
const SUBSCRIBE_METHOD = /subscribe/i;
const UNSUBSCRIBE_METHOD = /unsubscribe/i;
/** Subscriptions (and subscribe calls awaiting their id) remembered per connection at most; the oldest are forgotten. */
const MAX_SUBSCRIPTIONS = 10_000;

/**
 * JSON-RPC pub/sub (geth's "Real-time Events", Solana and Polkadot alike): a subscribe call's result is a
 * subscription id, and each notification names it in `params.subscription`. The id ties every notification to the
 * call, so the result is a stream's first item and the notifications its later items; an unsubscribe naming the id
 * unties it (its stream closes when the call's id is reused or the connection ends). Keys are per direction, as
 * pairing's: `dir` of the frame that carries the id.
 */
class JsonRpcSubscriptions {
  /** `${request dir}\0${call id}` → the call's method, until its result. */
  private readonly calls = new Map<string, string>();
  /** `${notifying dir}\0${subscription id}` → the call's key (its id as JSON). */
  private readonly subscriptions = new Map<string, string>();

  private static remember(map: Map<string, string>, key: string, value: string): void {
    if (map.size >= MAX_SUBSCRIPTIONS) map.delete(map.keys().next().value!);
    map.set(key, value);
  }

  /** A call: remembered when it subscribes; an unsubscribe forgets the subscription it names. */
  call(dir: Direction, method: string, key: string, params: unknown): void {
    if (UNSUBSCRIBE_METHOD.test(method)) {
      const id = Array.isArray(params) ? params[0] : undefined;
      if (typeof id === 'string' || typeof id === 'number') this.subscriptions.delete(`${OTHER_DIRECTION[dir]}\u0000${JSON.stringify(id)}`);
    } else if (SUBSCRIBE_METHOD.test(method)) JsonRpcSubscriptions.remember(this.calls, `${dir}\u0000${key}`, method);
  }

  /** A result from `dir`: true when it answers a subscribe call with a subscription id (the stream's first item). */
  result(dir: Direction, key: string, result: unknown): boolean {
    const call = `${OTHER_DIRECTION[dir]}\u0000${key}`;
    if (!this.calls.delete(call)) return false;
    if (typeof result !== 'string' && typeof result !== 'number') return false;
    JsonRpcSubscriptions.remember(this.subscriptions, `${dir}\u0000${JSON.stringify(result)}`, key);
    return true;
  }

  /** The key of the call a notification from `dir` belongs to, if it names a known subscription. */
  notification(dir: Direction, params: unknown): string | undefined {
    const id = isObject(params) ? params.subscription : undefined;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    return this.subscriptions.get(`${dir}\u0000${JSON.stringify(id)}`);
  }
}

/**
 * JSON-RPC 2.0: a request (method + id) waits for the result or error with the same id, either way round. A
 * subscribe call's notifications are its stream's items (JsonRpcSubscriptions).
 */
export function jsonRpcReader(): FrameReader {
  const subscriptions = new JsonRpcSubscriptions();
  return (frame) => {
    const text = frameText(frame);
    const value = tryJson(text);
    if (value === undefined) return plainFacts(frame);
    const dir = frame.dir ?? 'receive';
    const facts: FrameFacts = { type: '', heartbeat: isHeartbeatPattern(text, value), requests: [], responses: [] };
    const types: string[] = [];
    for (const message of Array.isArray(value) ? value : [value]) {
      if (!isObject(message)) continue;
      const id = message.id;
      if (typeof message.method === 'string') {
        types.push(message.method);
        if (id !== undefined && id !== null) {
          const key = JSON.stringify(id);
          facts.requests!.push({ key, label: message.method });
          subscriptions.call(dir, message.method, key, message.params);
        } else {
          const call = subscriptions.notification(dir, message.params);
          if (call !== undefined) (facts.items ??= []).push({ key: call, label: message.method });
        }
      } else if ('result' in message || 'error' in message) {
        types.push('error' in message ? 'error' : 'result');
        if (id === undefined || id === null) continue;
        const key = JSON.stringify(id);
        if ('result' in message && subscriptions.result(dir, key, message.result)) (facts.items ??= []).push({ key, label: 'result' });
        else facts.responses!.push({ key, label: 'result' });
      }
    }
    // A message that is not JSON-RPC (a `{"type":"ping"}` beside it) is named the generic way.
    facts.type = Array.isArray(value) ? `batch(${value.length})` : (types[0] ?? genericJsonType(value) ?? 'JSON');
    return facts;
  };
}

const GRAPHQL_REQUESTS = new Set(['subscribe', 'start']);
const GRAPHQL_ITEMS = new Set(['next', 'data']);
/** Both end an operation: `error` is terminal in both protocols (graphql-ws PROTOCOL.md "Error"). */
const GRAPHQL_ENDS = new Set(['error', 'complete']);
const GRAPHQL_HEARTBEATS = new Set(['ping', 'pong', 'ka']);

/**
 * GraphQL over WebSocket (graphql-transport-ws and the legacy graphql-ws): `subscribe`/`start` waits for the
 * first `next`/`data`/`error`/`complete` of its id (the first answer is the latency a user feels); `next`/`data`
 * are stream items (a subscription's every event is tied to it) and `error`/`complete` end the stream, from the
 * server. A client's `complete` (it unsubscribes) is read as nothing: its stream closes when the id is reused. The
 * connection_init↔connection_ack and ping↔pong exchanges pair by order.
 */
export function graphqlWsReader(): FrameReader {
  const ordered = new OrderedKeys();
  return (frame) => {
    const text = frameText(frame);
    const message = tryJson(text);
    if (!isObject(message) || typeof message.type !== 'string') return plainFacts(frame);
    const type = message.type;
    const dir = frame.dir ?? 'receive';
    const facts: FrameFacts = { type, heartbeat: GRAPHQL_HEARTBEATS.has(type) };
    const id = message.id === undefined || message.id === null ? undefined : String(message.id);
    if (GRAPHQL_REQUESTS.has(type) && id !== undefined) {
      const payload = isObject(message.payload) ? message.payload : {};
      const fromQuery = typeof payload.query === 'string' ? operationOf(payload.query) : {};
      const name = typeof payload.operationName === 'string' && payload.operationName ? payload.operationName : fromQuery.name;
      const label = name ?? `(anonymous ${fromQuery.kind ?? 'operation'})`;
      facts.type = `${type} ${label}`;
      facts.requests = [{ key: id, label }];
    } else if (GRAPHQL_ITEMS.has(type) && id !== undefined) facts.items = [{ key: id, label: type }];
    else if (GRAPHQL_ENDS.has(type) && id !== undefined) facts.ends = [{ key: id, label: type }];
    else if (type === 'connection_init' || type === 'ping') facts.requests = [ordered.request(dir, type)];
    else if (type === 'connection_ack' || type === 'connection_error') facts.responses = [ordered.response(dir, 'connection_init')];
    else if (type === 'pong') facts.responses = [ordered.response(dir, 'ping')];
    return facts;
  };
}

const SIGNALR_TYPES: Record<number, string> = { 1: 'Invocation', 2: 'StreamItem', 3: 'Completion', 4: 'StreamInvocation', 5: 'CancelInvocation', 6: 'Ping', 7: 'Close', 8: 'Ack', 9: 'Sequence' };

interface HubMessage {
  type?: number;
  invocationId?: unknown;
  target?: unknown;
  /** The JSON handshake ({protocol, version} from the client, {} or {error} back). */
  handshake?: 'request' | 'response';
}

function signalRMessages(frame: FrameLike): HubMessage[] | undefined {
  const bytes = frame.data instanceof ArrayBuffer ? new Uint8Array(frame.data) : undefined;
  // A handshake is JSON even with the MessagePack protocol, and may arrive as a binary frame.
  if (bytes && !(bytes[0] === 0x7b && bytes[bytes.length - 1] === 0x1e)) {
    const out: HubMessage[] = [];
    try {
      for (const body of signalRMessagePackBodies(bytes)) {
        const value: unknown = decodeMsgpack(body);
        // [type, headers, invocationId, target, …] (HubProtocol.md, MessagePack encoding).
        if (!Array.isArray(value) || typeof value[0] !== 'number') return undefined;
        const type = value[0] as number;
        out.push(type >= 1 && type <= 5 ? { type, invocationId: value[2], target: type === 1 || type === 4 ? value[3] : undefined } : { type });
      }
    } catch {
      return undefined; // framing cut short, or not MessagePack
    }
    return out;
  }
  const text = frameText(frame);
  if (text === undefined || !text.endsWith('\u001e')) return undefined;
  const out: HubMessage[] = [];
  for (const record of text.slice(0, -1).split('\u001e')) {
    const value = tryJson(record);
    if (!isObject(value)) return undefined;
    if (value.type === undefined) out.push({ handshake: typeof value.protocol === 'string' ? 'request' : 'response' });
    else out.push({ type: Number(value.type), invocationId: value.invocationId, target: value.target });
  }
  return out;
}

/**
 * SignalR: an Invocation or StreamInvocation with an `invocationId` waits for its Completion (or first
 * StreamItem), either way round (servers invoke clients with results since ASP.NET Core 7). StreamItems are
 * stream items and the Completion ends the stream (HubProtocol.md, "Streaming"). Invocations without an id expect
 * no answer. The handshake pairs by order; Ping is a heartbeat.
 */
export function signalRReader(): FrameReader {
  const ordered = new OrderedKeys();
  return (frame) => {
    const messages = signalRMessages(frame);
    if (!messages || messages.length === 0) return plainFacts(frame);
    const dir = frame.dir ?? 'receive';
    const requests: PairMark[] = [];
    const responses: PairMark[] = [];
    const items: PairMark[] = [];
    const ends: PairMark[] = [];
    const types: string[] = [];
    for (const m of messages) {
      if (m.handshake === 'request') requests.push(ordered.request(dir, 'handshake'));
      if (m.handshake === 'response') responses.push(ordered.response(dir, 'handshake'));
      if (m.handshake) {
        types.push('handshake');
        continue;
      }
      const typeName = SIGNALR_TYPES[m.type!] ?? `type ${m.type}`;
      const id = m.invocationId === undefined || m.invocationId === null ? undefined : String(m.invocationId);
      const target = typeof m.target === 'string' ? m.target : undefined;
      types.push(target !== undefined ? `${typeName} ${target}` : typeName);
      if ((m.type === 1 || m.type === 4) && id !== undefined) requests.push({ key: id, label: target ?? typeName });
      if (m.type === 2 && id !== undefined) items.push({ key: id, label: typeName });
      if (m.type === 3 && id !== undefined) ends.push({ key: id, label: typeName });
    }
    const facts: FrameFacts = { type: types.join(' + '), heartbeat: types.every((t) => t === 'Ping'), requests, responses };
    if (items.length) facts.items = items;
    if (ends.length) facts.ends = ends;
    return facts;
  };
}

const WAMP_TYPES: Record<number, string> = {
  1: 'HELLO', 2: 'WELCOME', 3: 'ABORT', 4: 'CHALLENGE', 5: 'AUTHENTICATE', 6: 'GOODBYE', 8: 'ERROR',
  16: 'PUBLISH', 17: 'PUBLISHED', 32: 'SUBSCRIBE', 33: 'SUBSCRIBED', 34: 'UNSUBSCRIBE', 35: 'UNSUBSCRIBED', 36: 'EVENT',
  48: 'CALL', 49: 'CANCEL', 50: 'RESULT', 64: 'REGISTER', 65: 'REGISTERED', 66: 'UNREGISTER', 67: 'UNREGISTERED',
  68: 'INVOCATION', 69: 'INTERRUPT', 70: 'YIELD',
};
/** The request type each reply answers (ERROR names its request type itself). */
const WAMP_REPLY_OF: Record<number, number> = { 17: 16, 33: 32, 35: 34, 50: 48, 65: 64, 67: 66, 70: 68 };
const WAMP_REQUESTS = new Set([16, 32, 34, 48, 64, 66, 68]);

/**
 * WAMP v2: CALL, SUBSCRIBE, UNSUBSCRIBE, REGISTER, UNREGISTER, acknowledged PUBLISH and INVOCATION wait for
 * their reply (RESULT, SUBSCRIBED, … YIELD) or an ERROR naming the same request type and id. Keys carry the
 * request type, so a client's CALL 1 and the router's INVOCATION 1 do not meet. HELLO↔WELCOME pairs by order.
 * A call's progressive results (`receive_progress`: RESULT or YIELD with `progress: true`) are its stream's items,
 * the final RESULT/YIELD or an ERROR its end. SUBSCRIBE↔EVENT is not a stream here: a subscription id is the
 * topic's for the session (a second SUBSCRIBE to the topic gets the same one), so an EVENT names no one request.
 */
export function wampReader(): FrameReader {
  const ordered = new OrderedKeys();
  return (frame) => {
    let message: unknown;
    if (frame.data instanceof ArrayBuffer) {
      try {
        message = decodeMsgpack(new Uint8Array(frame.data));
      } catch {
        return plainFacts(frame);
      }
    } else message = tryJson(frameText(frame));
    if (!Array.isArray(message) || typeof message[0] !== 'number') return plainFacts(frame);
    const code = message[0];
    const dir = frame.dir ?? 'receive';
    const typeName = WAMP_TYPES[code] ?? `type ${code}`;
    const facts: FrameFacts = { type: typeName, heartbeat: false };
    const requestId = message[code === 8 ? 2 : 1];
    if (code === 48 || code === 32 || code === 64) {
      const uri = message[3];
      if (typeof uri === 'string') facts.type = `${typeName} ${uri}`;
    }
    if (WAMP_REQUESTS.has(code) && requestId !== undefined) {
      // PUBLISH is answered only when its options ask for an acknowledgement.
      if (code !== 16 || (isObject(message[2]) && message[2].acknowledge === true)) {
        const label = code === 48 && typeof message[3] === 'string' ? message[3] : typeName;
        facts.requests = [{ key: `${code}:${String(requestId)}`, label }];
      }
    } else if ((WAMP_REPLY_OF[code] !== undefined || code === 8) && requestId !== undefined) {
      const of = code === 8 ? Number(message[1]) : WAMP_REPLY_OF[code];
      const mark = { key: `${of}:${String(requestId)}`, label: typeName };
      // Progressive results (RESULT/YIELD with `progress: true`) are a stream; the final one, or an ERROR, ends it.
      if (code === 50 || code === 70) facts[isObject(message[2]) && message[2].progress === true ? 'items' : 'ends'] = [mark];
      else if (code === 8 && (of === 48 || of === 68)) facts.ends = [mark];
      else facts.responses = [mark];
    } else if (code === 1) facts.requests = [ordered.request(dir, 'HELLO')];
    else if (code === 2 || code === 3) facts.responses = [ordered.response(dir, 'HELLO')];
    return facts;
  };
}
