/**
 * The DevTools-open source in real Chromium (issue #21 §2-3): with DevTools open on the tab and our panel shown,
 * DevTools' network log adds what the page hook cannot see. A dedicated Worker's socket and its frames are stored
 * once, as a connection of their own (source 'devtools'); a socket the hook captured gets its handshake (status
 * 101, request headers) and is not stored a second time; a refused upgrade shows its HTTP status. The page's
 * service worker's socket is there too (DevTools attaches to the service worker as a target of the tab). A
 * SharedWorker's socket is not (measured in Chromium 156: DevTools has no target for the shared worker, and getHAR
 * lists only the page's load of its script), so no test here claims it.
 * DevTools is driven over raw CDP as in devtools.spec.ts (Playwright hides DevTools targets).
 */
import { createServer } from 'node:http';
import { evaluateIn, showOurPanelInDevtools } from './devtools-cdp';
import { test, expect } from '@playwright/test';
import { framesOf, launchWithExtension, startTestServer, waitForStore } from './fixtures';


test('with DevTools open, a worker socket is stored once with its frames, and a hooked socket gets its handshake', async () => {
  test.setTimeout(120_000);
  const ext = await launchWithExtension(undefined, ['--auto-open-devtools-for-tabs', '--remote-debugging-port=0']);
  const server = await startTestServer();
  // A server that refuses every upgrade with 403.
  const refusing = createServer((_req, res) => res.end());
  refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((r) => refusing.listen(0, '127.0.0.1', r));
  const refusedUrl = `ws://127.0.0.1:${(refusing.address() as { port: number }).port}/refused`;
  try {
    const page = ext.context.pages()[0] ?? (await ext.context.newPage());
    server.page('/net-worker.js', `const ws = new WebSocket('${server.wsOrigin}/echo?from=worker');
      ws.onopen = () => ws.send('hello from the worker');
      ws.onmessage = (e) => postMessage(e.data);`);
    // Nothing opens before DevTools shows our panel: DevTools' log starts when DevTools attaches.
    const url = server.page('/devtools-network.html', `<!doctype html><title>devtools network</title><script>
      window.start = () => new Promise((resolve) => {
        window.ws = new WebSocket('${server.wsOrigin}/echo?from=page');
        ws.onopen = () => ws.send('hello from the page');
        window.worker = new Worker('/net-worker.js');
        worker.onmessage = (e) => resolve(e.data);
        window.refused = new WebSocket(${JSON.stringify(refusedUrl)});
      });
    </script>`);
    await page.goto(url);

    await showOurPanelInDevtools(ext);

    expect(await page.evaluate(() => (window as unknown as { start(): Promise<string> }).start())).toBe('hello from the worker');

    const workerUrl = `${server.wsOrigin}/echo?from=worker`;
    const pageUrl = `${server.wsOrigin}/echo?from=page`;
    const store = await waitForStore(
      ext.sw!,
      (s) => {
        const worker = s.connections.find((c) => c.url === workerUrl);
        const hooked = s.connections.find((c) => c.url === pageUrl);
        const refused = s.connections.find((c) => c.url === refusedUrl);
        return (
          worker !== undefined &&
          framesOf(s, worker.id).length === 2 &&
          (hooked?.handshake as { status?: number } | undefined)?.status === 101 &&
          (refused?.handshake as { status?: number } | undefined)?.status === 403
        );
      },
      30_000,
      { positions: true },
    );

    // The worker's socket: once, from DevTools, with both frames in order.
    const workerConnections = store.connections.filter((c) => c.url === workerUrl);
    expect(workerConnections).toHaveLength(1);
    const worker = workerConnections[0];
    expect(worker.source).toBe('devtools');
    expect(worker.initiatorUrl).toBe(`${server.origin}/net-worker.js`);
    expect(framesOf(store, worker.id).map((f) => [f.dir, f.text])).toEqual([
      ['send', 'hello from the worker'],
      ['receive', 'hello from the worker'],
    ]);
    expect((worker.handshake as { status: number }).status).toBe(101);

    // The page's socket: the hook's one connection, with DevTools' handshake attached, frames not doubled.
    const hooked = store.connections.filter((c) => c.url === pageUrl);
    expect(hooked).toHaveLength(1);
    expect(hooked[0].source).toBeUndefined();
    const handshake = hooked[0].handshake as { status: number; method: string; requestHeaders: { name: string; value: string }[]; responseHeaders: { name: string; value: string }[] };
    expect(handshake.method).toBe('GET');
    expect(handshake.requestHeaders).toContainEqual({ name: 'Sec-WebSocket-Version', value: '13' });
    expect(handshake.responseHeaders.map((h) => h.name.toLowerCase())).toContain('sec-websocket-accept');
    expect(framesOf(store, hooked[0].id).map((f) => f.text)).toEqual(['hello from the page', 'hello from the page']);

    // The refused upgrade: the hook's connection, which shows the status.
    const refused = store.connections.filter((c) => c.url === refusedUrl);
    expect(refused).toHaveLength(1);
    expect((refused[0].handshake as { status: number }).status).toBe(403);

    // Positions stay dense over the session's rows from both sources.
    const session = store.sessions.find((s) => s.id === worker.sessionId)!;
    const positions = store.frames.filter((f) => f.sessionId === session.id).map((f) => f.pos).sort((a, b) => Number(a) - Number(b));
    expect(positions).toEqual(positions.map((_, i) => i));
    expect(session.connectionCount).toBe(store.connections.filter((c) => c.sessionId === session.id).length);
  } finally {
    refusing.closeAllConnections();
    await new Promise<void>((r) => refusing.close(() => r()));
    await server.close();
    await ext.close();
  }
});

test("with DevTools open, a socket of the page's service worker is stored once with its frames", async () => {
  test.setTimeout(120_000);
  const ext = await launchWithExtension(undefined, ['--auto-open-devtools-for-tabs', '--remote-debugging-port=0']);
  const server = await startTestServer();
  try {
    const page = ext.context.pages()[0] ?? (await ext.context.newPage());
    const socketUrl = `${server.wsOrigin}/echo?from=service-worker`;
    // The service worker's script is tests/e2e/pages/devtools-service-worker.js (served as JavaScript, as a service
    // worker must be); it is registered only once DevTools shows our panel.
    const url = server.page('/devtools-service-worker.html', `<!doctype html><title>devtools service worker</title><script>
      window.start = async () => {
        await navigator.serviceWorker.register('/devtools-service-worker.js');
        const registration = await navigator.serviceWorker.ready;
        return new Promise((resolve) => {
          navigator.serviceWorker.onmessage = (e) => resolve(e.data);
          registration.active.postMessage(${JSON.stringify(socketUrl)});
        });
      };
    </script>`);
    await page.goto(url);
    await showOurPanelInDevtools(ext);

    expect(await page.evaluate(() => (window as unknown as { start(): Promise<string> }).start())).toBe('hello from the service worker');

    const store = await waitForStore(
      ext.sw!,
      (s) => {
        const socket = s.connections.find((c) => c.url === socketUrl);
        return socket !== undefined && framesOf(s, socket.id).length === 2;
      },
      30_000,
    );
    const connections = store.connections.filter((c) => c.url === socketUrl);
    expect(connections).toHaveLength(1);
    const socket = connections[0];
    expect(socket.source).toBe('devtools');
    expect(socket.initiatorUrl).toBe(`${server.origin}/devtools-service-worker.js`);
    expect((socket.handshake as { status: number }).status).toBe(101);
    expect(framesOf(store, socket.id).map((f) => [f.dir, f.text])).toEqual([
      ['send', 'hello from the service worker'],
      ['receive', 'hello from the service worker'],
    ]);
  } finally {
    await server.close();
    await ext.close();
  }
});

/**
 * Benchmark, not a test of speed: what reading DevTools' log costs while our panel is shown in DevTools. The panel
 * calls getHAR once a second (POLL_MS); each call builds the whole log, `_webSocketMessages` included, in DevTools'
 * own process (not the page's). Run: `WSI_BENCH=1 npx playwright test devtools-network -g benchmark`
 * (`WSI_BENCH_MESSAGES=<n>` for another size; default 10,000 and 50,000 frames on one worker socket).
 */
test('benchmark: the time one getHAR takes with a busy worker socket in the log', async () => {
  test.skip(!process.env.WSI_BENCH, 'set WSI_BENCH=1 to run');
  test.setTimeout(600_000);
  const sizes = process.env.WSI_BENCH_MESSAGES ? [Number(process.env.WSI_BENCH_MESSAGES)] : [10_000, 50_000];
  for (const frames of sizes) {
    const ext = await launchWithExtension(undefined, ['--auto-open-devtools-for-tabs', '--remote-debugging-port=0']);
    const server = await startTestServer();
    try {
      const page = ext.context.pages()[0] ?? (await ext.context.newPage());
      const sends = frames / 2;
      server.page('/busy-worker.js', `const ws = new WebSocket('${server.wsOrigin}/echo?from=busy-worker');
        let got = 0;
        ws.onopen = () => { for (let i = 0; i < ${sends}; i++) ws.send('{"n":' + i + ',"pad":"' + 'x'.repeat(40) + '"}'); };
        ws.onmessage = () => { if (++got === ${sends}) postMessage('done'); };`);
      const url = server.page('/busy-devtools.html', `<!doctype html><script>
        window.start = () => new Promise((resolve) => { const w = new Worker('/busy-worker.js'); w.onmessage = () => resolve('done'); });
      </script>`);
      await page.goto(url);
      const targets = await showOurPanelInDevtools(ext);
      expect(await page.evaluate(() => (window as unknown as { start(): Promise<string> }).start())).toBe('done');
      const panel = (await targets()).find((t) => t.type === 'iframe' && t.url.startsWith(`chrome-extension://${ext.extensionId}/panel.html`))!;
      const measured = (await evaluateIn(
        panel,
        `(async () => {
          const once = () => new Promise((resolve) => { const t = performance.now(); chrome.devtools.network.getHAR((har) => resolve({ ms: performance.now() - t, messages: har.entries.reduce((n, e) => n + (e._webSocketMessages?.length ?? 0), 0) })); });
          const runs = [];
          for (let i = 0; i < 5; i++) runs.push(await once());
          return runs;
        })()`,
        120_000,
      )) as Array<{ ms: number; messages: number }>;
      const times = measured.map((r) => r.ms).sort((a, b) => a - b);
      console.log(`[bench] getHAR with ${measured[0].messages} WebSocket messages in the log: median ${times[2].toFixed(0)} ms (${times.map((t) => t.toFixed(0)).join(', ')})`);
      expect(measured[0].messages).toBeGreaterThanOrEqual(frames);
    } finally {
      await server.close();
      await ext.close();
    }
  }
});
