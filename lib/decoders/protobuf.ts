/**
 * Schemaless Protocol Buffers: the wire format alone (https://protobuf.dev/programming-guides/encoding/) gives field
 * numbers and wire types; length-delimited fields are shown as a nested message when their bytes parse as one,
 * else as text when they are UTF-8, else as bytes. Hand-written: protobufjs's Reader would still need all of this
 * guessing around it, and the wire format is a few dozen lines.
 */
import { DecodeError, type DecodedNode, type FieldValue, type FrameDecoder } from './types';
import { hex, node, printableText } from './values';

const WIRE_TYPES = ['varint', 'i64', 'len', 'sgroup', 'egroup', 'i32'];
const MAX_NESTING = 16;

interface ProtoField {
  number: number;
  wireType: number;
  value: bigint | number | Uint8Array | ProtoField[];
  /** For len fields: nested message, text or bytes (our guess). */
  guess?: 'message' | 'text' | 'bytes';
}

class ProtoReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) throw new DecodeError('truncated varint');
      const b = this.bytes[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
    throw new DecodeError('varint longer than 10 bytes');
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.bytes.length - this.pos) throw new DecodeError(`truncated ${what}: needs ${n} bytes, ${this.bytes.length - this.pos} left`);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
}

/** Parses a whole message; throws if the bytes are not one (so callers can fall back to text or bytes). */
export function parseProtobuf(bytes: Uint8Array, depth = 0, endGroup?: number, reader = new ProtoReader(bytes)): ProtoField[] {
  const fields: ProtoField[] = [];
  while (reader.pos < bytes.length) {
    const key = reader.varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number < 1 || number > 536870911) throw new DecodeError(`invalid field number ${number}`);
    switch (wireType) {
      case 0:
        fields.push({ number, wireType, value: reader.varint() });
        break;
      case 1: {
        const b = reader.take(8, `fixed64 field ${number}`);
        fields.push({ number, wireType, value: new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) });
        break;
      }
      case 2: {
        const length = Number(reader.varint());
        const content = reader.take(length, `length-delimited field ${number}`);
        fields.push(guessLen(number, content, depth));
        break;
      }
      case 3: {
        if (depth >= MAX_NESTING) throw new DecodeError('groups nested too deeply');
        const inner = parseProtobuf(bytes, depth + 1, number, reader);
        fields.push({ number, wireType, value: inner, guess: 'message' });
        break;
      }
      case 4:
        if (endGroup !== number) throw new DecodeError(`unexpected end of group ${number}`);
        return fields;
      case 5: {
        const b = reader.take(4, `fixed32 field ${number}`);
        fields.push({ number, wireType, value: new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true) });
        break;
      }
      default:
        throw new DecodeError(`invalid wire type ${wireType} for field ${number}`);
    }
  }
  if (endGroup !== undefined) throw new DecodeError(`group ${endGroup} is not closed`);
  return fields;
}

function guessLen(number: number, content: Uint8Array, depth: number): ProtoField {
  const text = printableText(content);
  // Short printable text is more likely a string than a message that happens to parse.
  if (content.length > 0 && depth < MAX_NESTING && !(text !== undefined && /^[\p{L}\p{N}\p{P}\p{Zs}]*$/u.test(text))) {
    try {
      return { number, wireType: 2, value: parseProtobuf(content, depth + 1), guess: 'message' };
    } catch {
      // not a message
    }
  }
  if (text !== undefined) return { number, wireType: 2, value: content, guess: 'text' };
  return { number, wireType: 2, value: content, guess: 'bytes' };
}

function zigzag(v: bigint): bigint {
  return (v >> 1n) ^ -(v & 1n);
}

function scalarText(field: ProtoField): string {
  const v = field.value;
  if (field.wireType === 0) {
    const u = v as bigint;
    const signed = BigInt.asIntN(64, u);
    const parts = [u.toString()];
    if (signed !== u) parts.push(`int64 ${signed}`);
    const z = zigzag(u);
    if (u > 1n && z !== u) parts.push(`sint ${z}`);
    return parts.join(' / ');
  }
  if (field.wireType === 1) {
    const u = v as bigint;
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, u, true);
    return `${u} / double ${view.getFloat64(0, true)}`;
  }
  if (field.wireType === 5) {
    const u = v as number;
    const view = new DataView(new ArrayBuffer(4));
    view.setUint32(0, u, true);
    return `${u} / float ${view.getFloat32(0, true)}`;
  }
  const bytes = v as Uint8Array;
  if (field.guess === 'text') return JSON.stringify(new TextDecoder().decode(bytes));
  return `<${bytes.length} bytes> ${hex(bytes)}`;
}

function fieldNode(field: ProtoField): DecodedNode {
  const label = `${field.number} (${WIRE_TYPES[field.wireType]}${field.guess && field.guess !== 'bytes' ? `, ${field.guess}?` : ''})`;
  if (Array.isArray(field.value)) return node(label, `${field.value.length} fields`, field.value.map(fieldNode));
  return node(label, scalarText(field));
}

function fieldValue(field: ProtoField): string | number | undefined {
  if (Array.isArray(field.value)) return undefined;
  if (field.value instanceof Uint8Array) return field.guess === 'text' ? new TextDecoder().decode(field.value) : undefined;
  const n = typeof field.value === 'bigint' ? field.value : BigInt(field.value);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
}

export const protobufDecoder: FrameDecoder<null> = {
  id: 'protobuf',
  label: 'Protocol Buffers (schemaless)',
  detect(ctx) {
    if (/proto/i.test(ctx.protocol)) return 0.7;
    const frames = ctx.firstFrames.filter((f) => f.data instanceof ArrayBuffer && f.data.byteLength > 0).slice(0, 3);
    if (frames.length === 0) return 0;
    try {
      for (const f of frames) if (parseProtobuf(new Uint8Array(f.data as ArrayBuffer)).length === 0) return 0;
      return 0.3;
    } catch {
      return 0;
    }
  },
  createState: () => null,
  decode(frame) {
    if (frame.data === undefined) throw new DecodeError('the frame has no payload');
    if (typeof frame.data === 'string') throw new DecodeError('Protocol Buffers are binary, this is a text frame');
    const fields = parseProtobuf(new Uint8Array(frame.data));
    const flat: Record<string, FieldValue> = {};
    for (const f of fields) {
      const v = fieldValue(f);
      if (v === undefined) continue;
      const key = String(f.number);
      flat[key] = flat[key] === undefined ? v : ([] as Array<string | number | boolean>).concat(flat[key], v);
    }
    const numbers = [...new Set(fields.map((f) => f.number))];
    return {
      summary: `protobuf ${fields.length} field${fields.length === 1 ? '' : 's'}: ${fields.slice(0, 6).map((f) => `${f.number}=${Array.isArray(f.value) ? '{…}' : (scalarText(f).split(' / ')[0]).slice(0, 24)}`).join(' ')}${fields.length > 6 ? ' …' : ''}`,
      fields: flat,
      tree: node('Protocol Buffers message', `${fields.length} fields (numbers ${numbers.join(', ')})`, fields.map(fieldNode)),
    };
  },
};
