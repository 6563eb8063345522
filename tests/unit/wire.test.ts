import { afterEach, describe, expect, it } from 'vitest';
import {
  MAX_PART_CHARS,
  base64ToBytes,
  bytesToBase64,
  joinFrameParts,
  sliceEnd,
  splitFrame,
  toArrayBuffer,
  toWellFormed,
  toWireEvents,
  utf8ByteLength,
} from '@/lib/shared/wire';
import type { PageEvent, WireEvent, WireFrameEvent, WireFramePartEvent } from '@/lib/shared/protocol';

/** Deterministic pseudo-random bytes. */
function bytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Temporarily replaces (or removes, with undefined) a property, restored after each test. */
const restores: Array<() => void> = [];
function override(target: object, key: string, value: unknown): void {
  const had = Object.prototype.hasOwnProperty.call(target, key);
  const before = Object.getOwnPropertyDescriptor(target, key);
  Object.defineProperty(target, key, { value, configurable: true, writable: true });
  restores.push(() => {
    if (had && before) Object.defineProperty(target, key, before);
    else delete (target as Record<string, unknown>)[key];
  });
}
afterEach(() => {
  while (restores.length) restores.pop()!();
});

describe('base64', () => {
  const cases = [new Uint8Array(0), new Uint8Array([0]), new Uint8Array([255, 254]), new Uint8Array([1, 2, 3]), bytes(0x8000), bytes(0x8000 * 3 + 17, 7)];

  it('encodes like Buffer on the fallback path (no Uint8Array.prototype.toBase64), across chunk boundaries', () => {
    override(Uint8Array.prototype, 'toBase64', undefined);
    for (const b of cases) expect(bytesToBase64(b)).toBe(Buffer.from(b).toString('base64'));
  });

  it('encodes a subarray view: only its bytes', () => {
    override(Uint8Array.prototype, 'toBase64', undefined);
    const whole = bytes(100);
    expect(bytesToBase64(whole.subarray(10, 13))).toBe(Buffer.from(whole.subarray(10, 13)).toString('base64'));
  });

  it('uses the native toBase64 when there is one', () => {
    let calls = 0;
    override(Uint8Array.prototype, 'toBase64', function (this: Uint8Array) {
      calls++;
      return Buffer.from(this).toString('base64');
    });
    expect(bytesToBase64(new Uint8Array([104, 105]))).toBe('aGk=');
    expect(calls).toBe(1);
  });

  it('decodes on the fallback path (atob) and on the native path (Uint8Array.fromBase64)', () => {
    override(Uint8Array, 'fromBase64', undefined);
    for (const b of cases) expect(Buffer.from(base64ToBytes(Buffer.from(b).toString('base64'))).equals(Buffer.from(b))).toBe(true);
    let calls = 0;
    override(Uint8Array, 'fromBase64', (s: string) => {
      calls++;
      return new Uint8Array(Buffer.from(s, 'base64'));
    });
    expect([...base64ToBytes('AAEC')]).toEqual([0, 1, 2]);
    expect(calls).toBe(1);
  });

  it('round-trips random data of many lengths', () => {
    override(Uint8Array.prototype, 'toBase64', undefined);
    override(Uint8Array, 'fromBase64', undefined);
    for (let n = 0; n < 70; n++) {
      const b = bytes(n, n + 3);
      expect(Buffer.from(base64ToBytes(bytesToBase64(b))).equals(Buffer.from(b))).toBe(true);
    }
  });

  it('rejects invalid base64 on the fallback path', () => {
    override(Uint8Array, 'fromBase64', undefined);
    expect(() => base64ToBytes('not base64!')).toThrow();
  });
});

describe('toArrayBuffer', () => {
  it('returns the buffer itself when the view covers all of it', () => {
    const b = new Uint8Array([1, 2, 3]);
    expect(toArrayBuffer(b)).toBe(b.buffer);
  });
  it('copies exactly the bytes of a partial view', () => {
    const whole = new Uint8Array([0, 1, 2, 3, 4, 5]);
    const ab = toArrayBuffer(whole.subarray(2, 5));
    expect(ab).not.toBe(whole.buffer);
    expect([...new Uint8Array(ab)]).toEqual([2, 3, 4]);
  });
});

describe('utf8ByteLength', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['\u07ff', 2],
    ['\u0800', 3],
    ['€', 3],
    ['\uffff', 3],
    ['😀', 4],
    ['a€😀', 8],
    ['\ud800', 3], // lone high surrogate at the end → U+FFFD
    ['\ud800x', 4], // lone high surrogate followed by a non-surrogate
    ['\ud800\ud800', 6], // two high surrogates
    ['\udc00', 3], // lone low surrogate
    ['\udc00\ud800', 6], // reversed pair: two lone surrogates
    ['\ud83d\ude00\ud83d', 7], // a pair then a lone high surrogate
  ])('%j is %i bytes', (text, expected) => {
    expect(utf8ByteLength(text)).toBe(expected);
    // Node's encoder agrees (it encodes lone surrogates as U+FFFD too).
    expect(Buffer.byteLength(text, 'utf8')).toBe(expected);
  });

  it('agrees with Buffer on random strings with surrogates', () => {
    const units = [0x41, 0xe9, 0x20ac, 0xd83d, 0xde00, 0xdbff, 0xdc00, 0xffff, 0x7ff, 0x800];
    const r = bytes(5000, 9);
    let text = '';
    for (const b of r) text += String.fromCharCode(units[b % units.length]);
    expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });
});

describe('toWellFormed', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['😀', '😀'],
    ['x\ud800y', 'x\ufffdy'],
    ['\udc00', '\ufffd'],
    ['\ud800', '\ufffd'],
    ['\ud83d\ude00\ud83d', '😀\ufffd'],
    ['\udc00\ud800', '\ufffd\ufffd'],
    ['a\ud800\ud83d\ude00b', 'a\ufffd😀b'],
  ];
  it.each(cases)('%j → %j (native)', (input, expected) => {
    expect(toWellFormed(input)).toBe(expected);
  });
  it.each(cases)('%j → %j (fallback)', (input, expected) => {
    override(String.prototype, 'toWellFormed', undefined);
    expect(toWellFormed(input)).toBe(expected);
  });
  it('returns the same string when nothing needs replacing (fallback)', () => {
    override(String.prototype, 'toWellFormed', undefined);
    const s = 'already fine 😀'.repeat(10);
    expect(toWellFormed(s)).toBe(s);
  });
});

function frame(payload: string, encoding: 'text' | 'base64', extra: Partial<WireFrameEvent> = {}): WireFrameEvent {
  return {
    k: 'frame', connectionId: 'c1', seq: 5, time: 1000.25, dir: 'send', opcode: encoding === 'text' ? 1 : 2, encoding, payload,
    size: 0, origin: 'page', status: 'sent', ...extra,
  };
}
const asParts = (events: WireEvent[]) => events as WireFramePartEvent[];

describe('sliceEnd', () => {
  it('ends a slice before a high surrogate whose low half would fall in the next slice', () => {
    const text = 'ab\u{1F600}cd'; // a, b, high, low, c, d
    expect(sliceEnd(text, 0, 3)).toBe(2);
    expect(sliceEnd(text, 0, 4)).toBe(4);
    expect(sliceEnd(text, 2, 2)).toBe(4);
    expect(sliceEnd(text, 4, 10)).toBe(6);
    // A one-unit slice cannot move back without going nowhere.
    expect(sliceEnd(text, 2, 1)).toBe(3);
  });
});

describe('splitFrame / joinFrameParts', () => {
  it('leaves a frame at or under the limit alone', () => {
    const f = frame('x'.repeat(10), 'text');
    expect(splitFrame(f, 10)).toEqual([f]);
  });

  it('cuts base64 on 4-character boundaries, so every part decodes on its own, and joins back', () => {
    const data = bytes(1000, 4);
    const f = frame(Buffer.from(data).toString('base64'), 'base64', { size: data.length, note: 'kept' });
    const parts = asParts(splitFrame(f, 10)); // 10 → steps of 8 characters
    expect(parts.length).toBeGreaterThan(2);
    const chunks = parts.slice(0, -1);
    for (const p of chunks.slice(0, -1)) expect(p.payload.length).toBe(8);
    const decoded = Buffer.concat(chunks.map((p) => Buffer.from(p.payload, 'base64')));
    expect(decoded.equals(Buffer.from(data))).toBe(true);
    // Numbered in order; the last part carries the metadata and no payload.
    parts.forEach((p, i) => expect([p.k, p.index, p.count, p.seq, p.connectionId]).toEqual(['frame-part', i, parts.length, 5, 'c1']));
    const last = parts[parts.length - 1];
    expect(last.payload).toBe('');
    expect(last.frame).toEqual({ ...f, payload: '' });
    expect(joinFrameParts(parts)).toEqual(f);
  });

  it('never cuts a surrogate pair, even when a pair lands on every boundary', () => {
    const text = 'ab😀'.repeat(50) + '😀😀😀';
    for (const max of [2, 3, 4, 5, 7]) {
      const parts = asParts(splitFrame(frame(text, 'text'), max));
      for (const p of parts) {
        expect(p.payload.length).toBeLessThanOrEqual(max);
        if (p.payload.length > 0) {
          const lastUnit = p.payload.charCodeAt(p.payload.length - 1);
          expect(lastUnit >= 0xd800 && lastUnit <= 0xdbff, `part ${p.index} of max ${max} ends in a high surrogate`).toBe(false);
          const firstUnit = p.payload.charCodeAt(0);
          expect(firstUnit >= 0xdc00 && firstUnit <= 0xdfff, `part ${p.index} of max ${max} starts with a low surrogate`).toBe(false);
        }
      }
      expect(joinFrameParts(parts).payload).toBe(text);
    }
  });

  it('keeps a pair straddling the default 1 Mi-character boundary together', () => {
    const text = 'a'.repeat(MAX_PART_CHARS - 1) + '😀' + 'tail';
    const parts = asParts(splitFrame(frame(text, 'text')));
    expect(parts).toHaveLength(3);
    expect(parts[0].payload.length).toBe(MAX_PART_CHARS - 1);
    expect(parts[1].payload).toBe('😀tail');
    expect(joinFrameParts(parts).payload).toBe(text);
  });

  it('refuses missing, surplus or out-of-order parts', () => {
    const parts = asParts(splitFrame(frame('abcdefghij', 'text'), 3)); // 4 chunks + closing part
    expect(parts).toHaveLength(5);
    expect(() => joinFrameParts(parts.slice(1))).toThrow(/expected 5 parts, got 4/);
    expect(() => joinFrameParts(parts.slice(0, -1))).toThrow(/expected/);
    expect(() => joinFrameParts([parts[1], parts[0], ...parts.slice(2)])).toThrow(/out of order/);
    expect(() => joinFrameParts([])).toThrow();
  });
});

describe('toWireEvents', () => {
  const base = { socketId: 's', seq: 3, time: 12.5 };
  it('encodes text with its UTF-8 size, as the browser sends it', () => {
    const event: PageEvent = { k: 'frame', ...base, dir: 'send', data: 'x\ud800€', origin: 'page', status: 'refused', note: 'no' };
    expect(toWireEvents(event, 'conn')).toEqual([
      { k: 'frame', connectionId: 'conn', seq: 3, time: 12.5, dir: 'send', origin: 'page', status: 'refused', opcode: 1, encoding: 'text', payload: 'x\ufffd€', size: 7, note: 'no' },
    ]);
  });

  it('encodes an ArrayBuffer as base64 with its byte size', () => {
    const event: PageEvent = { k: 'frame', ...base, dir: 'receive', data: new Uint8Array([1, 2, 255]).buffer, origin: 'page', status: 'sent' };
    expect(toWireEvents(event, 'conn')).toEqual([
      { k: 'frame', connectionId: 'conn', seq: 3, time: 12.5, dir: 'receive', origin: 'page', status: 'sent', opcode: 2, encoding: 'base64', payload: 'AQL/', size: 3 },
    ]);
  });

  it('refuses a Blob (the relay reads it first)', () => {
    const event: PageEvent = { k: 'frame', ...base, dir: 'send', data: new Blob(['x']), origin: 'page', status: 'sent' };
    expect(() => toWireEvents(event, 'conn')).toThrow(/Blob/);
  });

  it('cuts a large frame into parts', () => {
    const event: PageEvent = { k: 'frame', ...base, dir: 'send', data: 'y'.repeat(25), origin: 'page', status: 'sent' };
    const events = toWireEvents(event, 'conn', 10);
    expect(events.map((e) => e.k)).toEqual(['frame-part', 'frame-part', 'frame-part', 'frame-part']);
    expect(joinFrameParts(asParts(events))).toMatchObject({ payload: 'y'.repeat(25), size: 25, seq: 3 });
  });

  it('maps lifecycle events to their connection', () => {
    expect(toWireEvents({ k: 'connect', socketId: 's', url: 'ws://x/', protocols: ['a'], frameUrl: 'about:blank', time: 1 }, 'conn')).toEqual([
      { k: 'connect', connectionId: 'conn', url: 'ws://x/', protocols: ['a'], frameUrl: 'about:blank', time: 1 },
    ]);
    expect(toWireEvents({ k: 'open', ...base, protocol: 'p', extensions: 'permessage-deflate' }, 'conn')).toEqual([
      { k: 'open', connectionId: 'conn', seq: 3, time: 12.5, protocol: 'p', extensions: 'permessage-deflate' },
    ]);
    expect(toWireEvents({ k: 'error', ...base }, 'conn')).toEqual([{ k: 'error', connectionId: 'conn', seq: 3, time: 12.5 }]);
    expect(toWireEvents({ k: 'close', ...base, code: 4000, reason: 'r', wasClean: false }, 'conn')).toEqual([
      { k: 'close', connectionId: 'conn', seq: 3, time: 12.5, code: 4000, reason: 'r', wasClean: false },
    ]);
  });
});
