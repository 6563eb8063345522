/**
 * SockJS framing over its WebSocket transport (https://github.com/sockjs/sockjs-protocol): the server sends
 * `o` (open), `h` (heart-beat), `a[...]` (messages), `m"..."` (one message, old servers) and `c[code,"reason"]`
 * (close); the client sends a JSON array of strings. Messages that are STOMP frames (SockJS + STOMP is common)
 * or JSON are decoded inside.
 */
import { decodeStompMessage, looksLikeStomp } from './stomp';
import { DecodeError, type DecodedNode, type DecodeResult, type FieldValue, type FrameDecoder } from './types';
import { node, parseJson, preview, textOf, valueNode } from './values';

function decodeInner(message: unknown, index: number): { node: DecodedNode; summary: string; fields: Record<string, FieldValue> } {
  if (typeof message !== 'string') return { node: valueNode(`message ${index}`, message), summary: preview(message, 40), fields: {} };
  if (looksLikeStomp(message) || message === '\n') {
    try {
      const stomp = decodeStompMessage(new TextEncoder().encode(message));
      return { node: node(`message ${index} (STOMP)`, stomp.summary, [stomp.tree]), summary: stomp.summary, fields: stomp.fields };
    } catch (error) {
      return { node: node(`message ${index}`, `${JSON.stringify(message.slice(0, 200))} (STOMP error: ${(error as Error).message})`), summary: preview(message, 40), fields: {} };
    }
  }
  if (/^\s*[[{]/.test(message)) {
    try {
      return { node: valueNode(`message ${index} (JSON)`, parseJson(message)), summary: preview(JSON.parse(message), 40), fields: {} };
    } catch {
      // plain text
    }
  }
  return { node: node(`message ${index}`, JSON.stringify(message)), summary: preview(message, 40), fields: {} };
}

function messagesResult(kind: string, messages: unknown[]): DecodeResult {
  const inner = messages.map((m, i) => decodeInner(m, i));
  const fields: Record<string, FieldValue> = { type: kind, messages: messages.length };
  for (const d of inner) {
    for (const [k, v] of Object.entries(d.fields)) fields[k] = fields[k] === undefined ? v : ([] as Array<string | number | boolean>).concat(fields[k], v);
  }
  const summary = `${kind} ${inner.map((d) => d.summary).join(' | ')}`;
  return { summary, fields, tree: node('SockJS frame', `${kind} (${messages.length} message${messages.length === 1 ? '' : 's'})`, inner.map((d) => d.node)) };
}

export const sockJsDecoder: FrameDecoder<null> = {
  id: 'sockjs',
  label: 'SockJS',
  detect(ctx) {
    // /prefix/<server>/<session>/websocket is the SockJS WebSocket transport URL.
    if (/\/[^/.]+\/[^/.]+\/websocket\/?(\?|$)/.test(ctx.url)) return 0.9;
    const first = ctx.firstFrames.find((f) => f.dir === 'receive');
    if (first?.data === 'o') return 0.85;
    return 0;
  },
  createState: () => null,
  decode(frame) {
    const text = textOf(frame.data);
    if (frame.dir === 'send') {
      const value = parseJson(text);
      const messages = Array.isArray(value) ? value : [value];
      return messagesResult('send', messages);
    }
    const type = text.charAt(0);
    const rest = text.slice(1);
    switch (type) {
      case 'o':
        if (rest) throw new DecodeError('SockJS open frame with trailing data');
        return { summary: 'open', fields: { type: 'open' }, tree: node('SockJS frame', 'open') };
      case 'h':
        if (rest) throw new DecodeError('SockJS heart-beat frame with trailing data');
        return { summary: 'heart-beat', fields: { type: 'heart-beat' }, tree: node('SockJS frame', 'heart-beat') };
      case 'a': {
        const messages = parseJson(rest);
        if (!Array.isArray(messages)) throw new DecodeError('SockJS "a" frame is not followed by a JSON array');
        return messagesResult('messages', messages);
      }
      case 'm':
        return messagesResult('message', [parseJson(rest)]);
      case 'c': {
        const close = parseJson(rest);
        if (!Array.isArray(close)) throw new DecodeError('SockJS close frame is not followed by [code, reason]');
        const [code, reason] = close as [unknown, unknown];
        return {
          summary: `close ${String(code)} ${String(reason ?? '')}`.trim(),
          fields: { type: 'close', code: Number(code), reason: String(reason ?? '') },
          tree: node('SockJS frame', 'close', [node('code', String(code)), node('reason', String(reason ?? ''))]),
        };
      }
      default:
        throw new DecodeError(`unknown SockJS frame type ${JSON.stringify(type)}`);
    }
  },
};
