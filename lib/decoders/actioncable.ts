/**
 * Rails Action Cable (`actioncable-v1-json`): the client sends {command, identifier, data} with identifier and
 * data as JSON-encoded strings; the server sends typed control messages or {identifier, message} broadcasts.
 */
import { DecodeError, type DecodedNode, type FieldValue, type FrameDecoder } from './types';
import { isRecord, node, preview, textOf, parseJson, valueNode } from './values';

function parseEmbedded(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export const actionCableDecoder: FrameDecoder<null> = {
  id: 'actioncable',
  label: 'Action Cable',
  detect(ctx) {
    if (ctx.protocol.startsWith('actioncable-')) return 1;
    if ((ctx.protocols ?? []).some((p) => p.startsWith('actioncable-'))) return 0.9;
    const first = ctx.firstFrames.find((f) => f.dir === 'receive');
    if (typeof first?.data === 'string' && /^\{"type":"welcome"/.test(first.data)) return 0.8;
    return /\/cable\b/.test(ctx.url) ? 0.4 : 0;
  },
  createState: () => null,
  decode(frame) {
    const message = parseJson(textOf(frame.data));
    if (!isRecord(message)) throw new DecodeError('Action Cable message is not a JSON object');
    const fields: Record<string, FieldValue> = {};
    const children: DecodedNode[] = [];
    const identifier = parseEmbedded(message.identifier);
    const channel = isRecord(identifier) && typeof identifier.channel === 'string' ? identifier.channel : undefined;
    if (channel) fields.channel = channel;
    let summary: string;
    if (typeof message.command === 'string') {
      fields.command = message.command;
      children.push(node('command', message.command));
      if (identifier !== undefined) children.push(valueNode('identifier', identifier));
      const data = parseEmbedded(message.data);
      const action = isRecord(data) && typeof data.action === 'string' ? data.action : undefined;
      if (action) fields.action = action;
      if (data !== undefined) children.push(valueNode('data', data));
      summary = `${message.command} ${channel ?? ''}${action ? ` ${action}` : ''}`;
    } else if (typeof message.type === 'string') {
      fields.type = message.type;
      children.push(node('type', message.type));
      if (identifier !== undefined) children.push(valueNode('identifier', identifier));
      if (message.message !== undefined) children.push(valueNode('message', message.message));
      if (message.reason !== undefined) children.push(node('reason', String(message.reason)));
      if (message.reconnect !== undefined) children.push(node('reconnect', String(message.reconnect)));
      summary = `${message.type}${channel ? ` ${channel}` : ''}${message.reason !== undefined ? ` ${String(message.reason)}` : ''}`;
    } else if (message.identifier !== undefined && 'message' in message) {
      fields.type = 'broadcast';
      children.push(node('type', 'broadcast'), valueNode('identifier', identifier), valueNode('message', message.message));
      summary = `broadcast ${channel ?? ''} ${preview(message.message, 50)}`;
    } else {
      throw new DecodeError('Action Cable message with neither "command", "type" nor "identifier" + "message"');
    }
    return { summary: summary.trim(), fields, tree: node('Action Cable', String(fields.command ?? fields.type), children) };
  },
};
