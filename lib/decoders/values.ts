/** Helpers shared by decoders: bytes and text of a frame, and any decoded value as a tree node or one-line preview. */
import { DecodeError, type DecodedFields, type DecodedNode, type FrameLike } from './types';

const MAX_CHILDREN = 500;
const MAX_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function bytesOf(data: FrameLike['data']): Uint8Array {
  if (data === undefined) throw new DecodeError('the frame has no payload');
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return new Uint8Array(data);
}

/** The frame as text: text frames as they are, binary frames if they are valid UTF-8. */
export function textOf(data: FrameLike['data']): string {
  if (data === undefined) throw new DecodeError('the frame has no payload');
  if (typeof data === 'string') return data;
  try {
    return utf8.decode(new Uint8Array(data));
  } catch {
    throw new DecodeError('binary frame is not UTF-8 text');
  }
}

/** UTF-8 text of bytes, or undefined if they are not valid UTF-8 or hold control characters other than whitespace. */
export function printableText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

export function hex(bytes: Uint8Array, max = 64): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DecodeError(`invalid JSON: ${(error as Error).message}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array) && !(value instanceof Map);
}

function isBytes(value: unknown): value is Uint8Array | ArrayBuffer {
  return value instanceof Uint8Array || value instanceof ArrayBuffer;
}

/** A short one-line rendering of any decoded value (JSON-like, truncated). */
export function preview(value: unknown, max = 80): string {
  const text = previewInner(value, 3);
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

function previewInner(value: unknown, depth: number): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 200 ? value.slice(0, 200) : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object') return String(value);
  if (isBytes(value)) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value.toISOString();
  if (depth === 0) return Array.isArray(value) ? '[…]' : '{…}';
  if (Array.isArray(value)) return `[${value.slice(0, 10).map((v) => previewInner(v, depth - 1)).join(', ')}${value.length > 10 ? ', …' : ''}]`;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  const shown = entries.slice(0, 10).map(([k, v]) => `${typeof k === 'string' ? k : previewInner(k, 0)}: ${previewInner(v, depth - 1)}`);
  return `{${shown.join(', ')}${entries.length > 10 ? ', …' : ''}}`;
}

/** Any decoded value (JSON, MessagePack, CBOR…) as a tree node. */
export function valueNode(label: string, value: unknown, depth = 0): DecodedNode {
  if (value === null || typeof value !== 'object' || value instanceof Date) return { label, value: preview(value, 2000) };
  if (isBytes(value)) {
    const bytes = value instanceof Uint8Array ? value : new Uint8Array(value);
    const text = printableText(bytes);
    // Hex always (bytes are bytes); the text beside it when they also read as printable UTF-8.
    return { label, value: `<${bytes.length} bytes> ${hex(bytes)}${text !== undefined && bytes.length > 0 ? ` ${JSON.stringify(text.slice(0, 200))}` : ''}` };
  }
  if (depth >= MAX_DEPTH) return { label, value: preview(value) };
  const entries: Array<[unknown, unknown]> = Array.isArray(value)
    ? value.map((v, i) => [i, v])
    : value instanceof Map
      ? [...value.entries()]
      : Object.entries(value);
  const children = entries.slice(0, MAX_CHILDREN).map(([k, v]) => valueNode(typeof k === 'string' || typeof k === 'number' ? String(k) : preview(k, 40), v, depth + 1));
  if (entries.length > MAX_CHILDREN) children.push({ label: '…', value: `${entries.length - MAX_CHILDREN} more` });
  const kind = Array.isArray(value) ? `array(${entries.length})` : value instanceof Map ? `map(${entries.length})` : `object(${entries.length})`;
  return { label, value: kind, children };
}

/** Top-level scalar properties of an object as filterable fields (for generic JSON, MessagePack and CBOR). */
export function scalarFields(value: unknown, limit = 30): DecodedFields {
  const fields: DecodedFields = {};
  const entries = value instanceof Map ? [...value.entries()] : isRecord(value) ? Object.entries(value) : [];
  for (const [k, v] of entries.slice(0, limit)) {
    if (typeof k !== 'string') continue;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') fields[k] = v;
  }
  return fields;
}

export function node(label: string, value?: string | number | boolean, children?: DecodedNode[]): DecodedNode {
  const n: DecodedNode = { label };
  if (value !== undefined) n.value = String(value);
  if (children) n.children = children;
  return n;
}
