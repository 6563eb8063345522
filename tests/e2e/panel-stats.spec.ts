/**
 * The stats dialog (#13 "Stats"), in real Chromium with the panel opened as a tab against a live page and a real
 * JSON-RPC ws server that answers each method after a known delay: frames each way, message types, heartbeats and
 * latency percentiles by method within 20 ms of the server's delays. The figures come from the conversation slice
 * (panel.conversation.result) or, while it has none, from the dialog's own pass over the stored rows: the spec
 * waits for the table either way.
 */
import { WebSocketServer } from 'ws';
import type { Page } from '@playwright/test';
import { test, expect, waitForStore } from './fixtures';
import { openPanel, rowWith } from './panel-helpers';

const DELAYS: Record<string, number> = { getUser: 60, save: 200 };

/** A JSON-RPC server: replies to each request after DELAYS[method] ms ("never" gets no reply); pings on request. */
async function rpcServer(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const request = JSON.parse(data.toString());
      if (request.method === 'pingMe') {
        for (let i = 0; i < 3; i++) setTimeout(() => socket.send('{"type":"ping"}'), 10 * i);
        return;
      }
      const delay = DELAYS[request.method];
      if (delay !== undefined) setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { ok: true } })), delay);
    });
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}/rpc`, close: () =>
      new Promise((r) => {
        // ws waits for its clients to go before close() calls back: the page's socket is still open.
        for (const client of wss.clients) client.terminate();
        wss.close(() => r());
      }),
  };
}

const cell = (table: ReturnType<Page['getByRole']>, row: string, column: number) => table.getByRole('row', { name: new RegExp(`^${row}\\b`) }).getByRole('cell').nth(column);
const ms = async (locator: ReturnType<Page['getByRole']>) => Number((await locator.textContent())!.replace(' ms', ''));

test('stats: frames each way, types, heartbeats and latency percentiles by method as the stored times give them (the server’s known delays)', async ({ page, server, sw, context, ext }) => {
  test.setTimeout(120_000);
  const rpc = await rpcServer();
  try {
    const url = server.page('/rpc.html', `<!doctype html><script>
      window.ws = new WebSocket('${rpc.url}');
      let id = 0;
      window.call = (method) => ws.send(JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: {} }));
      window.opened = new Promise((r) => ws.onopen = r);
    </script>`);
    await page.goto(url);
    await page.evaluate(() => (window as any).opened);
    // One call at a time, each after the previous reply could have come: latencies are the server's delays.
    for (const method of ['getUser', 'getUser', 'save', 'getUser', 'save', 'never', 'pingMe']) {
      await page.evaluate((m) => (window as any).call(m), method);
      await page.waitForTimeout((DELAYS[method] ?? 0) + 80);
    }
    // 7 sent; 5 replies and 3 pings received.
    const store = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 15);
    const tabId = store.sessions[0].tabId!;
    const panel = await openPanel(context, ext.extensionId, tabId);

    await panel.getByRole('toolbar', { name: 'Connection actions' }).getByRole('button', { name: 'Session stats' }).click();
    const stats = panel.getByRole('dialog', { name: 'Stats' });
    await expect(stats.getByRole('heading', { name: 'Session: 1 connections' })).toBeVisible();
    const traffic = stats.getByRole('table', { name: 'Traffic' });
    await expect(cell(traffic, 'Sent', 0)).toHaveText('7', { timeout: 30_000 });
    await expect(cell(traffic, 'Received', 0)).toHaveText('8');
    await expect(cell(traffic, 'Total', 0)).toHaveText('15');

    const latency = stats.getByRole('table', { name: 'Latency on #1' });
    await expect(latency.getByRole('columnheader')).toHaveText(['Method or type', 'Pairs', 'p50', 'p95', 'p99', 'Max', 'Unanswered']);
    await expect(cell(latency, 'All requests', 0)).toHaveText('5');
    await expect(cell(latency, 'getUser', 0)).toHaveText('3');
    await expect(cell(latency, 'save', 0)).toHaveText('2');
    // The latencies the store's times give (reply time − request time, by id), nearest rank: what the table shows.
    const frames = store.frames.filter((f) => f.kind === 'frame').sort((a, b) => a.seq - b.seq);
    const sentAt = new Map<number, { method: string; time: number }>();
    const latencies: Record<string, number[]> = { getUser: [], save: [] };
    for (const f of frames) {
      const message = JSON.parse(f.text!);
      if (f.dir === 'send') sentAt.set(message.id, { method: message.method, time: f.time });
      else if (message.id !== undefined) latencies[sentAt.get(message.id)!.method].push(f.time - sentAt.get(message.id)!.time);
    }
    const rank = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)];
    for (const [method, column, p] of [['getUser', 1, 50], ['getUser', 2, 95], ['getUser', 4, 100], ['save', 1, 50], ['save', 4, 100]] as const) {
      const shown = await ms(cell(latency, method, column));
      const expected = rank(latencies[method], p);
      expect(Math.abs(shown - expected), `${method} column ${column}: ${shown} vs ${expected}`).toBeLessThan(0.51);
      // And the server's delay, give or take a loaded machine.
      expect(shown).toBeGreaterThanOrEqual(DELAYS[method] - 1);
      expect(shown).toBeLessThanOrEqual(DELAYS[method] + 100);
    }

    // Types and heartbeats.
    await expect(stats.getByRole('table', { name: 'Top message types' }).getByRole('rowheader')).toContainText(['getUser']);
    const heartbeats = stats.getByRole('table', { name: 'Heartbeats' });
    await expect(heartbeats.getByRole('row', { name: /received/ })).toContainText('3');
    // Sizes: every frame is in one bucket or another.
    const sizes = stats.getByRole('table', { name: 'Message sizes' });
    const counts = (await sizes.getByRole('cell').allTextContents()).map(Number);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(15);

    // Escape closes; the row menu opens a connection's stats.
    await panel.keyboard.press('Escape');
    await expect(stats).toBeHidden();
    await rowWith(panel, '"save"').first().click({ button: 'right' });
    await panel.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: 'Stats of this connection' }).click();
    await expect(stats.getByRole('heading', { name: `Connection #1 ${rpc.url}` })).toBeVisible();
    await expect(stats.getByRole('combobox', { name: 'Stats of' })).toHaveValue(store.connections[0].id);
    await expect(cell(stats.getByRole('table', { name: 'Traffic' }), 'Sent', 0)).toHaveText('7');
  } finally {
    await rpc.close();
  }
});
