/**
 * Self-describing payload formats without a protocol around them: MessagePack (@msgpack/msgpack), CBOR (cbor2,
 * both browser-safe and dependency-light) and plain JSON text. A frame may hold a sequence of values.
 */
import { decode as decodeMsgpack, decodeMulti } from '@msgpack/msgpack';
import { decodeSequence as decodeCborSequence, decode as decodeCbor, Tag } from 'cbor2';
import { DecodeError, type DecodeResult, type FrameDecoder, type FrameLike } from './types';
import { node, parseJson, preview, scalarFields, textOf, valueNode } from './values';

function binaryOf(frame: FrameLike, format: string): Uint8Array {
  if (frame.data === undefined) throw new DecodeError('the frame has no payload');
  if (typeof frame.data === 'string') throw new DecodeError(`${format} is binary, this is a text frame`);
  if (frame.data.byteLength === 0) throw new DecodeError('empty frame');
  return new Uint8Array(frame.data);
}

function valuesResult(format: string, values: unknown[]): DecodeResult {
  if (values.length === 1) {
    const [value] = values;
    return { summary: preview(value, 100), fields: scalarFields(value), tree: valueNode(format, value) };
  }
  return {
    summary: `${values.length} values: ${values.map((v) => preview(v, 30)).join(', ')}`,
    fields: scalarFields(values[0]),
    tree: node(format, `sequence of ${values.length}`, values.map((v, i) => valueNode(String(i), v))),
  };
}

/** CBOR tags as their number and content, so the tree shows them. */
function untag(value: unknown, depth = 0): unknown {
  if (depth > 64) return value;
  if (value instanceof Tag) return { [`tag(${String(value.tag)})`]: untag(value.contents, depth + 1) };
  if (Array.isArray(value)) return value.map((v) => untag(v, depth + 1));
  if (value instanceof Map) return new Map([...value.entries()].map(([k, v]) => [k, untag(v, depth + 1)]));
  if (value && typeof value === 'object' && !(value instanceof Uint8Array) && !(value instanceof Date)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, untag(v, depth + 1)]));
  return value;
}

/** How much of a binary frame looks structured: a top-level map or array scores higher than a lone scalar. */
function structureScore(value: unknown): number {
  return Array.isArray(value) || value instanceof Map || (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) ? 1 : 0.3;
}

function binaryFirstFrames(frames: FrameLike[]): Uint8Array[] {
  return frames.filter((f): f is FrameLike & { data: ArrayBuffer } => f.data instanceof ArrayBuffer && f.data.byteLength > 0).slice(0, 3).map((f) => new Uint8Array(f.data));
}

export const msgpackDecoder: FrameDecoder<null> = {
  id: 'msgpack',
  label: 'MessagePack',
  detect(ctx) {
    if (/msgpack|messagepack/i.test(ctx.protocol)) return 0.6;
    const frames = binaryFirstFrames(ctx.firstFrames);
    if (frames.length === 0) return 0;
    try {
      return 0.4 * Math.min(...frames.map((b) => structureScore(decodeMsgpack(b))));
    } catch {
      return 0;
    }
  },
  createState: () => null,
  decode(frame) {
    const bytes = binaryOf(frame, 'MessagePack');
    try {
      return valuesResult('MessagePack', [...decodeMulti(bytes)]);
    } catch (error) {
      throw new DecodeError(`invalid MessagePack: ${(error as Error).message}`);
    }
  },
};

export const cborDecoder: FrameDecoder<null> = {
  id: 'cbor',
  label: 'CBOR',
  detect(ctx) {
    if (/cbor/i.test(ctx.protocol)) return 0.9;
    const frames = binaryFirstFrames(ctx.firstFrames);
    if (frames.length === 0) return 0;
    try {
      return 0.35 * Math.min(...frames.map((b) => structureScore(decodeCbor(b))));
    } catch {
      return 0;
    }
  },
  createState: () => null,
  decode(frame) {
    const bytes = binaryOf(frame, 'CBOR');
    try {
      return valuesResult('CBOR', [...decodeCborSequence(bytes)].map((v) => untag(v)));
    } catch (error) {
      throw new DecodeError(`invalid CBOR: ${(error as Error).message}`);
    }
  },
};

export const jsonDecoder: FrameDecoder<null> = {
  id: 'json',
  label: 'JSON',
  detect(ctx) {
    const texts = ctx.firstFrames.filter((f) => typeof f.data === 'string').slice(0, 3);
    if (texts.length === 0) return 0;
    try {
      for (const f of texts) JSON.parse(f.data as string);
      return 0.2;
    } catch {
      return 0;
    }
  },
  createState: () => null,
  decode(frame) {
    return valuesResult('JSON', [parseJson(textOf(frame.data))]);
  },
};
