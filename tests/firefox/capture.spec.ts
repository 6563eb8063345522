/**
 * Capture in Firefox ESR: the MAIN-world hook (document_start), the MessagePort hand-over to the isolated relay,
 * the event-page background and IndexedDB, end to end with a real `ws` server.
 */
import { createHash } from 'node:crypto';
import { test, expect, framesOf, openPage, uniqueId, waitForStore } from './fixtures';

test('captures text and binary frames, sent and received, into IndexedDB', async ({ firefox, reader, server }) => {
  const id = uniqueId('tb');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const url = server.page(`/${id}.html`, `<script>
    window.got = [];
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    const next = () => new Promise((r) => ws.addEventListener('message', (e) => r(e.data), { once: true }));
    ws.onopen = async () => {
      let p = next(); ws.send('hello firefox'); window.got.push(await p);
      ws.binaryType = 'arraybuffer';
      p = next(); ws.send(new Uint8Array([0, 1, 2, 253, 254, 255])); window.got.push([...new Uint8Array(await p)]);
      // A view into the middle of a larger buffer: only its own bytes go on the wire.
      const big = new Uint8Array([9, 9, 7, 8, 9, 9]);
      p = next(); ws.send(new DataView(big.buffer, 2, 2)); window.got.push([...new Uint8Array(await p)]);
      ws.binaryType = 'blob';
      p = next(); ws.send(new Blob([new Uint8Array([42, 43])])); window.got.push([...new Uint8Array(await (await p).arrayBuffer())]);
      p = next(); ws.send('ünïcödé ✓'); window.got.push(await p);
      ws.close(4001, 'done here');
    };
    ws.onclose = (e) => { window.closeInfo = [e.code, e.reason]; };
  </script>`);
  const page = await openPage(firefox.browser, url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { closeInfo?: unknown }).closeInfo)).toEqual([4001, 'done here']);
  expect(await page.evaluate(() => (window as unknown as { got: unknown }).got)).toEqual([
    'hello firefox',
    [0, 1, 2, 253, 254, 255],
    [7, 8],
    [42, 43],
    'ünïcödé ✓',
  ]);

  const store = await waitForStore(reader, (s) => s.connections.some((c) => c.url === wsUrl && c.state === 'closed'));
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  const session = store.sessions.find((s) => s.id === connection.sessionId)!;
  expect(session.pageUrl).toBe(url);
  expect(session.tabId).toEqual(expect.any(Number));
  expect(connection.closeCode).toBe(4001);
  expect(connection.closeReason).toBe('done here');

  const b64 = (bytes: number[]) => Buffer.from(bytes).toString('base64');
  const frames = framesOf(store, connection.id).map((f) => [f.dir, f.opcode, f.text ?? f.base64, f.size]);
  expect(frames).toEqual([
    ['send', 1, 'hello firefox', 13],
    ['receive', 1, 'hello firefox', 13],
    ['send', 2, b64([0, 1, 2, 253, 254, 255]), 6],
    ['receive', 2, b64([0, 1, 2, 253, 254, 255]), 6],
    ['send', 2, b64([7, 8]), 2],
    ['receive', 2, b64([7, 8]), 2],
    ['send', 2, b64([42, 43]), 2],
    ['receive', 2, b64([42, 43]), 2],
    ['send', 1, 'ünïcödé ✓', Buffer.byteLength('ünïcödé ✓')],
    ['receive', 1, 'ünïcödé ✓', Buffer.byteLength('ünïcödé ✓')],
  ]);
  // Lifecycle rows share the connection's sequence: open first, close last.
  const rows = store.frames.filter((f) => f.connectionId === connection.id).sort((a, b) => a.seq - b.seq);
  expect(rows[0].kind).toBe('open');
  expect(rows.at(-1)).toMatchObject({ kind: 'close', code: 4001, reason: 'done here' });
  await page.close();
});

test('a binary frame larger than one relay part arrives byte for byte', async ({ firefox, reader, server }) => {
  const id = uniqueId('big');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const size = 3 * 1024 * 1024 + 17; // over the relay's 1 MiB part size, not a multiple of 3 or 4
  const url = server.page(`/${id}.html`, '<p>big</p>');
  const page = await openPage(firefox.browser, url);
  const pageDigest = await page.evaluate(
    async (wsUrl, size) => {
      const bytes = new Uint8Array(size);
      let x = 12345;
      for (let i = 0; i < size; i++) bytes[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
      const ws = new WebSocket(wsUrl);
      ws.binaryType = 'arraybuffer';
      await new Promise((r) => (ws.onopen = r));
      const echoed = new Promise<ArrayBuffer>((r) => (ws.onmessage = (e) => r(e.data)));
      ws.send(bytes);
      const back = new Uint8Array(await echoed);
      const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (v) => v.toString(16).padStart(2, '0')).join('');
      return [back.length, hex(await crypto.subtle.digest('SHA-256', bytes)), hex(await crypto.subtle.digest('SHA-256', back))];
    },
    wsUrl,
    size,
  );
  expect(pageDigest[0]).toBe(size);
  expect(pageDigest[1]).toBe(pageDigest[2]);

  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && framesOf(s, c.id).length === 2;
  }, 60_000);
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  for (const frame of framesOf(store, connection.id)) {
    const bytes = Buffer.from(frame.base64!, 'base64');
    expect(frame.size).toBe(size);
    expect(bytes.length).toBe(size);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pageDigest[1]);
  }
  await page.close();
});

test('a burst of mid-size binary frames (batches over 64 KiB, whose bytes travel as a Blob) is stored byte-exact', async ({ firefox, reader, server }) => {
  const id = uniqueId('burst');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const count = 40;
  const url = server.page(`/${id}.html`, `<script>
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.binaryType = 'arraybuffer';
    window.echoes = 0;
    ws.onmessage = () => window.echoes++;
    ws.onopen = () => {
      for (let i = 0; i < ${count}; i++) {
        ws.send(new Uint8Array(20000 + i).map((_, j) => (i * 31 + j * 7) & 0xff));
        if (i % 10 === 9) ws.send('text after ' + i);
      }
    };
  </script>`);
  const page = await openPage(firefox.browser, url);
  const total = count + count / 10;
  await expect.poll(() => page.evaluate(() => (window as unknown as { echoes: number }).echoes)).toBe(total);
  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && framesOf(s, c.id).length === 2 * total;
  }, 60_000);
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  const expected: string[] = [];
  for (let i = 0; i < count; i++) {
    expected.push(Buffer.from(Array.from({ length: 20000 + i }, (_, j) => (i * 31 + j * 7) & 0xff)).toString('base64'));
    if (i % 10 === 9) expected.push(`text after ${i}`);
  }
  const frames = framesOf(store, connection.id);
  expect(frames.filter((f) => f.dir === 'send').map((f) => f.text ?? f.base64)).toEqual(expected);
  expect(frames.filter((f) => f.dir === 'receive').map((f) => f.text ?? f.base64)).toEqual(expected);
  await page.close();
});

test('sockets opened by a same-origin child frame are captured in the page session', async ({ firefox, reader, server }) => {
  const id = uniqueId('frame');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  server.page(`/${id}-child.html`, `<script>
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onopen = () => ws.send('from the child frame');
    ws.onmessage = (e) => { parent.childGot = e.data; };
  </script>`);
  const url = server.page(`/${id}.html`, `<iframe src="/${id}-child.html"></iframe>`);
  const page = await openPage(firefox.browser, url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { childGot?: string }).childGot)).toBe('from the child frame');

  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && framesOf(s, c.id).length === 2;
  });
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  expect(connection.frameUrl).toBe(`${server.origin}/${id}-child.html`);
  const session = store.sessions.find((s) => s.id === connection.sessionId)!;
  expect(session.pageUrl).toBe(url);
  expect(framesOf(store, connection.id).map((f) => [f.dir, f.text])).toEqual([
    ['send', 'from the child frame'],
    ['receive', 'from the child frame'],
  ]);
  await page.close();
});

test('a large text is stored exactly while the page has replaced the array iterator, which the hook never calls', async ({ firefox, reader, server }) => {
  // The hook passes lists to natives in the page's world: every batch's transfer list, a large text's pieces.
  // Firefox iterates such a list through Array.prototype[Symbol.iterator], which the page can replace and would
  // then see called (it did, 6 times here, before the hook passed its own iterables).
  const id = uniqueId('iter');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const text = 'ä€😀x'.repeat(300_000); // 1.5 Mi units: several pieces, a surrogate pair in every 4 units
  const url = server.page(`/${id}.html`, `<script>
    window.iteratorCalls = 0;
    const arrayValues = Array.prototype[Symbol.iterator];
    const iteratorProto = Object.getPrototypeOf([][Symbol.iterator]());
    const next = iteratorProto.next;
    Array.prototype[Symbol.iterator] = function () { window.iteratorCalls++; return arrayValues.call(this); };
    iteratorProto.next = function () { window.iteratorCalls++; return next.call(this); };
  </script>`);
  const page = await openPage(firefox.browser, url);
  // One evaluate, counting only inside it: Playwright's own code iterates arrays in this world before and after.
  const calls = await page.evaluate(async (wsUrl) => {
    const w = window as unknown as { iteratorCalls: number };
    w.iteratorCalls = 0;
    const ws = new WebSocket(wsUrl);
    await new Promise((r) => (ws.onopen = r));
    const echoed = new Promise((r) => (ws.onmessage = r));
    ws.send('ä€😀x'.repeat(300_000));
    await echoed;
    await new Promise((r) => setTimeout(r, 1000)); // the hook posts the echo's pieces a task each
    return w.iteratorCalls;
  }, wsUrl);
  expect(calls).toBe(0);
  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && framesOf(s, c.id).length === 2;
  }, 60_000);
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  const frames = framesOf(store, connection.id);
  expect(frames.map((f) => [f.dir, f.size])).toEqual([['send', Buffer.byteLength(text)], ['receive', Buffer.byteLength(text)]]);
  for (const frame of frames) expect(frame.text === text).toBe(true);
  await page.close();
});
