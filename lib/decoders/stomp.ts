/**
 * STOMP 1.0–1.2 frames (text or binary WebSocket messages; one message may hold several frames, and a lone EOL
 * is a heart-beat). Hand-written: the framing is a few lines, and @stomp/stompjs's parser is a streaming
 * class bound to its client, not a function from a message to frames.
 * https://stomp.github.io/stomp-specification-1.2.html
 */
import { DecodeError, type DecodedNode, type DecodeResult, type FieldValue, type FrameDecoder, type FrameLike } from './types';
import { node, parseJson, printableText, valueNode } from './values';

const CLIENT_COMMANDS = ['CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT'];
const SERVER_COMMANDS = ['CONNECTED', 'MESSAGE', 'RECEIPT', 'ERROR'];
export const STOMP_COMMANDS = new Set([...CLIENT_COMMANDS, ...SERVER_COMMANDS]);

/** Headers whose values go into the filterable fields. */
const FIELD_HEADERS = ['destination', 'subscription', 'id', 'receipt', 'receipt-id', 'message-id', 'content-type', 'version', 'host', 'message', 'transaction'];

export interface StompFrame {
  command: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

function unescapeHeader(value: string): string {
  return value.replace(/\\(.)/g, (_m, c: string) => {
    switch (c) {
      case 'n': return '\n';
      case 'r': return '\r';
      case 'c': return ':';
      case '\\': return '\\';
      default: throw new DecodeError(`invalid header escape \\${c}`);
    }
  });
}

/** Parses every frame in one message. Returns [] for a heart-beat. */
export function parseStompFrames(bytes: Uint8Array): StompFrame[] {
  const frames: StompFrame[] = [];
  const decoder = new TextDecoder('utf-8');
  let pos = 0;
  for (;;) {
    // EOLs between frames (and heart-beats) are allowed.
    while (pos < bytes.length && (bytes[pos] === 0x0a || bytes[pos] === 0x0d)) pos++;
    if (pos >= bytes.length) break;
    const headerEnd = findHeaderEnd(bytes, pos);
    if (headerEnd < 0) throw new DecodeError('STOMP frame without the blank line that ends its headers');
    const lines = decoder.decode(bytes.subarray(pos, headerEnd.valueOf())).split(/\r?\n/);
    const command = lines[0];
    if (!STOMP_COMMANDS.has(command)) throw new DecodeError(`unknown STOMP command ${JSON.stringify(command.slice(0, 40))}`);
    // CONNECT and CONNECTED headers are not escaped (1.2 spec, "Value Encoding").
    const escaped = command !== 'CONNECT' && command !== 'CONNECTED';
    const headers: Array<[string, string]> = [];
    for (const line of lines.slice(1)) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon < 0) throw new DecodeError(`STOMP header line without a colon: ${JSON.stringify(line.slice(0, 40))}`);
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1);
      headers.push(escaped ? [unescapeHeader(name), unescapeHeader(value)] : [name, value]);
    }
    let bodyStart = headerEnd;
    // skip the blank line itself
    if (bytes[bodyStart] === 0x0d) bodyStart++;
    bodyStart++;
    const lengthHeader = headers.find(([k]) => k === 'content-length');
    let bodyEnd: number;
    if (lengthHeader) {
      const length = Number(lengthHeader[1]);
      if (!Number.isInteger(length) || length < 0) throw new DecodeError(`invalid content-length ${JSON.stringify(lengthHeader[1])}`);
      bodyEnd = bodyStart + length;
      if (bodyEnd >= bytes.length || bytes[bodyEnd] !== 0) throw new DecodeError(`STOMP ${command} body shorter than its content-length ${length} or not NUL-terminated`);
    } else {
      bodyEnd = bytes.indexOf(0, bodyStart);
      if (bodyEnd < 0) throw new DecodeError(`STOMP ${command} frame without its terminating NUL`);
    }
    frames.push({ command, headers, body: bytes.subarray(bodyStart, bodyEnd) });
    pos = bodyEnd + 1;
  }
  return frames;
}

/** Index of the EOL that starts the blank line ending the headers (the header block ends at it). */
function findHeaderEnd(bytes: Uint8Array, from: number): number {
  for (let i = from; i < bytes.length; i++) {
    if (bytes[i] === 0) return -1;
    if (bytes[i] !== 0x0a) continue;
    // a line end at i; is the next line empty?
    const next = i + 1;
    if (bytes[next] === 0x0a) return next;
    if (bytes[next] === 0x0d && bytes[next + 1] === 0x0a) return next;
  }
  return -1;
}

function bodyNode(body: Uint8Array, contentType: string | undefined): DecodedNode {
  const text = printableText(body);
  if (text === undefined) return node('body', `<${body.length} bytes>`);
  if ((contentType?.includes('json') || /^\s*[[{]/.test(text)) && text.trim()) {
    try {
      return valueNode('body (JSON)', parseJson(text));
    } catch {
      // shown as text
    }
  }
  return node('body', JSON.stringify(text));
}

export function describeStompFrame(frame: StompFrame): { summary: string; fields: Record<string, FieldValue>; tree: DecodedNode } {
  const header = (name: string) => frame.headers.find(([k]) => k === name)?.[1];
  const fields: Record<string, FieldValue> = { command: frame.command };
  for (const name of FIELD_HEADERS) {
    const value = header(name);
    if (value !== undefined) fields[name] = value;
  }
  const destination = header('destination');
  let summary = frame.command;
  if (destination !== undefined) summary += ` ${destination}`;
  if (frame.command === 'CONNECTED' && header('version')) summary += ` v${header('version')}`;
  if ((frame.command === 'CONNECT' || frame.command === 'STOMP') && header('host')) summary += ` ${header('host')}`;
  if (frame.command === 'SUBSCRIBE' || frame.command === 'UNSUBSCRIBE') summary += ` id=${header('id') ?? '?'}`;
  if (frame.command === 'RECEIPT') summary += ` ${header('receipt-id') ?? ''}`;
  if (frame.command === 'ERROR' && header('message')) summary += `: ${header('message')}`;
  if (frame.body.length) summary += ` ${frame.body.length} bytes`;
  const children = [
    node('command', frame.command),
    node('headers', frame.headers.length, frame.headers.map(([k, v]) => node(k, v))),
  ];
  if (frame.body.length) children.push(bodyNode(frame.body, header('content-type')));
  return { summary: summary.trim(), fields, tree: node('STOMP frame', frame.command, children) };
}

export function decodeStompMessage(bytes: Uint8Array): DecodeResult {
  const frames = parseStompFrames(bytes);
  if (frames.length === 0) return { summary: 'heart-beat', fields: { command: 'heart-beat' }, tree: node('STOMP heart-beat') };
  const described = frames.map(describeStompFrame);
  if (described.length === 1) return described[0];
  const fields: Record<string, FieldValue> = {};
  for (const d of described) {
    for (const [k, v] of Object.entries(d.fields)) fields[k] = fields[k] === undefined ? v : ([] as Array<string | number | boolean>).concat(fields[k], v);
  }
  return { summary: described.map((d) => d.summary).join(' + '), fields, tree: node('STOMP frames', described.length, described.map((d) => d.tree)) };
}

/** True when a text looks like the start of a STOMP frame (used for detection and inside SockJS). */
export function looksLikeStomp(text: string): boolean {
  const match = /^([A-Z]+)\r?\n/.exec(text);
  return match !== null && STOMP_COMMANDS.has(match[1]);
}

export const stompDecoder: FrameDecoder<null> = {
  id: 'stomp',
  label: 'STOMP',
  detect(ctx) {
    if (/^v1[012]\.stomp$|^stomp$/i.test(ctx.protocol)) return 1;
    const first = ctx.firstFrames.find((f) => f.data !== undefined);
    const text = typeof first?.data === 'string' ? first.data : first?.data ? printableText(new Uint8Array(first.data)) : undefined;
    if (text && looksLikeStomp(text)) return 0.9;
    return 0;
  },
  createState: () => null,
  decode(frame: FrameLike) {
    if (frame.data === undefined) throw new DecodeError('the frame has no payload');
    const bytes = typeof frame.data === 'string' ? new TextEncoder().encode(frame.data) : new Uint8Array(frame.data);
    return decodeStompMessage(bytes);
  },
};
