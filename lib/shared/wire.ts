/**
 * Wire events and their payloads: text stays text, binary becomes base64 where a message must carry text (the
 * runtime ports themselves are structured clone: capture batches carry raw bytes, lib/shared/packed-batch.ts), and
 * frames larger than one port message are cut into parts (see WireFramePartEvent).
 */
import type { PageEvent, WireEvent, WireFrameEvent, WireFramePartEvent } from './protocol';

/** Largest payload string put in one port message. Chrome's limit is 64 MiB; smaller parts keep tasks short. */
export const MAX_PART_CHARS = 1 << 20;

type Uint8ArrayWithBase64 = Uint8Array & { toBase64?: () => string };
type Uint8ArrayCtorWithBase64 = typeof Uint8Array & { fromBase64?: (s: string) => Uint8Array };

export function bytesToBase64(bytes: Uint8Array): string {
  const native = (bytes as Uint8ArrayWithBase64).toBase64;
  if (typeof native === 'function') return native.call(bytes);
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk) as unknown as number[]);
  }
  return btoa(binary);
}

export function base64ToBytes(base64: string): Uint8Array {
  const native = (Uint8Array as Uint8ArrayCtorWithBase64).fromBase64;
  if (typeof native === 'function') return native(base64);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Copies a Uint8Array's bytes into an ArrayBuffer of exactly that length. */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

/** UTF-8 length of a string without allocating its encoding (lone surrogates count as U+FFFD: 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

type StringWithWellFormed = string & { toWellFormed?: () => string };

/**
 * The text a WebSocket actually sends for `text`: `send` takes a USVString, so the browser replaces every lone
 * surrogate with U+FFFD before encoding (https://websockets.spec.whatwg.org/#dom-websocket-send).
 */
export function toWellFormed(text: string): string {
  const native = (text as StringWithWellFormed).toWellFormed;
  if (typeof native === 'function') return native.call(text);
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    }
    out += text.slice(from, i) + '\uFFFD';
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * Turns one page event into wire events. Binary data must already be an ArrayBuffer (Blobs are read by the
 * caller, asynchronously, in order). A large payload becomes several `frame-part` events.
 */
export function toWireEvents(event: PageEvent, connectionId: string, maxPartChars = MAX_PART_CHARS): WireEvent[] {
  switch (event.k) {
    case 'connect':
      return [{ k: 'connect', connectionId, url: event.url, protocols: event.protocols, frameUrl: event.frameUrl, time: event.time, ...(event.initiator ? { initiator: event.initiator } : {}) }];
    case 'open':
      return [{ k: 'open', connectionId, seq: event.seq, time: event.time, protocol: event.protocol, extensions: event.extensions }];
    case 'error':
      return [{ k: 'error', connectionId, seq: event.seq, time: event.time }];
    case 'close':
      return [{ k: 'close', connectionId, seq: event.seq, time: event.time, code: event.code, reason: event.reason, wasClean: event.wasClean }];
    case 'frame': {
      let payload: string;
      let frame: WireFrameEvent;
      const base = { k: 'frame' as const, connectionId, seq: event.seq, time: event.time, dir: event.dir, origin: event.origin, status: event.status };
      if (typeof event.data === 'string') {
        payload = toWellFormed(event.data); // what went on the wire (and what survives JSON and IndexedDB)
        frame = { ...base, opcode: 1, encoding: 'text', payload, size: utf8ByteLength(payload) };
      } else if (event.data instanceof ArrayBuffer) {
        payload = bytesToBase64(new Uint8Array(event.data));
        frame = { ...base, opcode: 2, encoding: 'base64', payload, size: event.data.byteLength };
      } else {
        throw new TypeError('toWireEvents: read Blob data into an ArrayBuffer first');
      }
      if (event.note !== undefined) frame.note = event.note;
      if (event.rule !== undefined) frame.rule = event.rule;
      if (event.original !== undefined) frame.original = encodePayload(event.original);
      return splitFrame(frame, maxPartChars);
    }
  }
}

/** Encodes a payload where a message carries text only (commands, notices, exports): text as it is, binary as base64. */
export function encodePayload(data: string | ArrayBuffer): { encoding: 'text' | 'base64'; payload: string } {
  return typeof data === 'string' ? { encoding: 'text', payload: data } : { encoding: 'base64', payload: bytesToBase64(new Uint8Array(data)) };
}

/** Decodes an encoded payload (see encodePayload). Throws on invalid base64. */
export function decodePayload(encoded: { encoding: 'text' | 'base64'; payload: string }): string | ArrayBuffer {
  return encoded.encoding === 'text' ? encoded.payload : toArrayBuffer(base64ToBytes(encoded.payload));
}

/**
 * Where a slice of `text` that starts at `start` and holds at most `size` units ends: never between the halves of
 * a surrogate pair, so each slice survives JSON and UTF-8 encoding on its own (unless `size` is 1).
 */
export function sliceEnd(text: string, start: number, size: number): number {
  const end = Math.min(start + size, text.length);
  if (end < text.length && end - start > 1) {
    const c = text.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) return end - 1;
  }
  return end;
}

/** Cuts a frame whose payload is over `maxPartChars` into parts; base64 is cut on 4-character boundaries. */
export function splitFrame(frame: WireFrameEvent, maxPartChars = MAX_PART_CHARS): WireEvent[] {
  const text = frame.payload;
  if (text.length <= maxPartChars) return [frame];
  const step = frame.encoding === 'base64' ? Math.max(4, maxPartChars - (maxPartChars % 4)) : maxPartChars;
  const chunks: string[] = [];
  for (let i = 0; i < text.length; ) {
    const end = frame.encoding === 'text' ? sliceEnd(text, i, step) : Math.min(i + step, text.length);
    chunks.push(text.slice(i, end));
    i = end;
  }
  const count = chunks.length + 1; // the closing part carries the metadata
  const parts: WireEvent[] = chunks.map((payload, index) => ({
    k: 'frame-part', connectionId: frame.connectionId, seq: frame.seq, index, count, payload,
  }));
  parts.push({ k: 'frame-part', connectionId: frame.connectionId, seq: frame.seq, index: count - 1, count, payload: '', frame: { ...frame, payload: '' } });
  return parts;
}

/** Joins the parts of one frame back into the frame. Throws when parts are missing or out of order. */
export function joinFrameParts(parts: WireFramePartEvent[]): WireFrameEvent {
  const last = parts[parts.length - 1];
  if (!last?.frame || last.index !== last.count - 1 || parts.length !== last.count) {
    throw new Error(`frame ${last?.connectionId}#${last?.seq}: expected ${last?.count} parts, got ${parts.length}`);
  }
  for (let i = 0; i < parts.length; i++) {
    if (parts[i].index !== i) throw new Error(`frame ${last.connectionId}#${last.seq}: part ${i} out of order`);
  }
  return { ...last.frame, payload: parts.map((p) => p.payload).join('') };
}

/** Approximate JSON size of a wire event, for batching by bytes. */
export function wireEventWeight(event: WireEvent): number {
  return 'payload' in event ? event.payload.length + 160 : 200;
}
