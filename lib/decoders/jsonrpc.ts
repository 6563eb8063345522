/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification): requests, notifications, responses and batches.
 * Request ids are remembered per direction so a response shows the method it answers.
 */
import { DecodeError, type DecodedNode, type DecodeResult, type FieldValue, type FrameDecoder } from './types';
import { isRecord, node, parseJson, preview, textOf, valueNode } from './values';

interface JsonRpcState {
  methods: Map<string, string>;
}

function isJsonRpc(value: unknown): boolean {
  return isRecord(value) && value.jsonrpc === '2.0';
}

function describe(message: unknown, state: JsonRpcState, dir: string): { summary: string; fields: Record<string, FieldValue>; tree: DecodedNode } {
  if (!isRecord(message) || message.jsonrpc !== '2.0') throw new DecodeError('not a JSON-RPC 2.0 message (no "jsonrpc": "2.0")');
  const id = message.id;
  const idText = id === undefined ? undefined : JSON.stringify(id);
  const fields: Record<string, FieldValue> = {};
  const children: DecodedNode[] = [];
  if (typeof message.method === 'string') {
    const kind = id === undefined ? 'notification' : 'request';
    fields.kind = kind;
    fields.method = message.method;
    children.push(node('kind', kind), node('method', message.method));
    if (idText !== undefined) {
      fields.id = idText;
      children.push(node('id', idText));
      state.methods.set(`${dir}:${idText}`, message.method);
    }
    if (message.params !== undefined) children.push(valueNode('params', message.params));
    const summary = `${kind === 'request' ? 'call' : 'notify'} ${message.method}${idText !== undefined ? ` #${idText}` : ''}${message.params !== undefined ? ' ' + preview(message.params, 50) : ''}`;
    return { summary, fields, tree: node('JSON-RPC', kind, children) };
  }
  if ('result' in message || 'error' in message) {
    const kind = 'error' in message ? 'error' : 'result';
    fields.kind = kind;
    if (idText !== undefined) {
      fields.id = idText;
      children.push(node('id', idText));
    }
    const method = idText !== undefined ? state.methods.get(`${dir === 'send' ? 'receive' : 'send'}:${idText}`) : undefined;
    if (method !== undefined) {
      fields.method = method;
      children.push(node('answers method', method));
    }
    let summary = `${kind} #${idText ?? 'null'}${method ? ` (${method})` : ''}`;
    if (kind === 'error') {
      const error = message.error;
      if (isRecord(error)) {
        if (typeof error.code === 'number') fields.errorCode = error.code;
        if (typeof error.message === 'string') fields.errorMessage = error.message;
        summary += ` ${String(error.code)} ${String(error.message)}`;
      }
      children.push(valueNode('error', error));
    } else {
      children.push(valueNode('result', message.result));
      summary += ` ${preview(message.result, 50)}`;
    }
    return { summary, fields, tree: node('JSON-RPC', kind, children) };
  }
  throw new DecodeError('JSON-RPC message with neither "method" nor "result"/"error"');
}

export const jsonRpcDecoder: FrameDecoder<JsonRpcState> = {
  id: 'json-rpc',
  label: 'JSON-RPC 2.0',
  detect(ctx) {
    if (/json-?rpc/i.test(ctx.protocol)) return 1;
    const texts = ctx.firstFrames.filter((f) => typeof f.data === 'string').slice(0, 3);
    if (texts.length && texts.every((f) => /"jsonrpc"\s*:\s*"2\.0"/.test(f.data as string))) {
      try {
        const value = JSON.parse(texts[0].data as string);
        if (isJsonRpc(value) || (Array.isArray(value) && value.every(isJsonRpc))) return 0.85;
      } catch {
        return 0;
      }
    }
    return 0;
  },
  createState: () => ({ methods: new Map() }),
  decode(frame, state): DecodeResult {
    const value = parseJson(textOf(frame.data));
    const dir = frame.dir ?? 'receive';
    if (!Array.isArray(value)) return describe(value, state, dir);
    if (value.length === 0) throw new DecodeError('empty JSON-RPC batch');
    const parts = value.map((m) => describe(m, state, dir));
    const fields: Record<string, FieldValue> = { kind: 'batch', batch: parts.length };
    for (const key of ['method', 'id']) {
      const values = parts.map((p) => p.fields[key]).filter((v): v is string => typeof v === 'string');
      if (values.length) fields[key] = values;
    }
    return { summary: `batch(${parts.length}) ${parts.map((p) => p.summary.split(' ').slice(0, 2).join(' ')).join(', ')}`, fields, tree: node('JSON-RPC batch', parts.length, parts.map((p) => p.tree)) };
  },
};
