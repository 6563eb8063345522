/**
 * ASP.NET Core SignalR hub protocol
 * (https://github.com/dotnet/aspnetcore/blob/main/src/SignalR/docs/specs/HubProtocol.md): JSON messages ended by
 * the record separator 0x1E, or MessagePack messages each prefixed by a varint length (binary frames). The
 * handshake is JSON in both cases. Invocation ids are remembered so completions show their target.
 */
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { DecodeError, type DecodedNode, type DecodeResult, type FieldValue, type FrameDecoder } from './types';
import { isRecord, node, parseJson, preview, textOf, valueNode } from './values';

const RECORD_SEPARATOR = '\u001e';
const TYPES: Record<number, string> = { 1: 'Invocation', 2: 'StreamItem', 3: 'Completion', 4: 'StreamInvocation', 5: 'CancelInvocation', 6: 'Ping', 7: 'Close', 8: 'Ack', 9: 'Sequence' };

interface SignalRState {
  targets: Map<string, string>;
  handshakeDone: Set<string>;
}

/** A hub message in one shape for both encodings. */
interface HubMessage {
  type: number;
  invocationId?: string;
  target?: string;
  arguments?: unknown[];
  streamIds?: unknown[];
  item?: unknown;
  result?: unknown;
  error?: unknown;
  headers?: unknown;
  allowReconnect?: unknown;
  sequenceId?: unknown;
}

function fromMsgpack(value: unknown): HubMessage {
  if (!Array.isArray(value) || typeof value[0] !== 'number') throw new DecodeError('SignalR MessagePack message is not an array starting with its type');
  const [type] = value;
  switch (type) {
    case 1: case 4: return { type, headers: value[1], invocationId: value[2] ?? undefined, target: value[3], arguments: value[4], streamIds: value[5] };
    case 2: return { type, headers: value[1], invocationId: value[2], item: value[3] };
    case 3: {
      const kind = value[3];
      return { type, headers: value[1], invocationId: value[2], ...(kind === 1 ? { error: value[4] } : kind === 3 ? { result: value[4] } : {}) };
    }
    case 5: return { type, headers: value[1], invocationId: value[2] };
    case 6: return { type };
    case 7: return { type, error: value[1] ?? undefined, allowReconnect: value[2] };
    case 8: case 9: return { type, sequenceId: value[1] };
    default: throw new DecodeError(`unknown SignalR message type ${type}`);
  }
}

function describe(message: HubMessage, state: SignalRState): { summary: string; fields: Record<string, FieldValue>; tree: DecodedNode } {
  const typeName = TYPES[message.type];
  if (!typeName) throw new DecodeError(`unknown SignalR message type ${String(message.type)}`);
  const fields: Record<string, FieldValue> = { type: typeName };
  const children: DecodedNode[] = [node('type', `${message.type} ${typeName}`)];
  const id = message.invocationId === undefined || message.invocationId === null ? undefined : String(message.invocationId);
  if (id !== undefined) {
    fields.invocationId = id;
    children.push(node('invocation id', id));
  }
  let target = message.target;
  if (typeof target === 'string' && id !== undefined) state.targets.set(id, target);
  if (target === undefined && id !== undefined) target = state.targets.get(id);
  if (typeof target === 'string') {
    fields.target = target;
    children.push(node('target', target));
  }
  if (message.arguments !== undefined) children.push(valueNode('arguments', message.arguments));
  if (message.streamIds !== undefined) children.push(valueNode('stream ids', message.streamIds));
  if (message.item !== undefined) children.push(valueNode('item', message.item));
  if (message.result !== undefined) children.push(valueNode('result', message.result));
  if (message.error !== undefined) children.push(valueNode('error', message.error));
  if (message.headers !== undefined && !(isRecord(message.headers) && Object.keys(message.headers).length === 0) && !(message.headers instanceof Map && message.headers.size === 0)) children.push(valueNode('headers', message.headers));
  if (message.sequenceId !== undefined) children.push(node('sequence id', String(message.sequenceId)));
  let summary: string;
  switch (message.type) {
    case 1: case 4: summary = `${message.type === 1 ? 'invoke' : 'stream invoke'} ${target}${id !== undefined ? ` #${id}` : ''} ${preview(message.arguments ?? [], 50)}`; break;
    case 2: summary = `stream item #${id} ${preview(message.item, 50)}`; break;
    case 3: summary = `completion #${id}${target ? ` (${target})` : ''}${message.error !== undefined ? ` error: ${String(message.error)}` : message.result !== undefined ? ` ${preview(message.result, 50)}` : ''}`; break;
    case 5: summary = `cancel #${id}`; break;
    case 6: summary = 'ping'; break;
    case 7: summary = `close${message.error ? `: ${String(message.error)}` : ''}`; break;
    default: summary = `${typeName.toLowerCase()} ${String(message.sequenceId)}`;
  }
  if (id !== undefined && (message.type === 3 || message.type === 5)) state.targets.delete(id);
  return { summary: summary.trim(), fields, tree: node('SignalR', typeName, children) };
}

function combine(parts: Array<{ summary: string; fields: Record<string, FieldValue>; tree: DecodedNode }>): DecodeResult {
  if (parts.length === 1) return parts[0];
  const fields: Record<string, FieldValue> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.fields)) fields[k] = fields[k] === undefined ? v : ([] as Array<string | number | boolean>).concat(fields[k], v);
  return { summary: parts.map((p) => p.summary).join(' + '), fields, tree: node('SignalR messages', parts.length, parts.map((p) => p.tree)) };
}

function decodeJsonRecords(text: string, state: SignalRState, dir: string): DecodeResult {
  if (!text.endsWith(RECORD_SEPARATOR)) throw new DecodeError('SignalR JSON message does not end with the record separator 0x1E');
  const records = text.slice(0, -1).split(RECORD_SEPARATOR);
  const parts = records.map((record) => {
    const value = parseJson(record);
    if (!isRecord(value)) throw new DecodeError('SignalR JSON message is not an object');
    if (value.type === undefined) {
      // Handshake: the client's {protocol, version}, the server's {} or {error}.
      state.handshakeDone.add(dir);
      const isRequest = typeof value.protocol === 'string';
      const summary = isRequest ? `handshake ${value.protocol} v${String(value.version)}` : value.error ? `handshake error: ${String(value.error)}` : 'handshake ok';
      const fields: Record<string, FieldValue> = { type: 'Handshake' };
      if (isRequest) fields.protocol = value.protocol as string;
      return { summary, fields, tree: valueNode('SignalR handshake', value) };
    }
    return describe({ ...value, type: Number(value.type) } as HubMessage, state);
  });
  return combine(parts);
}

/**
 * The MessagePack hub protocol's messages in a binary frame, one at a time: each is a varint length prefix and that
 * many bytes. Throws DecodeError where the framing is cut short. Also what lib/analysis pairs by.
 */
export function* signalRMessagePackBodies(bytes: Uint8Array): Generator<Uint8Array> {
  let pos = 0;
  while (pos < bytes.length) {
    let length = 0;
    let shift = 0;
    let b: number;
    do {
      if (pos >= bytes.length) throw new DecodeError('truncated SignalR MessagePack length prefix');
      b = bytes[pos++];
      length += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    if (pos + length > bytes.length) throw new DecodeError(`truncated SignalR MessagePack message: length ${length}, ${bytes.length - pos} bytes left`);
    yield bytes.subarray(pos, pos + length);
    pos += length;
  }
}

function decodeMsgpackMessages(bytes: Uint8Array, state: SignalRState): DecodeResult {
  const parts = [];
  for (const body of signalRMessagePackBodies(bytes)) {
    let value: unknown;
    try {
      value = decodeMsgpack(body);
    } catch (error) {
      throw new DecodeError(`invalid MessagePack: ${(error as Error).message}`);
    }
    parts.push(describe(fromMsgpack(value), state));
  }
  if (parts.length === 0) throw new DecodeError('empty frame');
  return combine(parts);
}

export const signalRDecoder: FrameDecoder<SignalRState> = {
  id: 'signalr',
  label: 'SignalR',
  detect(ctx) {
    const first = ctx.firstFrames.find((f) => f.dir === 'send' && typeof f.data === 'string');
    if (typeof first?.data === 'string' && /^\{"protocol":"(json|messagepack)","version":\d+\}\u001e$/.test(first.data)) return 0.95;
    try {
      if (new URL(ctx.url).searchParams.has('id') && /hub/i.test(ctx.url)) return 0.5;
    } catch {
      return 0;
    }
    return 0;
  },
  createState: () => ({ targets: new Map(), handshakeDone: new Set() }),
  decode(frame, state) {
    if (frame.data instanceof ArrayBuffer) {
      const bytes = new Uint8Array(frame.data);
      // A handshake is JSON even with the MessagePack protocol, and may arrive as a binary frame.
      if (bytes[0] === 0x7b && bytes[bytes.length - 1] === 0x1e) return decodeJsonRecords(textOf(frame.data), state, frame.dir ?? 'receive');
      return decodeMsgpackMessages(bytes, state);
    }
    return decodeJsonRecords(textOf(frame.data), state, frame.dir ?? 'receive');
  },
};
