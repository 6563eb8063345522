/**
 * Nothing is lost and nothing is stored twice: the service worker stopped (for real) several times while a page
 * streams 10,000 frames; 16 MB frames in both directions; and an extension reload, after which the old content
 * scripts stop without the page noticing.
 */
import { createHash } from 'node:crypto';
import { test, expect, waitForStore, framesOf, frameDigests, stopExtensionWorker, workerWasRestarted } from './fixtures';

test('the service worker stopped three times while the page sends 10,000 frames: each stored once, in order', async ({ page, server, sw, context }) => {
  test.setTimeout(300_000);
  const total = 10_000;
  const url = server.page('/stream.html', `<script>
    window.sent = 0;
    window.gate = 0; // the page streams up to the gate; the test moves it
    const ws = new WebSocket('${server.wsOrigin}/silent');
    ws.onopen = () => {
      const timer = setInterval(() => {
        for (let i = 0; i < 50 && window.sent < window.gate; i++) {
          const n = window.sent++;
          ws.send(n % 10 === 9 ? new Uint32Array([n]) : 'frame ' + n);
        }
        if (window.sent >= ${total}) clearInterval(timer);
      }, 5);
    };
  </script>`);
  await page.goto(url);
  const sentNow = () => page.evaluate(() => (window as unknown as { sent: number }).sent);
  const openGate = (to: number) => page.evaluate((n) => ((window as unknown as { gate: number }).gate = n), to);

  const checkpoints = [2500, 5000, 7500];
  await openGate(checkpoints[0]);
  for (let i = 0; i < checkpoints.length; i++) {
    await expect.poll(sentNow, { timeout: 60_000 }).toBe(checkpoints[i]);
    // The stop and the next stretch of the stream start together: frames keep coming while the worker dies and
    // while it restarts, and batches posted to the dying port are never acknowledged.
    await stopExtensionWorker(context, page, sw, () => openGate(checkpoints[i + 1] ?? total));
    // The worker comes back (the relay reconnects) as a new instance: the old global scope is gone.
    await expect.poll(() => workerWasRestarted(sw), { timeout: 60_000 }).toBe(true);
  }
  await expect.poll(sentNow, { timeout: 60_000 }).toBe(total);

  const s = await waitForStore(sw, (s) => s.frames.length >= total + 1, 120_000);
  expect(s.connections).toHaveLength(1);
  const connection = s.connections[0];
  const rows = s.frames.filter((f) => f.connectionId === connection.id).sort((a, b) => a.seq - b.seq);
  expect(rows).toHaveLength(total + 1);
  // seq 1 … N with no gap and no duplicate; the open first, then the frames in the order the page sent them.
  expect(rows.every((r, i) => r.seq === i + 1)).toBe(true);
  expect(rows[0].kind).toBe('open');
  const frames = framesOf(s, connection.id);
  const mismatches: string[] = [];
  frames.forEach((f, n) => {
    const expected = n % 10 === 9 ? Buffer.from(new Uint32Array([n]).buffer).toString('base64') : `frame ${n}`;
    const got = f.text ?? f.base64;
    if (got !== expected || f.dir !== 'send' || f.status !== 'sent') mismatches.push(`#${n}: ${got}`);
  });
  expect(mismatches.slice(0, 10)).toEqual([]);
  // Counters were not inflated by resent batches.
  expect(connection).toMatchObject({ sentCount: total, lastSeq: total + 1 });
  expect(s.sessions).toHaveLength(1);
  expect(s.sessions[0]).toMatchObject({ frameCount: total, connectionCount: 1 });
  // And the server got every frame once.
  expect(server.received).toHaveLength(total);
});

test('a 16 MB text frame and a 16 MB binary frame are stored byte-exact, sent and received', async ({ page, server, sw }) => {
  test.setTimeout(300_000);
  const size = 16 * 1024 * 1024;
  const url = server.page('/huge.html', `<script>
    const hex = async (bytes) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    window.result = {};
    // 16 MiB of UTF-8 with 1-, 2-, 3- and 4-byte characters. A surrogate pair straddles the first 1 Mi-character
    // boundary, where the relay cuts the frame into parts.
    const alphabet = ['a', 'Z', '7', ' ', 'é', 'ß', '€', '中', '😀'];
    let block = '';
    for (let i = 0; block.length < 4096; i++) block += alphabet[(i * 7 + (i >> 3)) % alphabet.length];
    const head = 'a'.repeat((1 << 20) - 1) + '😀';
    const encoder = new TextEncoder();
    const headBytes = encoder.encode(head).length;
    const blockBytes = encoder.encode(block).length;
    const text = head + block.repeat(Math.ceil((${size} - headBytes) / blockBytes));
    const bytes = new Uint8Array(${size});
    for (let i = 0; i < bytes.length; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    ws.onopen = async () => {
      const encoded = encoder.encode(text);
      window.result.sentText = await hex(encoded);
      window.result.sentTextBytes = encoded.length;
      window.result.sentBinary = await hex(bytes);
      ws.send(text);
      ws.send(bytes);
    };
    const received = [];
    ws.onmessage = async (e) => {
      received.push(e.data);
      if (received.length < 2) return;
      window.result.receivedText = await hex(encoder.encode(received[0]));
      window.result.receivedBinary = await hex(received[1]);
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { result: { receivedBinary?: string } }).result.receivedBinary), { timeout: 240_000 }).toBeTruthy();
  const result = await page.evaluate(() => (window as unknown as { result: Record<string, string | number> }).result);
  expect(result.sentTextBytes).toBeGreaterThanOrEqual(size);
  expect(result.receivedText).toBe(result.sentText);
  expect(result.receivedBinary).toBe(result.sentBinary);
  // The server saw the same bytes.
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  expect(server.received.map((m) => [m.isBinary, sha(m.data), m.data.length])).toEqual([
    [false, result.sentText, result.sentTextBytes],
    [true, result.sentBinary, size],
  ]);

  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 4, 240_000, { withPayload: false });
  const digests = (await frameDigests(sw)).filter((d) => d.kind === 'frame').sort((a, b) => a.seq - b.seq);
  expect(digests.map((d) => [d.dir, d.opcode, d.storedAs, d.size, d.byteLength, d.sha256])).toEqual([
    ['send', 1, 'string', result.sentTextBytes, result.sentTextBytes, result.sentText],
    ['send', 2, 'ArrayBuffer', size, size, result.sentBinary],
    ['receive', 1, 'string', result.sentTextBytes, result.sentTextBytes, result.sentText],
    ['receive', 2, 'ArrayBuffer', size, size, result.sentBinary],
  ]);
});

test('after the extension reloads, the old content scripts stop quietly and the page keeps working', async ({ page, server, sw, context }) => {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console ${msg.type()}: ${msg.text()}`);
  });
  const url = server.page('/reload.html', `<link rel="icon" href="data:,"><script>
    window.got = [];
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'blob';
    ws.onmessage = (e) => window.got.push(typeof e.data === 'string' ? e.data : 'blob ' + e.data.size);
    ws.onopen = () => ws.send('before the reload');
  </script>`);
  await page.goto(url);
  await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'before the reload' && f.dir === 'receive'));

  // Chromium disables a command-line unpacked extension that reloads itself unless developer mode is on (as it
  // is for anyone who loaded it unpacked).
  const extensionsPage = await context.newPage();
  await extensionsPage.goto('chrome://extensions/');
  await extensionsPage.evaluate(() => {
    const api = (globalThis as unknown as { chrome: { developerPrivate: { updateProfileConfiguration(c: object): Promise<void> } } }).chrome;
    return api.developerPrivate.updateProfileConfiguration({ inDeveloperMode: true });
  });
  await extensionsPage.close();

  const newWorker = context.waitForEvent('serviceworker');
  await sw.evaluate(() => {
    const api = (globalThis as unknown as { chrome: { runtime: { reload(): void } } }).chrome;
    setTimeout(() => api.runtime.reload(), 10);
  });
  const sw2 = await newWorker;
  expect(sw2.url()).toBe(sw.url());

  // The page goes on using its socket: sends of every kind, receives, a new socket, a close.
  await page.evaluate(async (wsOrigin) => {
    const w = window as unknown as { ws: WebSocket; got: string[] };
    w.ws.send('after the reload');
    w.ws.send(new Uint8Array([1, 2, 3]));
    w.ws.send(new Blob(['blob after']));
    const second = new WebSocket(`${wsOrigin}/echo`);
    await new Promise((resolve) => (second.onopen = resolve));
    second.send('second socket');
    await new Promise((resolve) => (second.onmessage = resolve));
    second.close(1000, 'done');
    await new Promise((resolve) => (second.onclose = resolve));
  }, server.wsOrigin);
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { got: string[] }).got))
    .toEqual(['before the reload', 'after the reload', 'blob 3', 'blob 10']);
  await page.waitForTimeout(500); // any late timer of the old scripts would fire by now
  expect(problems).toEqual([]);

  // The reloaded extension captures the next page load normally, in the same database.
  await page.reload();
  await expect.poll(() => page.evaluate(() => (window as unknown as { got: string[] }).got)).toEqual(['before the reload']);
  const s = await waitForStore(sw2, (s) => s.sessions.length === 2 && s.frames.filter((f) => f.text === 'before the reload').length === 4);
  // The orphaned scripts sent nothing after the reload.
  expect(s.frames.some((f) => f.text === 'after the reload' || f.text === 'second socket')).toBe(false);
  expect(problems).toEqual([]);
});
