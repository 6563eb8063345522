/**
 * GraphQL over WebSocket: `graphql-transport-ws` (the graphql-ws library,
 * https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) and the legacy `graphql-ws` subprotocol of
 * subscriptions-transport-ws. Operation names are remembered by operation id so that `next`/`data`/`complete`
 * frames carry the name of the operation they belong to.
 */
import { DecodeError, type DecodedNode, type FieldValue, type FrameDecoder } from './types';
import { isRecord, node, parseJson, textOf, valueNode } from './values';

const TRANSPORT_TYPES = new Set(['connection_init', 'connection_ack', 'ping', 'pong', 'subscribe', 'next', 'error', 'complete']);
const LEGACY_TYPES = new Set(['connection_init', 'connection_ack', 'connection_error', 'connection_terminate', 'ka', 'start', 'data', 'error', 'complete', 'stop']);

interface GraphQlState {
  operations: Map<string, { name?: string; kind?: string }>;
}

/** The operation's type and name from its document: `query Foo`, `subscription OnMessage(...)`, or `{ … }`. */
export function operationOf(query: string): { kind?: string; name?: string } {
  const withoutComments = query.replace(/#[^\n]*/g, '');
  const named = /\b(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(withoutComments);
  if (named) return { kind: named[1], name: named[2] };
  const anonymous = /\b(query|mutation|subscription)\b/.exec(withoutComments);
  if (anonymous) return { kind: anonymous[1] };
  return /^\s*\{/.test(withoutComments) ? { kind: 'query' } : {};
}

export const graphqlWsDecoder: FrameDecoder<GraphQlState> = {
  id: 'graphql-ws',
  label: 'GraphQL over WebSocket',
  detect(ctx) {
    if (ctx.protocol === 'graphql-transport-ws' || ctx.protocol === 'graphql-ws') return 1;
    const first = ctx.firstFrames.find((f) => typeof f.data === 'string');
    if (typeof first?.data === 'string' && /^\s*\{\s*"type"\s*:\s*"connection_init"/.test(first.data)) return 0.9;
    return /graphql/i.test(ctx.url) ? 0.4 : 0;
  },
  createState: () => ({ operations: new Map() }),
  decode(frame, state, ctx) {
    const message = parseJson(textOf(frame.data));
    if (!isRecord(message) || typeof message.type !== 'string') throw new DecodeError('GraphQL over WebSocket message without a "type"');
    const type = message.type;
    const legacy = ctx.protocol === 'graphql-ws';
    const known = legacy ? LEGACY_TYPES : TRANSPORT_TYPES;
    if (!known.has(type) && !TRANSPORT_TYPES.has(type) && !LEGACY_TYPES.has(type)) throw new DecodeError(`unknown GraphQL over WebSocket message type ${JSON.stringify(type)}`);
    const id = message.id === undefined ? undefined : String(message.id);
    const fields: Record<string, FieldValue> = { type };
    const children: DecodedNode[] = [node('type', type)];
    if (id !== undefined) {
      fields.id = id;
      children.push(node('id', id));
    }
    const payload = message.payload;
    let operation = id !== undefined ? state.operations.get(id) : undefined;
    if ((type === 'subscribe' || type === 'start') && isRecord(payload)) {
      const fromQuery = typeof payload.query === 'string' ? operationOf(payload.query) : {};
      operation = { kind: fromQuery.kind, name: typeof payload.operationName === 'string' && payload.operationName ? payload.operationName : fromQuery.name };
      if (id !== undefined) state.operations.set(id, operation);
      if (typeof payload.query === 'string') children.push(node('query', payload.query));
      if (payload.variables !== undefined) children.push(valueNode('variables', payload.variables));
      if (payload.extensions !== undefined) children.push(valueNode('extensions', payload.extensions));
    } else if (payload !== undefined) {
      children.push(valueNode('payload', payload));
    }
    if (operation?.name) fields.operationName = operation.name;
    if (operation?.kind) fields.operationType = operation.kind;
    if (operation?.name || operation?.kind) children.splice(id !== undefined ? 2 : 1, 0, node('operation', `${operation.kind ?? ''} ${operation.name ?? '(anonymous)'}`.trim()));
    if (type === 'complete' || type === 'stop') state.operations.delete(id ?? '');
    let summary = type;
    if (operation) summary += ` ${operation.name ?? `(anonymous ${operation.kind ?? 'operation'})`}`;
    if (id !== undefined) summary += ` #${id}`;
    if ((type === 'error' || type === 'connection_error') && payload !== undefined) {
      const first = Array.isArray(payload) ? payload[0] : payload;
      if (isRecord(first) && typeof first.message === 'string') summary += `: ${first.message}`;
    }
    return { summary, fields, tree: node('GraphQL over WebSocket', type, children) };
  },
};
