// CaptureRelay carrying the hook's batches: page order across Blobs being read, plain rows passed on as they came,
// buffers handed back to the hook, large frames built into Blobs a slice per task, and the weight sent per task.
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_WEIGHT } from '@/lib/relay/capture-relay';
import { NAMESPACE, PACKED_EXTRA, PLAIN_PAYLOAD_MAX, frameCodeOf, type PageEvent } from '@/lib/shared/protocol';
import { LARGE_SLICE } from '@/lib/shared/packed-batch';
import { connect, page, payloads, plainRows, setup, text, welcome } from './capture-relay-fixtures';

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('CaptureRelay', () => {
  it('keeps page order across a Blob that is read asynchronously', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const blobFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: new Blob([new Uint8Array([1, 2, 3])]), origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), blobFrame, text(3, 'after')));
    t.relay.acceptPageMessage(page(text(4, 'next message')));
    t.runTimers();
    // Nothing after the Blob may overtake it while it is being read.
    const sentSoFar = t.port().batches().flatMap((b) => payloads(b.events));
    expect(sentSoFar).toEqual(['connect', 'before']);
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const all = t.port().batches().flatMap((b) => b.events);
    expect(payloads(all)).toEqual(['connect', 'before', 'AQID', 'after', 'next message']);
    expect(all[2]).toMatchObject({ k: 'frame', seq: 2, opcode: 2, encoding: 'bytes', size: 3 });
  });

  it('carries the hook\'s plain text rows into the batch with their seq, time and text, no object per frame', () => {
    const t = setup();
    t.port().deliver(welcome());
    t.relay.acceptPageMessage(page(connect()));
    t.relay.acceptPageMessage(plainRows('s1', [[1, 'héllo'], [2, ''], [3, '{"a":1}']]));
    t.runTimers();
    // Each hook batch is posted on at once: the connect event, then the rows, which travel as no objects at all.
    const [first, second] = t.port().batches();
    expect(first.packed.extra).toHaveLength(1);
    expect(second.packed.extra).toHaveLength(0);
    expect(second.events).toEqual([1, 2, 3].map((seq, i) => ({
      k: 'frame', connectionId: 's1', seq, time: seq, dir: 'send', opcode: 1, encoding: 'text',
      payload: ['héllo', '', '{"a":1}'][i], size: [6, 0, 7][i], origin: 'page', status: 'sent',
    })));
  });

  it('passes a hook batch of plain rows and simple events on as it came: same rows, same text, same bytes', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const sendCode = frameCodeOf('send', 1, 'page', 'sent');
    const binaryCode = frameCodeOf('receive', 2, 'page', 'sent');
    const rows = Float64Array.from([
      PACKED_EXTRA, 0, 0, 0, 0,
      sendCode, 0, 1, 10.25, 2,
      binaryCode, 0, 2, 11.5, 3,
      sendCode, 1, 1, 12, 3,
      PACKED_EXTRA, 1, 0, 0, 0,
    ]);
    const open: PageEvent = { k: 'open', socketId: 's1', seq: 3, time: 13, protocol: '', extensions: '' };
    t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-events', ids: ['s1', 's2', 'unused'], rows, text: 'hiabc', binary: new Uint8Array([1, 2, 255]).buffer, events: [connect('s1'), open] });
    const [batch] = t.port().posted.filter((m) => m.type === 'batch');
    expect(batch.packed.rows).toEqual(rows);
    // Passed on, not rebuilt: a rebuilt batch would list only the ids its rows use.
    expect(batch.packed.ids).toEqual(['s1', 's2', 'unused']);
    expect(batch.packed.payloads).toBe('hiabc');
    const [read] = await t.port().readBatches();
    expect(payloads(read.events)).toEqual(['connect', 'hi', 'AQL/', 'abc', 'open']);
    expect(read.events[2]).toMatchObject({ connectionId: 's1', seq: 2, time: 11.5, dir: 'receive', size: 3 });
    expect(read.events[3]).toMatchObject({ connectionId: 's2', seq: 1, time: 12 });
    // The connect in a passed-on batch still tells the relay which sockets are this frame's.
    t.port().deliver({ type: 'command', requestId: 'r1', command: { kind: 'send', connectionId: 's1', encoding: 'text', payload: 'x' } });
    expect(t.toPage.filter((m) => m.type === 'command')).toHaveLength(1);
  });

  it('hands a big batch buffer back to the hook once its bytes are in a Blob, and keeps a small one it still posts', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const code = frameCodeOf('receive', 2, 'page', 'sent');
    const bigBatch = (seq: number, size: number, capacity: number) => {
      const buffer = new ArrayBuffer(capacity); // the hook's buffer: longer than the bytes its rows count
      new Uint8Array(buffer, 0, size).fill(seq);
      return { ns: NAMESPACE, type: 'page-events', ids: ['s1'], rows: Float64Array.from([code, 0, seq, seq, size]), text: '', binary: buffer, events: [] };
    };
    const big = bigBatch(1, 70_000, 100_000);
    t.relay.acceptPageMessage(big);
    const spare = t.toPage.filter((m) => m.type === 'spare-buffer');
    expect(spare).toHaveLength(1);
    expect((spare[0] as { buffer: ArrayBuffer }).buffer.byteLength).toBe(100_000);
    expect(big.binary.byteLength).toBe(0); // transferred
    t.relay.acceptPageMessage(bigBatch(2, 10, 1 << 16)); // small: posted as a slice, so the buffer could go back too
    t.relay.acceptPageMessage(bigBatch(3, 10, 10)); // a small buffer, posted as it is: not handed back
    expect(t.toPage.filter((m) => m.type === 'spare-buffer')).toHaveLength(2);
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.map((e) => ('size' in e ? e.size : 0))).toEqual([70_000, 10, 10]);
    expect(payloads(events)[0]).toBe(Buffer.alloc(70_000, 1).toString('base64'));
  });

  it('rebuilds a hook batch row by row when its rows do not agree with its payloads, skipping rows it cannot read', () => {
    const t = setup();
    t.port().deliver(welcome());
    const sendCode = frameCodeOf('send', 1, 'page', 'sent');
    const rows = Float64Array.from([sendCode, 0, 1, 1, 2, 999, 0, 2, 2, 1, sendCode, 0, 3, 3, 1]);
    t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-events', ids: ['s1'], rows, text: 'abc', events: [] });
    const [batch] = t.port().batches();
    expect(payloads(batch.events)).toEqual(['ab', 'c']);
    expect(batch.events.map((e) => ('seq' in e ? e.seq : 0))).toEqual([1, 3]);
  });

  it('plain rows wait behind a Blob being read, in page order', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const blobFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: new Blob([new Uint8Array([1, 2, 3])]), origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), blobFrame));
    t.relay.acceptPageMessage(plainRows('s1', [[3, 'after'], [4, 'later']]));
    t.runTimers();
    expect(t.port().batches().flatMap((b) => payloads(b.events))).toEqual(['connect', 'before']);
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const all = t.port().batches().flatMap((b) => b.events);
    expect(payloads(all)).toEqual(['connect', 'before', 'AQID', 'after', 'later']);
    expect(all.map((e) => ('seq' in e ? e.seq : 0))).toEqual([0, 1, 2, 3, 4]);
  });

  it('a Blob that cannot be read is stored empty with a note, and order is kept', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const unreadable = { arrayBuffer: () => Promise.reject(new Error('gone')) } as unknown as Blob;
    const frame: PageEvent = { k: 'frame', socketId: 's1', seq: 1, time: 1, dir: 'send', data: unreadable, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), frame, text(2, 'after')));
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const all = t.port().batches().flatMap((b) => b.events);
    expect(payloads(all)).toEqual(['connect', '', 'after']);
    expect(all[1]).toMatchObject({ size: 0, note: expect.stringContaining('gone') });
  });

  it('sends large frames as Blobs built a slice per task, in page order, and the background reads them back exactly', async () => {
    const t = setup();
    t.port().deliver(welcome());
    // A surrogate pair straddles the first slice boundary; the binary frame is not a whole number of slices.
    const big = 'z'.repeat(LARGE_SLICE - 1) + '😀' + 'é'.repeat(PLAIN_PAYLOAD_MAX);
    const bytes = Uint8Array.from({ length: PLAIN_PAYLOAD_MAX + 3 * LARGE_SLICE + 7 }, (_, i) => (i * 7) & 255);
    const binary: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: bytes.slice().buffer, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), text(1, big), binary, text(3, 'small')));
    t.relay.acceptPageMessage(plainRows('s1', [[4, 'row after']]));
    // Nothing after a large frame overtakes it while its Blob is being built.
    expect((await t.port().readBatches()).flatMap((b) => b.events).map((e) => e.k)).toEqual(['connect']);
    // One slice per task: the text is 4 slices, the binary 6, the first slice of each where it starts; the binary's
    // is begun on arrival, beside the text's, so 5 rounds of timers.
    expect(t.runTimers()).toBe(5);
    const batches = await t.port().readBatches();
    for (const b of batches) for (const blob of b.packed.large) expect(blob).toBeInstanceOf(Blob);
    const events = batches.flatMap((b) => b.events);
    expect(events.map((e) => (e.k === 'frame' ? e.seq : e.k))).toEqual(['connect', 1, 2, 3, 4]);
    expect(events[1]).toMatchObject({ k: 'frame', opcode: 1, encoding: 'text', dir: 'send', size: new TextEncoder().encode(big).byteLength });
    expect((events[1] as { payload: string }).payload === big).toBe(true);
    expect(events[2]).toMatchObject({ k: 'frame', opcode: 2, encoding: 'bytes', dir: 'receive', size: bytes.byteLength });
    expect(payloads(events)[2]).toBe(Buffer.from(bytes).toString('base64'));
    expect(events[3]).toMatchObject({ payload: 'small' });
    expect(events[4]).toMatchObject({ payload: 'row after' });
  });

  it('a large frame in a reused buffer bigger than it sends only its own bytes, and the buffer goes back to the hook', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const length = PLAIN_PAYLOAD_MAX + LARGE_SLICE + 3;
    const buffer = Uint8Array.from({ length: length + 1000 }, (_, i) => (i * 13) & 255).buffer;
    const reused: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: buffer, byteLength: length, origin: 'page', status: 'sent' };
    const original = buffer.slice(0);
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), reused));
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events[2]).toMatchObject({ k: 'frame', seq: 2, size: length });
    expect(payloads(events)[2]).toBe(Buffer.from(original, 0, length).toString('base64'));
    // Handed back once its Blob is made: the hook copies its next large frame into memory it has touched.
    expect(t.toPage.filter((m) => m.type === 'spare-buffer').map((m) => (m as { buffer: ArrayBuffer }).buffer)).toEqual([original]);
    expect(buffer.byteLength).toBe(0);
  });

  it('begins a large binary frame\'s Blob on arrival, so its buffer goes back while a large text before it still waits for pieces', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const textFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 1, time: 1, dir: 'send', data: '', pieces: 1, origin: 'page', status: 'sent' };
    const bytes = Uint8Array.from({ length: PLAIN_PAYLOAD_MAX + 1 }, (_, i) => i & 255);
    const buffer = bytes.slice().buffer;
    const binaryFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: buffer, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), textFrame, binaryFrame));
    t.runTimers();
    expect(t.toPage.filter((m) => m.type === 'spare-buffer').map((m) => (m as { buffer: ArrayBuffer }).buffer)).toEqual([bytes.buffer]);
    expect((await t.port().readBatches()).flatMap((b) => b.events).map((e) => e.k)).toEqual(['connect']); // still in order
    expect(buffer.byteLength).toBe(0); // transferred back: the frame's bytes are in its Blob already
    const text = 'ü'.repeat(PLAIN_PAYLOAD_MAX + 1);
    t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-text-piece', piece: new Blob([text]) });
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.map((e) => (e.k === 'frame' ? e.seq : e.k))).toEqual(['connect', 1, 2]);
    expect((events[1] as { payload: string }).payload === text).toBe(true);
    expect(payloads(events)[2]).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('a frame claiming a byteLength it cannot have, or one with a note, keeps exactly its own bytes and is not handed back', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const buffer = Uint8Array.from({ length: 2000 }, (_, i) => i & 255).buffer;
    const noted: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'send', data: buffer.slice(0), byteLength: 1000, origin: 'page', status: 'refused', note: 'closed' };
    const tooLong: PageEvent = { k: 'frame', socketId: 's1', seq: 3, time: 3, dir: 'send', data: buffer.slice(0), byteLength: 5000, origin: 'page', status: 'sent' };
    t.relay.acceptPageMessage(page(connect(), noted, tooLong));
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.slice(1).map((e) => (e.k === 'frame' ? [e.seq, e.size] : e.k))).toEqual([[2, 1000], [3, 2000]]);
    expect(t.toPage.filter((m) => m.type === 'spare-buffer')).toEqual([]);
  });

  it('joins a large text that arrives in pieces after its frame, even while an earlier Blob is still being read', async () => {
    const t = setup();
    t.port().deliver(welcome());
    const blobFrame: PageEvent = { k: 'frame', socketId: 's1', seq: 2, time: 2, dir: 'receive', data: new Blob([new Uint8Array([9])]), origin: 'page', status: 'sent' };
    const large: PageEvent = { k: 'frame', socketId: 's1', seq: 3, time: 3, dir: 'receive', data: '', pieces: 2, origin: 'page', status: 'sent' };
    const pieces = ['a'.repeat(PLAIN_PAYLOAD_MAX) + '😀', 'é'.repeat(1000)];
    t.relay.acceptPageMessage(page(connect(), text(1, 'before'), blobFrame, large, text(4, 'after')));
    for (const piece of pieces) t.relay.acceptPageMessage({ ns: NAMESPACE, type: 'page-text-piece', piece: new Blob([piece]) });
    t.relay.acceptPageMessage(plainRows('s1', [[5, 'row after']]));
    for (let i = 0; i < 5; i++) await tick();
    t.runTimers();
    const events = (await t.port().readBatches()).flatMap((b) => b.events);
    expect(events.map((e) => (e.k === 'frame' ? e.seq : e.k))).toEqual(['connect', 1, 2, 3, 4, 5]);
    expect(events[3]).toMatchObject({ k: 'frame', opcode: 1, encoding: 'text', dir: 'receive', size: new TextEncoder().encode(pieces.join('')).byteLength });
    expect((events[3] as { payload: string }).payload === pieces.join('')).toBe(true);
  });

  it('sends at most about one batch weight per task, and the rest on the next timer', () => {
    const t = setup();
    const chunk = 'q'.repeat(MAX_BATCH_WEIGHT / 2);
    t.port().deliver(welcome());
    // Three sealed batches' worth of events in one task.
    t.relay.acceptPageMessage(page(connect(), text(1, chunk), text(2, chunk), text(3, chunk), text(4, chunk)));
    const firstTask = t.port().batches().length;
    expect(firstTask).toBeGreaterThanOrEqual(1);
    t.runTimers();
    const all = t.port().batches();
    expect(all.length).toBeGreaterThan(firstTask);
    expect(all.flatMap((b) => b.events).filter((e) => e.k === 'frame')).toHaveLength(4);
  });
});
