import { describe, expect, it } from 'vitest';
import { PLAIN_CODES, exactPayload, isLargePayload, isPlainFrame } from '@/lib/relay/page-frames';
import { PLAIN_PAYLOAD_MAX, frameCodeOf, type PageFrameEvent } from '@/lib/shared/protocol';

const frame = (data: PageFrameEvent['data'], extra: Partial<PageFrameEvent> = {}): PageFrameEvent => ({ k: 'frame', socketId: 's', seq: 1, time: 1, dir: 'send', data, origin: 'page', status: 'sent', ...extra });

describe('page frames', () => {
  it('tells plain frames (rows) from frames with a note, rule or original', () => {
    expect(isPlainFrame(frame('x'))).toBe(true);
    expect(isPlainFrame(frame('x', { note: 'n' }))).toBe(false);
    expect(isPlainFrame(frame('x', { original: 'y' }))).toBe(false);
  });

  it('large means over PLAIN_PAYLOAD_MAX, or sent in pieces', () => {
    expect(isLargePayload(frame('x'.repeat(PLAIN_PAYLOAD_MAX)))).toBe(false);
    expect(isLargePayload(frame('x'.repeat(PLAIN_PAYLOAD_MAX + 1)))).toBe(true);
    expect(isLargePayload(frame(new ArrayBuffer(PLAIN_PAYLOAD_MAX + 1)))).toBe(true);
    expect(isLargePayload(frame('', { pieces: 2 }))).toBe(true);
  });

  it('cuts a frame in a reused buffer to its own bytes, except a large plain one (the Blob reads just those)', () => {
    const small = exactPayload(frame(new ArrayBuffer(100), { byteLength: 10 }));
    expect((small.data as ArrayBuffer).byteLength).toBe(10);
    expect(small.byteLength).toBeUndefined();
    const large = frame(new ArrayBuffer(PLAIN_PAYLOAD_MAX + 100), { byteLength: PLAIN_PAYLOAD_MAX + 1 });
    expect(exactPayload(large)).toBe(large);
    const impossible = exactPayload(frame(new ArrayBuffer(10), { byteLength: 50 }));
    expect((impossible.data as ArrayBuffer).byteLength).toBe(10);
    const plain = frame('x');
    expect(exactPayload(plain)).toBe(plain);
  });

  it('lists the codes a row can carry: text as text, binary as raw bytes', () => {
    expect(PLAIN_CODES[frameCodeOf('send', 1, 'page', 'sent')]).toBe(true);
    expect(PLAIN_CODES[frameCodeOf('receive', 2, 'page', 'sent')]).toBe(true);
    // Bit 2 repeats bit 1 in every code frameCodeOf makes: a code where they differ is no row's.
    expect(PLAIN_CODES[frameCodeOf('receive', 1, 'page', 'sent') | 4]).toBe(false);
    expect(PLAIN_CODES[frameCodeOf('receive', 2, 'page', 'sent') & ~4]).toBe(false);
  });
});
