/**
 * Request↔response pairing in the panel (#13 "See the conversation"), in real Chromium with the built extension,
 * the panel opened as a tab against a live page and a real `ws` JSON-RPC server on 127.0.0.1 that answers each
 * method after a known delay (fast 20 ms, slow 150 ms, never), sends `{"type":"ping"}` heartbeats, and a custom
 * protocol that answers `{"id":…}` with `{"replyTo":…}`. Unanswered requests are flagged by the end-of-capture rule:
 * the page closes the socket, so nothing more can answer them (the 30 s timeout is the unit tests').
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { seedArgs, seedStore } from '../support/seed-store';
import { EXTENSION_DIR, test, expect, waitForStore, type TestServer } from './fixtures';
import { tabIdOf, openPanel, grid, rows, rowWith } from './panel-helpers';

const DELAYS: Record<string, number> = { fast: 20, slow: 150 };
const CUSTOM_DELAY = 60;

/** /rpc answers JSON-RPC calls after DELAYS[method] (never for others) and pings 3 times after the first call; /custom answers `{"id"}` with `{"replyTo"}`. */
function serveConversation(server: TestServer): void {
  server.wss.on('connection', (socket, req) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    let pinged = false;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id: number | string; method?: string };
      if (path === '/rpc') {
        const delay = DELAYS[message.method ?? ''];
        if (delay !== undefined) setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: `${message.method} done` })), delay);
        if (!pinged) {
          pinged = true;
          for (let i = 1; i <= 3; i++) setTimeout(() => socket.send('{"type":"ping"}'), 300 + 100 * i);
        }
      } else if (path === '/custom') setTimeout(() => socket.send(JSON.stringify({ replyTo: message.id, ok: true })), CUSTOM_DELAY);
    });
  });
}

async function conversationPage(page: Page, server: TestServer): Promise<void> {
  const url = server.page('/conversation.html', `<!doctype html><title>conversation</title><script>
    window.rpc = new WebSocket('${server.wsOrigin}/rpc');
    window.custom = new WebSocket('${server.wsOrigin}/custom');
    window.opened = Promise.all([rpc, custom].map((ws) => new Promise((r) => ws.addEventListener('open', r))));
    // What the page itself sees: when each call left and when its answer came.
    window.sentAt = {};
    window.latency = {};
    for (const ws of [rpc, custom]) ws.addEventListener('message', (e) => {
      const m = JSON.parse(e.data);
      const id = m.replyTo ?? m.id;
      if (id !== undefined && id in sentAt) latency[id] = performance.now() - sentAt[id];
    });
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).opened);
}

const call = (page: Page, socket: 'rpc' | 'custom', messages: Array<{ id: number | string; [key: string]: unknown }>) =>
  page.evaluate(
    ({ socket, messages }) =>
      messages.forEach((m) => {
        (window as any).sentAt[m.id] = performance.now();
        (window as any)[socket].send(JSON.stringify(m));
      }),
    { socket, messages },
  );
/** The latency of each call as the page saw it, ms. */
const pageLatency = (page: Page) => page.evaluate(() => (window as any).latency as Record<string, number>);

const request = (id: number, method: string) => ({ jsonrpc: '2.0', id, method, params: [id] });
const requestRow = (panel: Page, id: number) => rowWith(panel, `"id":${id},"method"`);
const responseRow = (panel: Page, id: number) => rowWith(panel, `"id":${id},"result"`);

/** The Latency cell of a row (its column's position among the headers). */
async function latencyCell(panel: Page, row: ReturnType<typeof rowWith>) {
  await expect(grid(panel).getByRole('columnheader', { name: 'Latency' })).toBeVisible();
  const names = await grid(panel).getByRole('columnheader').evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label')));
  return row.getByRole('gridcell').nth(names.indexOf('Latency'));
}

/** The latency a cell shows, with its arrow. */
async function latencyOf(panel: Page, row: ReturnType<typeof rowWith>): Promise<{ arrow: string; ms: number }> {
  const cell = await latencyCell(panel, row);
  await expect(cell).toHaveText(/^[↪↩] \d+ ms$/);
  const [, arrow, ms] = /^([↪↩]) (\d+) ms$/.exec((await cell.textContent()) ?? '')!;
  return { arrow, ms: Number(ms) };
}

const details = (panel: Page) => panel.getByRole('region', { name: 'Message details' });
const selected = (panel: Page) => rows(panel).and(panel.locator('[aria-selected="true"]'));

test('latency on both rows of each JSON-RPC pair matches the server’s delays; go to response and request; unanswered, slower than and heartbeat filters', async ({ page, server, sw, context, ext }) => {
  serveConversation(server);
  await conversationPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);

  // Live: the calls are made with the panel open; the worker catches up as rows are stored.
  await call(page, 'rpc', [request(1, 'fast'), request(2, 'slow'), request(3, 'fast'), request(4, 'slow'), request(5, 'never')]);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 5 + 4 + 3);
  // Within 20 ms of what the page saw (the server's delay, plus what a loaded machine adds to it), never less than
  // the server's delay.
  for (const [id, method] of [[1, 'fast'], [2, 'slow'], [3, 'fast'], [4, 'slow']] as const) {
    const asked = await latencyOf(panel, requestRow(panel, id));
    const answered = await latencyOf(panel, responseRow(panel, id));
    expect(asked.arrow).toBe('↪');
    expect(answered.arrow).toBe('↩');
    expect(answered.ms).toBe(asked.ms);
    expect(asked.ms).toBeGreaterThanOrEqual(DELAYS[method] - 2);
    expect(Math.abs(asked.ms - (await pageLatency(page))[id])).toBeLessThanOrEqual(20);
  }
  await expect(await latencyCell(panel, requestRow(panel, 5))).toHaveText('');

  // The page closes the socket: nothing can answer request 5 any more.
  await page.evaluate(() => (window as any).rpc.close());
  await waitForStore(sw, (s) => s.frames.some((f) => f.kind === 'close'));
  await expect(await latencyCell(panel, requestRow(panel, 5))).toHaveText('no reply');

  // Go to response from the request's Latency cell; go to request from the detail pane.
  await (await latencyCell(panel, requestRow(panel, 2))).click();
  await expect(selected(panel)).toContainText('"id":2,"result"');
  await expect(details(panel)).toContainText(/Request: #\d+, \d+ ms \(slow\)/);
  await details(panel).getByRole('button', { name: 'Go to request' }).click();
  await expect(selected(panel)).toContainText('"id":2,"method":"slow"');
  await expect(details(panel)).toContainText(/Response: #\d+, \d+ ms/);
  await details(panel).getByRole('button', { name: 'Go to response' }).click();
  await expect(selected(panel)).toContainText('"id":2,"result"');
  await (await latencyCell(panel, responseRow(panel, 4))).click();
  await expect(selected(panel)).toContainText('"id":4,"method":"slow"');

  // Filters, in the fold; each counts as active.
  const toggle = panel.getByRole('button', { name: /^Filters/ });
  await toggle.click();
  await panel.getByRole('checkbox', { name: 'Unanswered requests' }).check();
  await expect(rows(panel)).toHaveCount(1);
  await expect(rows(panel)).toContainText('"id":5,"method":"never"');
  await expect(toggle).toHaveAccessibleName('Filters (1 active)');
  await panel.getByRole('checkbox', { name: 'Unanswered requests' }).uncheck();

  await panel.getByRole('spinbutton', { name: 'Slower than (ms)' }).fill('100');
  await expect(rows(panel)).toHaveCount(4);
  for (const id of [2, 4]) {
    await expect(requestRow(panel, id)).toHaveCount(1);
    await expect(responseRow(panel, id)).toHaveCount(1);
  }
  await panel.getByRole('spinbutton', { name: 'Slower than (ms)' }).fill('');

  const all = 2 + 5 + 4 + 3 + 1; // two opens, 5 calls, 4 answers, 3 pings, a close
  await expect(rows(panel)).toHaveCount(all);
  await expect(rowWith(panel, '{"type":"ping"}')).toHaveCount(3);
  await panel.getByRole('checkbox', { name: 'Hide heartbeats' }).check();
  await expect(rows(panel)).toHaveCount(all - 3);
  await expect(rowWith(panel, '{"type":"ping"}')).toHaveCount(0);
  await expect(toggle).toHaveAccessibleName('Filters (1 active)');

  // Docked beside the page, 430 px wide: with the Latency column too, the Data column keeps room for the payload
  // (the Summary gives way, then leaves), latencies stay readable, and no cell runs past the grid's edge.
  await panel.setViewportSize({ width: 430, height: 900 });
  const row = requestRow(panel, 2);
  const cells = row.getByRole('gridcell');
  const gridBox = (await grid(panel).boundingBox())!;
  await expect.poll(async () => (await cells.last().boundingBox())!.width).toBeGreaterThanOrEqual(100);
  const last = (await cells.last().boundingBox())!;
  expect(last.x + last.width).toBeLessThanOrEqual(gridBox.x + gridBox.width + 1);
  await expect(cells.last()).toContainText('"id":2');
  await expect(await latencyCell(panel, row)).toHaveText(/^↪ \d+ ms$/);
  expect(await (await latencyCell(panel, row)).evaluate((cell) => cell.scrollWidth <= cell.clientWidth)).toBe(true);
});

test('JSON-path pairs for a custom protocol ($.id ↔ $.replyTo) give latencies once saved, checked as typed, and survive a reload', async ({ page, server, sw, context, ext }) => {
  serveConversation(server);
  await conversationPage(page, server);
  await call(page, 'custom', [{ id: 'c1', op: 'get' }, { id: 'c2', op: 'put' }]);
  // Two calls before the pings: the decoder detects JSON-RPC from a connection's first three text frames.
  await call(page, 'rpc', [request(1, 'fast'), request(3, 'fast')]);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 4 + 4 + 3); // custom's, the calls and their answers, 3 pings
  const tabId = await tabIdOf(page, sw);
  let panel = await openPanel(context, ext.extensionId, tabId);

  // The JSON-RPC pair shows the column; the custom protocol has no pairs yet.
  expect((await latencyOf(panel, requestRow(panel, 1))).arrow).toBe('↪');
  await expect(await latencyCell(panel, rowWith(panel, '"id":"c1"'))).toHaveText('');

  await panel.getByRole('button', { name: /^Filters/ }).click();
  await panel.getByRole('button', { name: 'Pair by JSON paths…' }).click();
  const form = panel.getByRole('form', { name: 'Pair by JSON paths' });
  await form.getByRole('textbox', { name: 'Response id' }).fill('$.*');
  await expect(form.getByRole('alert')).toContainText('Response path');
  await expect(form.getByRole('button', { name: 'Save' })).toBeDisabled();
  await form.getByRole('textbox', { name: 'Request id' }).fill('$.id');
  await form.getByRole('textbox', { name: 'Response id' }).fill('$.replyTo');
  await form.getByRole('button', { name: 'Save' }).click();
  await expect(form).toHaveCount(0);

  const seen = await pageLatency(page);
  const check = async (p: Page) => {
    for (const id of ['c1', 'c2']) {
      const asked = await latencyOf(p, rowWith(p, `"id":"${id}"`));
      const answered = await latencyOf(p, rowWith(p, `"replyTo":"${id}"`));
      expect([asked.arrow, answered.arrow]).toEqual(['↪', '↩']);
      expect(asked.ms).toBeGreaterThanOrEqual(CUSTOM_DELAY - 2);
      expect(Math.abs(asked.ms - seen[id])).toBeLessThanOrEqual(20);
    }
    // JSON-RPC on the same site keeps pairing by its own ids.
    expect((await latencyOf(p, responseRow(p, 1))).arrow).toBe('↩');
  };
  await check(panel);

  await panel.reload();
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  await check(panel);
  await panel.close();
  panel = await openPanel(context, ext.extensionId, tabId);
  await check(panel);
});

/**
 * The 1M-frame figure (`WSI_BENCH=1`; WSI_BENCH_ROWS for another size): a JSON-RPC session seeded into the store
 * (500,000 calls, each answered 5 ms later), then (1) the conversation worker alone, started from an extension page
 * as the panel starts it, timed to its last update, and (2) the panel opened on the session, timed until the newest
 * row's Latency cell shows its pair, with the main thread's longest task meanwhile.
 */
test('benchmark: pairing and stats of a million frames in the panel', async ({ context, ext }) => {
  test.skip(!process.env.WSI_BENCH, 'set WSI_BENCH=1 to run');
  test.setTimeout(1_800_000);
  const total = Number(process.env.WSI_BENCH_ROWS ?? 1_000_000);
  const benchTab = 777_778;
  const page = await openPanel(context, ext.extensionId, null); // the panel creates the database
  const t0 = Date.now() - total * 10;
  const seedSource = seedStore.toString();
  const seeded = Date.now();
  for (let from = 0; from < total; from += 100_000) {
    const count = Math.min(100_000, total - from);
    const args = seedArgs({
      session: { id: 'bench-conversation', tabId: benchTab, pageUrl: 'https://bench.example/', title: 'bench', startedAt: t0 },
      connections: [{ id: 'rpc', url: 'wss://bench.example/rpc', startedAt: t0 }],
    });
    // The rows are made in the page: a million of them would not cross `evaluate` in reasonable time.
    await page.evaluate(
      `(async () => {
        const seed = ${seedSource};
        const args = ${JSON.stringify(args)};
        const rows = [];
        for (let i = ${from}; i < ${from + count}; i++) {
          const k = i >> 1;
          rows.push(i % 2 === 0
            ? { connectionId: 'rpc', time: ${t0} + 10 * k, kind: 'frame', dir: 'send', data: '{"jsonrpc":"2.0","id":' + k + ',"method":"m' + (k % 5) + '","params":[' + k + ']}' }
            : { connectionId: 'rpc', time: ${t0} + 10 * k + 5, kind: 'frame', dir: 'receive', data: '{"jsonrpc":"2.0","id":' + k + ',"result":' + k + '}' });
        }
        return seed({ ...args, rows });
      })()`,
    );
  }
  console.log(`seeded ${total} rows in ${Date.now() - seeded} ms`);

  // (1) The worker alone.
  const file = readdirSync(join(EXTENSION_DIR, 'assets')).find((f) => /^conversation-worker-.*\.js$/.test(f))!;
  const worker = await page.evaluate(async (path) => {
    const started = performance.now();
    const w = new Worker(path, { type: 'module' });
    let updates = 0;
    const last = await new Promise<any>((resolve) => {
      w.onmessage = (e) => {
        updates++;
        if (e.data.type !== 'update' || e.data.done) resolve(e.data);
      };
      w.postMessage({ type: 'start', generation: 1, options: { sessionId: 'bench-conversation', decoderIds: { rpc: 'json-rpc' } } });
    });
    w.terminate();
    return { ms: Math.round(performance.now() - started), updates, type: last.type, analysed: last.update?.analysed, pairs: last.update?.result.session.pairs, p50: last.update?.result.connections[0]?.latency.overall.p50 };
  }, `/assets/${file}`);
  console.log(`conversation worker: ${JSON.stringify(worker)}`);
  expect(worker).toMatchObject({ type: 'update', analysed: total, pairs: total / 2, p50: 5 });

  // (2) The panel: open on the session, until the newest row (the grid follows it) shows its latency.
  const opened = Date.now();
  const panel = await openPanel(context, ext.extensionId, benchTab);
  await panel.evaluate(() => {
    const w = window as unknown as { longestTask: number };
    w.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longestTask = Math.max(w.longestTask, entry.duration);
    }).observe({ type: 'longtask' });
  });
  const newest = rowWith(panel, `"id":${total / 2 - 1},"result"`);
  await expect(await latencyCell(panel, newest)).toHaveText('↩ 5 ms', { timeout: 600_000 });
  const panelMs = Date.now() - opened;
  const longestTask = await panel.evaluate(() => (window as unknown as { longestTask: number }).longestTask);
  console.log(`panel: newest row's latency shown ${panelMs} ms after opening; longest main-thread task ${Math.round(longestTask)} ms`);
});
