/**
 * "Messages like this" for the grid's row menu (issue #23): the kind of a message, so the panel can hide every
 * message of that kind, and a breakpoint pattern that holds the next ones.
 *
 * A kind is, first found:
 *   1. the decoded message type, when the connection's protocol decoder gives one (its type-like fields: a
 *      Socket.IO EVENT "chat", a JSON-RPC request "subscribe", a STOMP SEND…; plain JSON, MessagePack, CBOR and
 *      protobuf decoders name no type);
 *   2. for a text frame holding a JSON object, its shape: the sorted top-level keys;
 *   3. otherwise the opcode: "text (not a JSON object)" or "binary".
 * Direction is not part of a kind: hiding `{"type","n"}` hides it both ways, as one kind of traffic.
 * Control rows (open, close, error) have no kind.
 */
import type { DecodeOutcome, FieldValue } from '../decoders';
import type { FrameRecord } from '../shared/records';

export interface MessageKind {
  /** What two messages of one kind share (compared, never shown). */
  key: string;
  /** The kind in words, for the menu, the hidden-kinds list and a rule's name. */
  label: string;
}

/** Decoded fields that name a message's type, in the order they describe it. */
const TYPE_FIELDS = ['type', 'kind', 'command', 'method', 'event', 'target', 'action'] as const;

/**
 * Decoders of value formats rather than protocols: their fields are the payload's own scalar keys (a JSON
 * `{"type":"tick"}` gives type=tick), not a message type, so their frames are kinds by shape or opcode.
 */
const VALUE_FORMAT_DECODERS: ReadonlySet<string> = new Set(['json', 'msgpack', 'cbor', 'protobuf']);

/** Past this many characters a text payload is not parsed to find its shape (a 50 MB frame must not stall a scan). */
const MAX_SHAPE_CHARS = 256 * 1024;

function fieldText(value: FieldValue): string {
  return Array.isArray(value) ? value.map(String).join('|') : String(value);
}

/** The decoded type fields of a decoded frame (empty when the decoder gives none). */
function typeFields(decoded: DecodeOutcome | undefined): Array<[string, string]> {
  if (!decoded?.ok || VALUE_FORMAT_DECODERS.has(decoded.decoderId)) return [];
  const out: Array<[string, string]> = [];
  for (const name of TYPE_FIELDS) {
    const value = decoded.fields[name];
    if (value !== undefined) out.push([name, fieldText(value)]);
  }
  return out;
}

/** The top-level keys of a text payload that is a JSON object, sorted; undefined for anything else. */
export function jsonShape(text: string): string[] | undefined {
  if (text.length > MAX_SHAPE_CHARS || text.trimStart()[0] !== '{') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    return Object.keys(value).sort();
  } catch {
    return undefined;
  }
}

/** The kind of a message row (see the module comment); `decoded` is the row's decoded form, if its connection has a decoder. */
export function messageKind(row: FrameRecord, decoded?: DecodeOutcome): MessageKind | undefined {
  if (row.kind !== 'frame') return undefined;
  const fields = typeFields(decoded);
  if (decoded && fields.length > 0) {
    return {
      key: `decoded:${decoded.decoderId}:${JSON.stringify(fields)}`,
      label: `${decoded.decoderId} ${fields.map(([name, value]) => `${name} ${value}`).join(', ')}`,
    };
  }
  if (typeof row.data === 'string') {
    const shape = jsonShape(row.data);
    if (shape) return { key: `json:${JSON.stringify(shape)}`, label: `JSON {${shape.join(', ')}}` };
  }
  return row.opcode === 2 ? { key: 'opcode:2', label: 'binary' } : { key: 'opcode:1', label: 'text (not a JSON object)' };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** A payload's JSON string as it appears on the wire, quotes included (how a key or a value is written). */
const jsonString = (text: string): string => escapeRegExp(JSON.stringify(text));

/**
 * An intercept rule's regular expression that matches text payloads of the row's kind, or the reason there is
 * none. Rules test the raw text in the page (lib/shared/intercept-rules.ts), where no decoder runs, so the pattern
 * approximates the kind: a JSON object with these top-level keys (nested keys of the same name match too) and,
 * for a decoded type, the type's values written as top-level strings; other text as "not a JSON object" plus the
 * decoded values it contains. Binary frames: rules only tell binary apart by an empty pattern (every frame).
 */
export function breakPattern(row: FrameRecord, decoded?: DecodeOutcome): { ok: true; pattern: string } | { ok: false; reason: string } {
  if (row.kind !== 'frame') return { ok: false, reason: 'Only messages have a kind' };
  if (typeof row.data !== 'string') return { ok: false, reason: 'Rules match text payloads only' };
  const fields = typeFields(decoded);
  const text = row.data;
  const shape = jsonShape(text);
  if (shape) {
    let top: Record<string, unknown> = {};
    try {
      top = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // jsonShape parsed it: unreachable
    }
    const keys = shape.map((key) => `(?=[\\s\\S]*${jsonString(key)}\\s*:)`);
    const values = fields.filter(([name, value]) => top[name] === value).map(([name, value]) => `(?=[\\s\\S]*${jsonString(name)}\\s*:\\s*${jsonString(value)})`);
    return { ok: true, pattern: `^\\s*\\{${keys.join('')}${values.join('')}` };
  }
  const values = fields.filter(([, value]) => value !== '' && text.includes(value)).map(([, value]) => `(?=[\\s\\S]*${escapeRegExp(value)})`);
  return { ok: true, pattern: `^(?!\\s*\\{)${values.join('')}` };
}
