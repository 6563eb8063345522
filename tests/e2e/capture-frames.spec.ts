/**
 * Capture of frame payloads: every kind of data a page can send or receive is stored with its exact bytes, its
 * opcode and its size in bytes, in the order the page saw it.
 */
import { createHash } from 'node:crypto';
import { test, expect, waitForStore, framesOf, frameDigests, type StoredSnapshot } from './fixtures';

type Expected = { opcode: 1 | 2; bytes: Buffer };
const text = (s: string): Expected => ({ opcode: 1, bytes: Buffer.from(s, 'utf8') });
const binary = (bytes: number[] | Buffer): Expected => ({ opcode: 2, bytes: Buffer.from(bytes) });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The stored payload of a frame row as bytes (text rows as their UTF-8 encoding). */
function storedBytes(frame: StoredSnapshot['frames'][number]): Buffer {
  if (frame.text !== undefined) return Buffer.from(frame.text, 'utf8');
  if (frame.base64 !== undefined) return Buffer.from(frame.base64, 'base64');
  throw new Error(`frame #${frame.seq} has no payload`);
}

function expectPayloads(frames: StoredSnapshot['frames'], expected: Expected[]) {
  expect(frames.map((f) => ({ opcode: f.opcode, hex: storedBytes(f).toString('hex'), size: f.size, storedAsText: f.text !== undefined }))).toEqual(
    expected.map((e) => ({ opcode: e.opcode, hex: e.bytes.toString('hex'), size: e.bytes.length, storedAsText: e.opcode === 1 })),
  );
}

test('sends of every data type are stored with their exact bytes, and so are their echoes', async ({ page, server, sw }) => {
  const startedAt = Date.now();
  const url = server.page('/sends.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    const big = new Uint8Array(32);
    for (let i = 0; i < big.length; i++) big[i] = i;
    window.echoes = [];
    ws.onmessage = (e) => window.echoes.push(typeof e.data === 'string' ? e.data : e.data.byteLength);
    ws.onopen = () => {
      ws.send('plain ascii');
      ws.send('héllo wörld — 🌍');
      ws.send(new Uint8Array([0, 255, 128, 7]).buffer);
      ws.send(big.subarray(4, 9));
      ws.send(new DataView(big.buffer, 10, 3));
      ws.send(new Uint16Array(big.buffer, 16, 2));
      const reused = new Uint8Array([1, 2, 3]);
      ws.send(reused);
      reused.fill(9); // the page reuses its buffer at once: what was sent was 1, 2, 3
      ws.send(new Blob(['ab', new Uint8Array([0xff, 0]), 'é']));
      ws.send('after the blob');
      ws.send('');
      ws.send(new ArrayBuffer(0));
    };
  </script>`);
  await page.goto(url);

  const expected: Expected[] = [
    text('plain ascii'),
    text('héllo wörld — 🌍'),
    binary([0, 255, 128, 7]),
    binary(range(4, 9)),
    binary([10, 11, 12]),
    binary([16, 17, 18, 19]),
    binary([1, 2, 3]),
    binary(Buffer.concat([Buffer.from('ab'), Buffer.from([0xff, 0]), Buffer.from('é')])),
    text('after the blob'),
    text(''),
    binary([]),
  ];
  await expect.poll(() => page.evaluate(() => (window as unknown as { echoes: unknown[] }).echoes.length)).toBe(expected.length);

  // The server got exactly these bytes: capture changed nothing on the wire.
  expect(server.received.map((m) => ({ opcode: m.isBinary ? 2 : 1, hex: m.data.toString('hex') }))).toEqual(
    expected.map((e) => ({ opcode: e.opcode, hex: e.bytes.toString('hex') })),
  );

  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= expected.length * 2);
  expect(s.connections).toHaveLength(1);
  const connection = s.connections[0];
  const frames = framesOf(s, connection.id);
  const sent = frames.filter((f) => f.dir === 'send');
  const received = frames.filter((f) => f.dir === 'receive');
  expectPayloads(sent, expected);
  expectPayloads(received, expected);
  expect(sent.every((f) => f.status === 'sent' && f.origin === 'page')).toBe(true);
  expect(received.every((f) => f.status === 'sent' && f.origin === 'page')).toBe(true);
  // Sends were made in one task, so they come right after open, in call order; echoes follow.
  expect(sent.map((f) => f.seq)).toEqual(range(2, 2 + expected.length));

  // Wall-clock, high-resolution timestamps that never go backwards within the connection.
  const rows = s.frames.filter((f) => f.connectionId === connection.id).sort((a, b) => a.seq - b.seq);
  expect(rows.map((r) => r.kind)).toEqual(['open', ...Array(expected.length * 2).fill('frame')]);
  for (let i = 1; i < rows.length; i++) expect(rows[i].time).toBeGreaterThanOrEqual(rows[i - 1].time);
  expect(rows[0].time).toBeGreaterThanOrEqual(startedAt - 1000);
  expect(rows[rows.length - 1].time).toBeLessThanOrEqual(Date.now() + 1000);
  expect(rows.some((r) => !Number.isInteger(r.time)), 'sub-millisecond timestamps').toBe(true);

  // Connection statistics count sent and received frames and their bytes.
  const totalBytes = expected.reduce((n, e) => n + e.bytes.length, 0);
  expect(connection).toMatchObject({ sentCount: expected.length, receivedCount: expected.length, sentBytes: totalBytes, receivedBytes: totalBytes });
  expect(s.sessions[0]).toMatchObject({ frameCount: expected.length * 2, bytes: totalBytes * 2 });
});

test('received Blob and ArrayBuffer data is stored byte-exact while binaryType switches mid-stream', async ({ page, server, sw }) => {
  const count = 24;
  const url = server.page('/receives.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo');
    window.seen = [];
    const next = () => new Promise((resolve) => { ws.onmessage = (e) => resolve(e.data); });
    ws.onopen = async () => {
      for (let i = 0; i < ${count}; i++) {
        // blob, arraybuffer, arraybuffer, blob, …: switched between messages of one stream
        ws.binaryType = i % 3 === 0 ? 'blob' : 'arraybuffer';
        const bytes = new Uint8Array(100 + i).map((_, j) => (i * 7 + j) & 0xff);
        ws.send(bytes);
        const data = await next();
        const view = new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data);
        window.seen.push({ type: data instanceof Blob ? 'blob' : 'arraybuffer', ok: view.every((b, j) => b === ((i * 7 + j) & 0xff)) && view.length === 100 + i });
      }
      // A Blob immediately followed by text: the Blob is read asynchronously, the text must still come after it.
      ws.binaryType = 'blob';
      ws.send(new Uint8Array([42, 43]));
      ws.send('right after the blob');
      ws.onmessage = (e) => window.seen.push({ type: typeof e.data === 'string' ? 'text' : 'blob', ok: true });
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { seen: unknown[] }).seen.length)).toBe(count + 2);
  const seen = await page.evaluate(() => (window as unknown as { seen: Array<{ type: string; ok: boolean }> }).seen);
  expect(seen.every((s) => s.ok)).toBe(true);
  expect(seen.map((s) => s.type)).toEqual([
    ...Array.from({ length: count }, (_, i) => (i % 3 === 0 ? 'blob' : 'arraybuffer')),
    'blob',
    'text',
  ]);

  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame' && f.dir === 'receive').length >= count + 2);
  const received = framesOf(s, s.connections[0].id).filter((f) => f.dir === 'receive');
  const expected: Expected[] = [
    ...Array.from({ length: count }, (_, i) => binary(range(0, 100 + i).map((j) => (i * 7 + j) & 0xff))),
    binary([42, 43]),
    text('right after the blob'),
  ];
  expectPayloads(received, expected);
});

test('text size is its UTF-8 byte length, and a lone surrogate is stored as the browser sent it', async ({ page, server, sw }) => {
  const url = server.page('/utf8.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo');
    window.echoes = [];
    ws.onmessage = (e) => window.echoes.push(e.data);
    ws.onopen = () => {
      ws.send('a€😀');          // 1 + 3 + 4 bytes
      ws.send('x\\uD800y');     // a lone surrogate: the browser sends U+FFFD (3 bytes)
      ws.send('\\uDC00');       // a lone low surrogate
      ws.send('ñ'.repeat(1000)); // 2000 bytes
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { echoes: unknown[] }).echoes.length)).toBe(4);
  expect(server.received.map((m) => m.data.toString('utf8'))).toEqual(['a€😀', 'x\uFFFDy', '\uFFFD', 'ñ'.repeat(1000)]);

  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 8);
  const frames = framesOf(s, s.connections[0].id);
  const sent = frames.filter((f) => f.dir === 'send');
  const received = frames.filter((f) => f.dir === 'receive');
  expect(sent.map((f) => [f.text, f.size])).toEqual([
    ['a€😀', 8],
    ['x\uFFFDy', 5],
    ['\uFFFD', 3],
    ['ñ'.repeat(1000), 2000],
  ]);
  expect(received.map((f) => [f.text, f.size])).toEqual(sent.map((f) => [f.text, f.size]));
});

test('a burst of mid-size binary frames mixed with text (batches over 64 KiB) is stored byte-exact and in order', async ({ page, server, sw }) => {
  // 60 frames of ~20 KiB sent back to back land in batches of over 64 KiB, whose bytes travel as a Blob
  // (lib/shared/packed-batch.ts); text frames in between must keep their places.
  const count = 60;
  const pattern = (i: number, j: number) => (i * 31 + j * 7) & 0xff;
  const url = server.page('/binary-burst.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    window.echoes = 0;
    ws.onmessage = () => window.echoes++;
    ws.onopen = () => {
      for (let i = 0; i < ${count}; i++) {
        const bytes = new Uint8Array(20000 + i).map((_, j) => (i * 31 + j * 7) & 0xff);
        // every third frame a view into a larger buffer: only its own bytes count
        if (i % 3 === 2) { const wide = new Uint8Array(bytes.length + 8); wide.set(bytes, 3); ws.send(new Uint8Array(wide.buffer, 3, bytes.length)); }
        else ws.send(bytes.buffer);
        if (i % 10 === 9) ws.send('text after ' + i);
      }
    };
  </script>`);
  await page.goto(url);
  const total = count + count / 10;
  await expect.poll(() => page.evaluate(() => (window as unknown as { echoes: number }).echoes)).toBe(total);
  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 2 * total);
  const frames = framesOf(s, s.connections[0].id);
  const expected: Expected[] = [];
  for (let i = 0; i < count; i++) {
    expected.push(binary(range(0, 20000 + i).map((j) => pattern(i, j))));
    if (i % 10 === 9) expected.push(text(`text after ${i}`));
  }
  expectPayloads(frames.filter((f) => f.dir === 'send'), expected);
  expectPayloads(frames.filter((f) => f.dir === 'receive'), expected);
  expect(frames.map((f) => f.seq)).toEqual(range(1, frames.length + 1).map((n) => n + (frames[0].seq - 1)));
  // Those batches' bytes were stored as the Blobs they came in (FrameChunk.bin), never read by the worker.
  const kept = await sw.evaluate(async () => {
    const open = indexedDB.open('websocket-inspector');
    open.onupgradeneeded = () => open.transaction?.abort();
    const db: IDBDatabase = await new Promise((res, rej) => {
      open.onsuccess = () => res(open.result);
      open.onerror = () => rej(open.error);
    });
    const chunks: Array<{ bin?: unknown; binRows?: number[] }> = await new Promise((res, rej) => {
      const req = db.transaction('chunks').objectStore('chunks').getAll();
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    db.close();
    return chunks.reduce((n, c) => n + (c.bin instanceof Blob ? c.binRows!.length : 0), 0);
  });
  expect(kept).toBeGreaterThan(count); // most of the 120 binary frames
});

test('large binary frames of changing sizes, each sent after the last echo, are stored byte-exact (the hook reuses its copy buffer)', async ({ page, server, sw }) => {
  // Over 512 KiB a binary frame is copied into a buffer of its own, which the relay hands back for the next one:
  // a smaller frame then fills only the front of it. The page overwrites its buffer right after each send.
  const sizes = [3 << 20, 1 << 20, (2 << 20) + 5, 600 * 1024];
  const url = server.page('/large-binary.html', `<script>
    const hex = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    window.sent = [];
    window.received = [];
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    const sizes = ${JSON.stringify(sizes)};
    const sendNext = async () => {
      const size = sizes[window.sent.length];
      const bytes = new Uint8Array(size).map((_, i) => (i * 11 + size) & 255);
      window.sent.push(await hex(bytes));
      ws.send(i % 2 ? bytes : bytes.buffer);
      bytes.fill(0); // after send() returns the page may reuse its buffer
    };
    let i = 0;
    ws.onopen = sendNext;
    ws.onmessage = async (e) => {
      window.received.push(await hex(e.data));
      new Uint8Array(e.data).fill(1); // and the received buffer too
      if (++i < sizes.length) setTimeout(sendNext, 300);
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { received: string[] }).received.length), { timeout: 60_000 }).toBe(sizes.length);
  const { sent, received } = await page.evaluate(() => {
    const { sent, received } = window as unknown as { sent: string[]; received: string[] };
    return { sent, received };
  });
  expect(received).toEqual(sent);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 2 * sizes.length, 60_000, { withPayload: false });
  const digests = (await frameDigests(sw)).filter((d) => d.kind === 'frame').sort((a, b) => a.seq - b.seq);
  expect(digests.map((d) => [d.dir, d.storedAs, d.size, d.byteLength, d.sha256])).toEqual(
    sizes.flatMap((size, n) => [
      ['send', 'ArrayBuffer', size, size, sent[n]],
      ['receive', 'ArrayBuffer', size, size, sent[n]],
    ]),
  );
});

test('a large binary frame right after a large text echo is stored, though its Blob is made before the text is in', async ({ page, server, sw }) => {
  // The relay makes a large binary frame's Blob as the frame arrives and gives its buffer back to the hook, while
  // the queue in front of it still waits for the pieces of the text echo: the frame must still be stored, in order.
  const size = 1 << 20;
  const url = server.page('/text-then-binary.html', `<script>
    window.done = false;
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    const echo = (message) => new Promise((resolve) => { ws.onmessage = resolve; ws.send(message); });
    ws.onopen = async () => {
      await echo('t'.repeat(${size}));
      await echo(new Uint8Array(${size}).map((_, i) => i * 3));
      window.done = true;
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { done: boolean }).done)).toBe(true);
  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 4, 30_000, { withPayload: false });
  const frames = framesOf(s, s.connections[0].id).filter((f) => f.kind === 'frame');
  expect(frames.map((f) => [f.dir, f.opcode, f.size])).toEqual([
    ['send', 1, size],
    ['receive', 1, size],
    ['send', 2, size],
    ['receive', 2, size],
  ]);
  const digests = (await frameDigests(sw)).filter((d) => d.opcode === 2).sort((a, b) => a.seq - b.seq);
  const expected = createHash('sha256').update(Buffer.from(new Uint8Array(size).map((_, i) => i * 3))).digest('hex');
  expect(digests.map((d) => d.sha256)).toEqual([expected, expected]);
});

test('a large text with a surrogate pair in every piece is stored exactly, the page\'s replaced array iterator not called', async ({ page, server, sw }) => {
  // The hook makes each piece of a large text a Blob in the page's world. Chromium reads the parts array without
  // the iterator; Firefox would call it (tests/firefox/capture.spec.ts proves the hook avoids that there).
  const text = 'ä€😀x'.repeat(300_000); // 1.5 Mi units: several pieces, with a surrogate pair at each 4th unit
  const url = server.page('/replaced-iterator.html', `<script>
    window.done = false;
    window.iteratorCalls = 0;
    const arrayValues = Array.prototype[Symbol.iterator];
    const iteratorProto = Object.getPrototypeOf([][Symbol.iterator]());
    const next = iteratorProto.next;
    // Playwright's own evaluate() iterates arrays in this world too: those calls are not counted.
    const count = () => { if (!new Error().stack.includes('UtilityScript')) window.iteratorCalls++; };
    Array.prototype[Symbol.iterator] = function () { count(); return arrayValues.call(this); };
    iteratorProto.next = function () { count(); return next.call(this); };
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.onmessage = () => { window.done = true; };
    ws.onopen = () => ws.send('ä€😀x'.repeat(300000));
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { done: boolean }).done)).toBe(true);
  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 2, 30_000, { withPayload: false });
  const bytes = Buffer.byteLength(text);
  expect(framesOf(s, s.connections[0].id).filter((f) => f.kind === 'frame').map((f) => [f.dir, f.size])).toEqual([['send', bytes], ['receive', bytes]]);
  const expected = createHash('sha256').update(text).digest('hex');
  expect((await frameDigests(sw)).filter((d) => d.kind === 'frame').map((d) => d.sha256)).toEqual([expected, expected]);
  expect(await page.evaluate(() => (window as unknown as { iteratorCalls: number }).iteratorCalls)).toBe(0);
});
