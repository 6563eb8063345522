import { afterEach, describe, expect, it } from 'vitest';
import { FLUSH_EVENT_COUNT, MAX_UNDELIVERED_EVENTS, outgoingBatch } from '@/lib/page/batch';
import { binaryReader } from '@/lib/page/binary';
import { saveNatives } from '@/lib/page/natives';
import { ownObjects } from '@/lib/page/own-objects';
import type { SocketState } from '@/lib/page/socket-state';
import { cutIntoPieces } from '@/lib/page/text-pieces';
import { NAMESPACE, PACKED_EXTRA, PLAIN_PAYLOAD_MAX, TEXT_PIECE_MAX } from '@/lib/shared/protocol';
import { fakeWindow } from './fake-window';

const channels: MessageChannel[] = [];
afterEach(() => channels.splice(0).forEach((c) => (c.port1.close(), c.port2.close())));

function setUp(connected = true) {
  const win = fakeWindow();
  const natives = saveNatives(win, win.WebSocket);
  const own = ownObjects(natives);
  const batch = outgoingBatch(natives, own, binaryReader(natives, own));
  const received: any[] = [];
  const channel = new MessageChannel();
  channels.push(channel);
  channel.port2.onmessage = (e) => received.push(e.data);
  if (connected) batch.connect(channel.port1);
  const next = () => new Promise<any>((resolve) => channel.port2.addEventListener('message', (e) => resolve(e.data), { once: true }));
  return { natives, batch, received, next, port: channel.port1 };
}

const socket = (id: string): SocketState => ({ id, seq: 0, url: 'ws://x/', batchNumber: 0, batchIndex: 0 });

describe('the outgoing batch', () => {
  it('posts rows, the socket ids they point at, texts back to back, bytes and whole events', async () => {
    const { batch, next } = setUp();
    const a = socket('a');
    const b = socket('b');
    batch.addRow(1, batch.batchIndexOf(a), 1, 10, 3);
    batch.addText('abc');
    batch.addRow(3, batch.batchIndexOf(b), 1, 11, 2);
    batch.addBytes(new Uint8Array([7, 8]), 2);
    batch.addRow(1, batch.batchIndexOf(a), 2, 12, 1);
    batch.addText('d');
    batch.enqueue({ k: 'error', socketId: 'b', seq: 2, time: 13 });
    expect(batch.eventCount()).toBe(4);
    const posted = next();
    batch.flush();
    const msg = await posted;
    expect(msg).toMatchObject({ ns: NAMESPACE, type: 'page-events', ids: { 0: 'a', 1: 'b' }, text: 'abcd' });
    expect([...msg.rows]).toEqual([1, 0, 1, 10, 3, 3, 1, 1, 11, 2, 1, 0, 2, 12, 1, PACKED_EXTRA, 0, 0, 0, 0]);
    expect([...new Uint8Array(msg.binary, 0, 2)]).toEqual([7, 8]);
    expect(msg.events[0]).toMatchObject({ k: 'error', socketId: 'b' });
    expect(batch.eventCount()).toBe(0);
    // A new batch numbers its sockets afresh.
    batch.addRow(1, batch.batchIndexOf(b), 3, 14, 0);
    expect(b.batchIndex).toBe(0);
  });

  it('flushes at once when FLUSH_EVENT_COUNT events are queued', () => {
    const { batch } = setUp();
    const a = socket('a');
    for (let i = 0; i < FLUSH_EVENT_COUNT - 1; i++) {
      batch.addRow(1, batch.batchIndexOf(a), i, 0, 0);
      batch.counted(0);
    }
    expect(batch.eventCount()).toBe(FLUSH_EVENT_COUNT - 1);
    batch.addRow(1, batch.batchIndexOf(a), 0, 0, 0);
    batch.counted(0);
    expect(batch.eventCount()).toBe(0);
  });

  it('without a relay, keeps at most MAX_UNDELIVERED_EVENTS events', () => {
    const { batch } = setUp(false);
    const a = socket('a');
    for (let i = 0; i <= MAX_UNDELIVERED_EVENTS; i++) {
      batch.addRow(1, batch.batchIndexOf(a), i, 0, 0);
      batch.counted(0);
    }
    expect(batch.eventCount()).toBe(0);
    batch.flush(); // nothing to post to: no throw
  });

  it('posts a large text after its batch in pieces, and counts them on the frame', async () => {
    const { batch, received } = setUp();
    const text = 'x'.repeat(PLAIN_PAYLOAD_MAX + 1);
    batch.enqueue({ k: 'frame', socketId: 'a', seq: 1, time: 0, dir: 'send', data: text, origin: 'page', status: 'sent' });
    batch.flush();
    const pieces = Math.ceil(text.length / TEXT_PIECE_MAX);
    await new Promise<void>((resolve) => {
      const check = () => (received.length === 1 + pieces ? resolve() : setTimeout(check, 5));
      check();
    });
    expect(received[0].events[0]).toMatchObject({ data: '', pieces });
    const texts = await Promise.all(received.slice(1).map((m) => (m.type === 'page-text-piece' ? (m.piece as Blob).text() : '')));
    expect(texts.join('')).toBe(text);
  });

  it('keeps the biggest spare buffer the relay hands back, and gives it out once', () => {
    const { batch } = setUp();
    batch.offerSpare(new ArrayBuffer(10));
    batch.offerSpare(new ArrayBuffer(5));
    batch.offerSpare('not a buffer');
    expect(batch.takeSpare(11)).toBeUndefined();
    expect(batch.takeSpare(10)?.byteLength).toBe(10);
    expect(batch.takeSpare(1)).toBeUndefined();
  });

  it('sends a notice after the frames recorded before it', async () => {
    const { batch, received } = setUp();
    batch.addRow(1, batch.batchIndexOf(socket('a')), 1, 0, 0);
    batch.postNotice({ kind: 'released', holdId: 'h', connectionId: 'a', outcome: 'dropped' });
    await new Promise((r) => setTimeout(r, 10));
    expect(received.map((m) => m.type)).toEqual(['page-events', 'page-notice']);
  });
});

describe('cutIntoPieces', () => {
  it('cuts at TEXT_PIECE_MAX but never inside a surrogate pair', () => {
    const win = fakeWindow();
    const natives = saveNatives(win, win.WebSocket);
    const text = 'a'.repeat(TEXT_PIECE_MAX - 1) + '\u{1F600}' + 'b';
    const out: string[] = [];
    cutIntoPieces(natives, text, out);
    expect(out.map((p) => p.length)).toEqual([TEXT_PIECE_MAX - 1, 3]);
    expect(out.join('')).toBe(text);
  });
});
