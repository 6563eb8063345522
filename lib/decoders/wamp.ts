/**
 * WAMP v2 (https://wamp-proto.org/wamp_latest_ietf.html) as `wamp.2.json` (text) or `wamp.2.msgpack` (binary):
 * every message is an array starting with its type code. Subscription and registration ids are remembered so
 * EVENT and INVOCATION frames show their topic and procedure; request ids so RESULT shows its procedure.
 */
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { DecodeError, type DecodedNode, type FieldValue, type FrameDecoder } from './types';
import { node, parseJson, preview, textOf, valueNode } from './values';

const TYPES: Record<number, string> = {
  1: 'HELLO', 2: 'WELCOME', 3: 'ABORT', 4: 'CHALLENGE', 5: 'AUTHENTICATE', 6: 'GOODBYE', 8: 'ERROR',
  16: 'PUBLISH', 17: 'PUBLISHED', 32: 'SUBSCRIBE', 33: 'SUBSCRIBED', 34: 'UNSUBSCRIBE', 35: 'UNSUBSCRIBED', 36: 'EVENT',
  48: 'CALL', 49: 'CANCEL', 50: 'RESULT', 64: 'REGISTER', 65: 'REGISTERED', 66: 'UNREGISTER', 67: 'UNREGISTERED',
  68: 'INVOCATION', 69: 'INTERRUPT', 70: 'YIELD',
};

/** Names of the elements after the type code, per message type. */
const LAYOUT: Record<number, string[]> = {
  1: ['realm', 'details'], 2: ['session', 'details'], 3: ['details', 'reason'], 4: ['authMethod', 'extra'], 5: ['signature', 'extra'],
  6: ['details', 'reason'], 8: ['requestType', 'requestId', 'details', 'error', 'arguments', 'argumentsKw'],
  16: ['requestId', 'options', 'topic', 'arguments', 'argumentsKw'], 17: ['requestId', 'publication'],
  32: ['requestId', 'options', 'topic'], 33: ['requestId', 'subscription'], 34: ['requestId', 'subscription'], 35: ['requestId'],
  36: ['subscription', 'publication', 'details', 'arguments', 'argumentsKw'],
  48: ['requestId', 'options', 'procedure', 'arguments', 'argumentsKw'], 49: ['requestId', 'options'], 50: ['requestId', 'details', 'arguments', 'argumentsKw'],
  64: ['requestId', 'options', 'procedure'], 65: ['requestId', 'registration'], 66: ['requestId', 'registration'], 67: ['requestId'],
  68: ['requestId', 'registration', 'details', 'arguments', 'argumentsKw'], 69: ['requestId', 'options'], 70: ['requestId', 'options', 'arguments', 'argumentsKw'],
};

interface WampState {
  /** URI by request id (SUBSCRIBE, REGISTER, CALL) and by subscription/registration id. */
  requests: Map<string, string>;
  subscriptions: Map<string, string>;
  registrations: Map<string, string>;
}

export const wampDecoder: FrameDecoder<WampState> = {
  id: 'wamp',
  label: 'WAMP',
  detect(ctx) {
    if (/^wamp\.2\./.test(ctx.protocol)) return 1;
    const first = ctx.firstFrames.find((f) => f.dir === 'send' && typeof f.data === 'string');
    if (typeof first?.data === 'string' && /^\[\s*1\s*,\s*"[^"]+"\s*,\s*\{/.test(first.data)) return 0.7;
    return 0;
  },
  createState: () => ({ requests: new Map(), subscriptions: new Map(), registrations: new Map() }),
  decode(frame, state) {
    let message: unknown;
    if (frame.data instanceof ArrayBuffer) {
      try {
        message = decodeMsgpack(new Uint8Array(frame.data));
      } catch (error) {
        throw new DecodeError(`invalid MessagePack: ${(error as Error).message}`);
      }
    } else message = parseJson(textOf(frame.data));
    if (!Array.isArray(message) || typeof message[0] !== 'number') throw new DecodeError('WAMP message is not an array starting with its type code');
    const code = message[0];
    const typeName = TYPES[code];
    if (!typeName) throw new DecodeError(`unknown WAMP message type ${code}`);
    const layout = LAYOUT[code];
    const named: Record<string, unknown> = {};
    layout.forEach((name, i) => {
      if (i + 1 < message.length) named[name] = message[i + 1];
    });
    const children: DecodedNode[] = [node('type', `${code} ${typeName}`)];
    for (const [name, value] of Object.entries(named)) children.push(valueNode(name, name === 'requestType' ? `${String(value)} ${TYPES[value as number] ?? ''}`.trim() : value));
    const fields: Record<string, FieldValue> = { type: typeName };
    const key = (v: unknown) => String(v);
    const req = named.requestId !== undefined ? key(named.requestId) : undefined;
    if (req !== undefined) fields.requestId = req;
    let topic = typeof named.topic === 'string' ? named.topic : undefined;
    let procedure = typeof named.procedure === 'string' ? named.procedure : undefined;
    switch (code) {
      case 32: if (topic && req) state.requests.set(`sub:${req}`, topic); break;
      case 33: topic = state.requests.get(`sub:${req}`); if (topic) state.subscriptions.set(key(named.subscription), topic); break;
      case 36: topic = state.subscriptions.get(key(named.subscription)); break;
      case 64: if (procedure && req) state.requests.set(`reg:${req}`, procedure); break;
      case 65: procedure = state.requests.get(`reg:${req}`); if (procedure) state.registrations.set(key(named.registration), procedure); break;
      case 68: procedure = state.registrations.get(key(named.registration)); if (procedure && req) state.requests.set(`inv:${req}`, procedure); break;
      case 70: procedure = state.requests.get(`inv:${req}`); break;
      case 48: if (procedure && req) state.requests.set(`call:${req}`, procedure); break;
      case 50: procedure = state.requests.get(`call:${req}`); break;
      case 16: break;
    }
    if (topic) fields.topic = topic;
    if (procedure) fields.procedure = procedure;
    if (typeof named.realm === 'string') fields.realm = named.realm;
    if (typeof named.error === 'string') fields.error = named.error;
    if (typeof named.reason === 'string') fields.reason = named.reason;
    if (topic && !('topic' in named)) children.push(node('topic (from subscription)', topic));
    if (procedure && !('procedure' in named)) children.push(node('procedure (from registration/call)', procedure));
    const subject = topic ?? procedure ?? (named.realm as string | undefined) ?? (named.error as string | undefined) ?? (named.reason as string | undefined) ?? '';
    const args = named.arguments !== undefined ? ` ${preview(named.arguments, 40)}` : '';
    const summary = `${typeName} ${subject}${req !== undefined ? ` #${req}` : ''}${args}`.replace(/\s+/g, ' ').trim();
    return { summary, fields, tree: node('WAMP', typeName, children) };
  },
};
