/**
 * Streamed responses in the panel (#24 "See the conversation"): every item of a GraphQL subscription is tied to the
 * subscribe that opened it. Real Chromium with the built extension, the panel opened as a tab against a live page,
 * and a real `ws` server on 127.0.0.1 speaking graphql-transport-ws that answers a subscribe with three `next` 100 ms
 * apart (the first after 30 ms) and a `complete`.
 */
import type { Page } from '@playwright/test';
import { test, expect, waitForStore, type TestServer } from './fixtures';
import { tabIdOf, openPanel, grid, rows, rowWith } from './panel-helpers';

/** When the server sends each answer, ms after the subscribe reached it: three `next`, then `complete`. */
const SCHEDULE = [30, 130, 230, 240];

function serveGraphql(server: TestServer): void {
  server.wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: string; type: string };
      if (message.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
      if (message.type !== 'subscribe') return;
      SCHEDULE.forEach((at, i) =>
        setTimeout(() => socket.send(JSON.stringify(i < 3 ? { id: message.id, type: 'next', payload: { data: { tick: i + 1 } } } : { id: message.id, type: 'complete' })), at),
      );
    });
  });
}

async function subscriptionPage(page: Page, server: TestServer): Promise<void> {
  const url = server.page('/streams.html', `<!doctype html><title>streams</title><script>
    window.gql = new WebSocket('${server.wsOrigin}/graphql', 'graphql-transport-ws');
    // What the page itself sees: each answer's time since the subscribe left, in order.
    window.since = [];
    window.acked = new Promise((resolve) => gql.addEventListener('message', (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'connection_ack') resolve();
      else since.push(performance.now() - window.sentAt);
    }));
    gql.addEventListener('open', () => gql.send(JSON.stringify({ type: 'connection_init' })));
    window.subscribe = () => {
      window.sentAt = performance.now();
      gql.send(JSON.stringify({ id: 's1', type: 'subscribe', payload: { query: 'subscription OnTick { tick }', operationName: 'OnTick' } }));
    };
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).acked);
}

/** The Latency cell of a row (its column's position among the headers). */
async function latencyCell(panel: Page, row: ReturnType<typeof rowWith>) {
  await expect(grid(panel).getByRole('columnheader', { name: 'Latency' })).toBeVisible();
  const names = await grid(panel).getByRole('columnheader').evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label')));
  return row.getByRole('gridcell').nth(names.indexOf('Latency'));
}

const details = (panel: Page) => panel.getByRole('region', { name: 'Message details' });
const selected = (panel: Page) => rows(panel).and(panel.locator('[aria-selected="true"]'));
const tick = (panel: Page, n: number) => rowWith(panel, `"tick":${n}`);

test('every next of a subscription is tied to its subscribe: first-response latency, then index and time since it; go to request from an item', async ({ page, server, sw, context, ext }) => {
  serveGraphql(server);
  await subscriptionPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);

  // Live: the subscription runs with the panel open.
  await page.evaluate(() => (window as any).subscribe());
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 3 + 4);
  const seen = await page.evaluate(() => (window as any).since as number[]);
  expect(seen).toHaveLength(4);

  // The subscribe and its first next: the first response's latency, on both rows.
  const subscribeRow = rowWith(panel, '"type":"subscribe"');
  const asked = await latencyCell(panel, subscribeRow);
  await expect(asked).toHaveText(/^↪ \d+ ms$/);
  const firstMs = Number(/(\d+) ms/.exec((await asked.textContent()) ?? '')![1]);
  await expect(await latencyCell(panel, tick(panel, 1))).toHaveText(`↩ ${firstMs} ms`);
  expect(firstMs).toBeGreaterThanOrEqual(SCHEDULE[0] - 2);
  expect(Math.abs(firstMs - seen[0])).toBeLessThanOrEqual(20);

  // The later nexts: their index in the stream and their time since the subscribe, as the server scheduled them.
  for (const [n, index] of [
    [2, 2],
    [3, 3],
  ] as const) {
    const cell = await latencyCell(panel, tick(panel, n));
    await expect(cell).toHaveText(new RegExp(`^↩ \\+\\d+ ms #${index}$`));
    const ms = Number(/\+(\d+) ms/.exec((await cell.textContent()) ?? '')![1]);
    expect(ms).toBeGreaterThanOrEqual(SCHEDULE[n - 1] - 2);
    expect(Math.abs(ms - seen[n - 1])).toBeLessThanOrEqual(20);
    await expect(cell).toHaveAttribute('title', new RegExp(`^Item ${index} of the stream opened by #\\d+ \\(OnTick\\), ${ms} ms after it\\.`));
  }
  // complete ends the stream.
  const complete = await latencyCell(panel, rowWith(panel, '"type":"complete"'));
  await expect(complete).toHaveText(/^↩ \+\d+ ms end$/);
  expect(Math.abs(Number(/\+(\d+) ms/.exec((await complete.textContent()) ?? '')![1]) - seen[3])).toBeLessThanOrEqual(20);
  // The request keeps its first response's latency.
  await expect(asked).toHaveText(`↪ ${firstMs} ms`);

  // Go to request from the third next: the detail pane's button, and its Latency cell.
  await tick(panel, 3).getByRole('gridcell').last().click();
  await expect(selected(panel)).toContainText('"tick":3');
  await expect(details(panel)).toContainText(/Item 3 of the stream opened by #\d+ \(OnTick\), \d+ ms after it/);
  await details(panel).getByRole('button', { name: 'Go to request' }).click();
  await expect(selected(panel)).toContainText('"type":"subscribe"');
  await tick(panel, 3).getByRole('gridcell').last().click();
  await expect(selected(panel)).toContainText('"tick":3');
  await (await latencyCell(panel, tick(panel, 3))).click();
  await expect(selected(panel)).toContainText('"type":"subscribe"');
});
