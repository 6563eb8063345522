import { describe, expect, it } from 'vitest';
import { BLOB_MIN_BYTES, PackedBatchBuilder, blobInSlices, PackedBatchError, packWireEvents, unpackBatch, withLargeTextBytes, type PackedBatch } from '@/lib/shared/packed-batch';
import { frameCodeOf, type BlobBytes, type WireEvent, type WireFrameEvent } from '@/lib/shared/protocol';
import { splitFrame, utf8ByteLength } from '@/lib/shared/wire';

const T = 1_764_000_000_123.4567;

function frame(seq: number, payload: string, over: Partial<WireFrameEvent> = {}): WireFrameEvent {
  const encoding = over.encoding ?? 'text';
  return {
    k: 'frame',
    connectionId: 'c1',
    seq,
    time: T + seq * 0.1234567,
    dir: 'send',
    opcode: encoding === 'text' ? 1 : 2,
    encoding,
    payload,
    size: encoding === 'text' ? utf8ByteLength(payload) : Buffer.from(payload, 'base64').length,
    origin: 'page',
    status: 'sent',
    ...over,
  };
}

describe('packed batches', () => {
  it('round-trips every kind of event, in order, with exact times and sizes', () => {
    const events: WireEvent[] = [
      { k: 'connect', connectionId: 'c1', url: 'wss://x/', protocols: ['a'], frameUrl: 'https://p/', time: T },
      { k: 'open', connectionId: 'c1', seq: 1, time: T + 1, protocol: 'a', extensions: '' },
      frame(2, 'héllo 👋'),
      frame(3, '', { dir: 'receive' }),
      frame(4, 'AAEC/w==', { encoding: 'base64', dir: 'receive', origin: 'simulated' }),
      frame(5, 'x', { connectionId: 'c2', origin: 'inspector', status: 'blocked' }),
      frame(6, 'noted', { status: 'refused', note: 'InvalidStateError' }),
      frame(7, 'changed', { rule: 'r1', original: { encoding: 'text', payload: 'orig' } }),
      frame(8, 'AQ==', { encoding: 'base64', status: 'dropped' }),
      { k: 'error', connectionId: 'c1', seq: 9, time: T + 9 },
      { k: 'close', connectionId: 'c1', seq: 10, time: T + 10, code: 4000, reason: 'bye', wasClean: true },
    ];
    const packed = structuredClone(packWireEvents(events));
    expect(packed.count).toBe(events.length);
    expect(unpackBatch(packed)).toEqual(events);
  });

  it('keeps frame parts whole and in place', () => {
    const big = frame(1, 'y'.repeat(50));
    const events = [frame(0, 'before'), ...splitFrame(big, 16), frame(2, 'after')];
    expect(unpackBatch(packWireEvents(events))).toEqual(events);
  });

  it('carries plain frames as columns, not objects', () => {
    const packed = packWireEvents([frame(1, 'a'), frame(2, 'bc'), frame(3, 'def')]);
    expect(packed.extra).toEqual([]);
    expect(packed.payloads).toBe('abcdef');
  });

  it('keeps every code unit of the payloads, except that text is made well-formed as send() does', () => {
    const odd = '\ud800x\udfff\u0000"\\';
    const out = unpackBatch(structuredClone(packWireEvents([frame(1, odd), frame(2, 'z')]))) as WireFrameEvent[];
    expect(out.map((e) => e.payload)).toEqual(['\ufffdx\ufffd\u0000"\\', 'z']);
    expect(out[0].size).toBe(3 + 1 + 3 + 1 + 1 + 1);
  });

  it('carries binary rows as raw bytes, in order with text rows, and unpacks them as raw bytes with exact sizes', async () => {
    const builder = new PackedBatchBuilder();
    const binaryCode = frameCodeOf('receive', 2, 'page', 'sent');
    const textCode = frameCodeOf('send', 1, 'page', 'sent');
    const big = new Uint8Array(100_000).map((_, i) => i * 7);
    builder.addBinaryFrame('c1', binaryCode, 1, T, new Uint8Array([0, 1, 2, 255]));
    builder.addFrame('c1', textCode, 2, T + 1, 'between');
    builder.addBinaryFrame('c2', binaryCode, 1, T + 2, new Uint8Array(0));
    builder.addBinaryFrame('c1', binaryCode, 3, T + 3, big.subarray(10)); // a view: only its bytes
    const sealed = builder.seal();
    expect(sealed.binary).toBeInstanceOf(Blob); // at least BLOB_MIN_BYTES
    expect((sealed.binary as Blob).size).toBe(4 + 0 + 99_990);
    expect(sealed.payloads).toBe('between');
    const cloned = structuredClone(sealed);
    expect(await withLargeTextBytes(cloned)).toBe(cloned); // no large text: nothing to read
    const out = unpackBatch(cloned) as WireFrameEvent[];
    expect(out.map((e) => [e.connectionId, e.seq, e.opcode, e.encoding, e.size])).toEqual([
      ['c1', 1, 2, 'bytes', 4],
      ['c1', 2, 1, 'text', 7],
      ['c2', 1, 2, 'bytes', 0],
      ['c1', 3, 2, 'bytes', 99_990],
    ]);
    // Unpacked as ranges of the batch's Blob, unread: no base64, and no copy in the background, before they are stored.
    expect(out.map((e) => e.payload)).toEqual(['', 'between', '', '']);
    const ranges = out.map((e) => e.bytes as BlobBytes | undefined);
    expect(ranges.map((r) => r && [r.blob === cloned.binary, r.start, r.size])).toEqual([[true, 0, 4], undefined, [true, 4, 0], [true, 4, 99_990]]);
    const read = async (r: BlobBytes) => new Uint8Array(await r.blob.slice(r.start, r.start + r.size).arrayBuffer());
    expect([...(await read(ranges[0]!))]).toEqual([0, 1, 2, 255]);
    expect(Buffer.from(await read(ranges[3]!)).equals(Buffer.from(big.subarray(10)))).toBe(true);
    expect(out.map((e) => e.time)).toEqual([T, T + 1, T + 2, T + 3]);
    // The same batch with its bytes as an ArrayBuffer unpacks to one ArrayBuffer per frame.
    const packed = { ...cloned, binary: await (cloned.binary as Blob).arrayBuffer() };
    const copied = unpackBatch(packed) as WireFrameEvent[];
    expect([...new Uint8Array(copied[0].bytes as ArrayBuffer)]).toEqual([0, 1, 2, 255]);
    expect((copied[2].bytes as ArrayBuffer).byteLength).toBe(0);
    expect(Buffer.from(copied[3].bytes as ArrayBuffer).equals(Buffer.from(big.subarray(10)))).toBe(true);
    // Bytes that do not add up are refused, in a Blob as in an ArrayBuffer.
    expect(() => unpackBatch({ ...packed, binary: packed.binary.slice(1) })).toThrow(/runs past the binary payloads/);
    expect(() => unpackBatch({ ...packed, binary: new ArrayBuffer(packed.binary.byteLength + 2) })).toThrow(/2 binary payload bytes left over/);
    expect(() => unpackBatch({ ...cloned, binary: (cloned.binary as Blob).slice(1) })).toThrow(/runs past the binary payloads/);
    expect(() => unpackBatch({ ...cloned, binary: new Blob([packed.binary, new Uint8Array(2)]) })).toThrow(/2 binary payload bytes left over/);
    expect(() => unpackBatch({ ...packed, binary: 'AAEC' })).toThrow(/missing fields/);
  });

  it('small binary payloads stay an ArrayBuffer (a Blob has a fixed cost)', async () => {
    const builder = new PackedBatchBuilder();
    builder.addBinaryFrame('c1', frameCodeOf('send', 2, 'page', 'sent'), 1, T, new Uint8Array(BLOB_MIN_BYTES - 1));
    const sealed = builder.seal();
    expect(Object.prototype.toString.call(sealed.binary)).toBe('[object ArrayBuffer]');
    expect(await withLargeTextBytes(sealed)).toBe(sealed);
    expect((unpackBatch(sealed)[0] as WireFrameEvent).size).toBe(BLOB_MIN_BYTES - 1);
  });

  it('a builder starts empty again after seal', () => {
    const builder = new PackedBatchBuilder();
    builder.add(frame(1, 'one'));
    expect(builder.count).toBe(1);
    const first = builder.seal();
    expect(builder.count).toBe(0);
    builder.add(frame(2, 'two', { connectionId: 'c9' }));
    const second = builder.seal();
    expect(unpackBatch(first)).toEqual([frame(1, 'one')]);
    expect(unpackBatch(second)).toEqual([frame(2, 'two', { connectionId: 'c9' })]);
    expect(unpackBatch(builder.seal())).toEqual([]);
  });

  it('refuses anything inconsistent with a clear error', () => {
    const good = packWireEvents([{ k: 'connect', connectionId: 'c1', url: 'wss://x/', protocols: [], frameUrl: '', time: T }, frame(1, 'ab')]);
    const rows = [...good.rows];
    const withRows = (changed: number[]) => ({ ...good, rows: Float64Array.from(changed) });
    const cases: Array<[unknown, RegExp]> = [
      [null, /not an object/],
      [{ ...good, count: -1 }, /bad count/],
      [{ ...good, payloads: undefined }, /missing fields/],
      [{ ...good, rows: rows }, /bad rows/],
      [{ ...good, ids: [1] }, /bad rows/],
      [{ ...good, count: 3 }, /row numbers for 3 events/],
      [{ ...good, payloads: 'a' }, /runs past the payloads/],
      [{ ...good, payloads: 'abc' }, /1 payload characters left over/],
      [{ ...good, extra: [] }, /missing extra event/],
      [withRows([...rows.slice(0, 5), 999, 0, 1, 0, 2]), /bad code/],
      [withRows([...rows.slice(0, 5), 0, 5, 1, 0, 2]), /bad fields/],
      [withRows([...rows.slice(0, 5), 0, 0, 1.5, 0, 2]), /bad fields/],
      [withRows([...rows.slice(0, 5), 0, 0, 1, Number.NaN, 2]), /bad fields/],
    ];
    for (const [input, message] of cases) {
      expect(() => unpackBatch(input), String(message)).toThrow(PackedBatchError);
      expect(() => unpackBatch(input)).toThrow(message);
    }
    expect(unpackBatch(good)).toHaveLength(2);
  });
});

describe('large payloads', () => {
  /** Runs blobInSlices with a manual scheduler; resolves with the Blob and how many tasks it took. */
  async function sliced(data: string | ArrayBuffer, sliceSize: number): Promise<{ blob: Blob; tasks: number }> {
    const queue: Array<() => void> = [];
    let result: Blob | undefined;
    blobInSlices(data, (next) => queue.push(next), (blob) => (result = blob), sliceSize);
    let tasks = 1;
    while (queue.length > 0) {
      queue.shift()!();
      tasks++;
    }
    return { blob: result!, tasks };
  }

  it('builds a Blob a slice per task, never splitting a surrogate pair, lone surrogates as U+FFFD', async () => {
    const text = 'ab😀cd' + '\uD800' + 'ef';
    const { blob, tasks } = await sliced(text, 3);
    expect(tasks).toBeGreaterThanOrEqual(3);
    expect(await blob.text()).toBe('ab😀cd\uFFFDef');
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 13) & 255);
    const binary = await sliced(bytes.slice().buffer, 64);
    expect(binary.tasks).toBe(16);
    expect(new Uint8Array(await binary.blob.arrayBuffer())).toEqual(bytes);
  });

  it('carries large payloads as Blobs that the background reads back, text and binary, in row order', async () => {
    const builder = new PackedBatchBuilder();
    builder.addFrame('c1', frameCodeOf('send', 1, 'page', 'sent'), 1, T, 'small');
    builder.addLargeFrame('c1', frameCodeOf('receive', 1, 'page', 'sent'), 2, T + 1, new Blob(['héllo large']));
    builder.addLargeFrame('c1', frameCodeOf('receive', 2, 'page', 'sent'), 3, T + 2, new Blob([new Uint8Array([0, 255, 7])]));
    const sealed = builder.seal();
    expect(() => unpackBatch(sealed)).toThrow(/missing large payload/); // a large text's Blob must be read first
    const withText = (await withLargeTextBytes(sealed)) as PackedBatch;
    expect(withText.large[0]).toBeInstanceOf(ArrayBuffer);
    expect(withText.large[1]).toBe(sealed.large[1]); // binary: left in its Blob
    const events = unpackBatch(withText) as WireFrameEvent[];
    const range = events[2].bytes as BlobBytes;
    expect([range.blob === sealed.large[1], range.start, range.size]).toEqual([true, 0, 3]);
    expect(events.map((e) => [e.seq, e.bytes ? 'bytes' : e.payload, e.size, e.opcode])).toEqual([
      [1, 'small', 5, 1],
      [2, 'héllo large', 12, 1],
      [3, 'bytes', 3, 2],
    ]);
    expect([...new Uint8Array(await range.blob.arrayBuffer())]).toEqual([0, 255, 7]);
    expect(events[2].payload).toBe(''); // the bytes are stored as they came, not as base64
  });

  it('refuses a large row without its payload', async () => {
    const builder = new PackedBatchBuilder();
    builder.addLargeFrame('c1', frameCodeOf('send', 2, 'page', 'sent'), 1, T, new Blob([new Uint8Array(3)]));
    const read = (await withLargeTextBytes(builder.seal())) as PackedBatch & { large: unknown[] };
    expect(() => unpackBatch({ ...read, large: [] })).toThrow(/missing large payload/);
    expect(() => unpackBatch({ ...read, large: ['not bytes'] })).toThrow(/missing large payload/);
    expect(() => unpackBatch({ ...read, large: undefined })).toThrow(/missing fields/);
  });
});
