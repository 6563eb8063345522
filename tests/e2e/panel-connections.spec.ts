/**
 * The connection list with 20,000 connections (issue #9 §3: it took 94 s and 140,000 DOM nodes): the list is
 * virtualised (only the options on screen exist in the DOM) and a `stored` note re-reads only the connections it
 * names. The live page's session gets 20,000 extra connections seeded straight into the store; the panel must
 * show them all, hold only a few hundred option nodes, scroll to the end, select the last one, and still show a
 * new connection the page opens afterwards. No timings are asserted (the lead benchmarks); the time to the first
 * full render is logged.
 */
import type { Page } from '@playwright/test';
import { test, expect, waitForStore, type StoredSnapshot } from './fixtures';
import { seedArgs, seedStore } from '../support/seed-store';

const SEEDED = 20_000;

const optionCount = (panel: Page) => panel.locator('[role="listbox"][aria-label="Connections"] [role="option"]').count();

test('20,000 connections: a virtualised list that scrolls to the end, selects the last and shows a new one', async ({ page, server, sw, context, ext }) => {
  test.setTimeout(180_000);
  const url = server.page('/many.html', `<!doctype html><title>many</title><script>
    window.sockets = [];
    window.openSocket = (path) => new Promise((resolve) => { const ws = new WebSocket('${server.wsOrigin}' + path); sockets.push(ws); ws.onopen = resolve; });
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).openSocket('/echo?first'));
  const before = await waitForStore(sw, (s) => s.connections.some((c) => c.state === 'open'));
  const session = before.sessions[0] as StoredSnapshot['sessions'][number] & { pageUrl: string; title: string; startedAt: number };

  // 20,000 more connections in the live page's session, started before the page's own.
  const t0 = session.startedAt - 60_000;
  const connections = Array.from({ length: SEEDED }, (_, i) => ({ id: `seeded-${i}`, url: `wss://seeded.test/${i}`, startedAt: t0 + i, state: 'closed' as const, closeCode: 1000 }));
  await sw.evaluate(seedStore, seedArgs({ session: { id: session.id, tabId: session.tabId, pageUrl: session.pageUrl, title: session.title, startedAt: session.startedAt }, connections }));

  const panel = await context.newPage();
  const opened = Date.now();
  await panel.goto(`chrome-extension://${ext.extensionId}/panel.html?tabId=${session.tabId}`);
  const list = panel.getByRole('listbox', { name: 'Connections' });
  const all = list.getByRole('option', { name: /All connections/ });
  await expect(all).toContainText(`${SEEDED + 1} connections`, { timeout: 120_000 });
  console.log(`panel-connections: ${SEEDED + 1} connections shown ${Date.now() - opened} ms after opening the panel`);
  await expect(all).toHaveAttribute('aria-selected', 'true');
  expect(await optionCount(panel)).toBeLessThanOrEqual(300);
  await expect(list.getByRole('option', { name: /seeded\.test\/0\s/ })).toBeVisible();

  // Scrolled to the end: the page's own connection is last, and the DOM still holds a window of options.
  await list.evaluate((element) => (element.scrollTop = element.scrollHeight));
  const last = list.getByRole('option', { name: /echo\?first/ });
  await expect(last).toBeInViewport();
  await expect(last).toContainText(`#${SEEDED + 1}`);
  expect(await optionCount(panel)).toBeLessThanOrEqual(300);
  await last.click();
  await expect(last).toHaveAttribute('aria-selected', 'true');
  await expect(all).toHaveCount(0); // scrolled out of the DOM
  await expect(panel.getByText(`Compose on connection #${SEEDED + 1}`)).toBeVisible();

  // Keyboard: Home selects "All connections" (brought back into view), End the last connection again.
  await list.focus();
  await list.press('Home');
  await expect(all).toHaveAttribute('aria-selected', 'true');
  await expect(list).toHaveAttribute('aria-activedescendant', 'conn-all');
  await list.press('End');
  await expect(last).toHaveAttribute('aria-selected', 'true');
  await list.press('ArrowUp');
  await expect(list.getByRole('option', { name: /seeded\.test\/19999\s/ })).toHaveAttribute('aria-selected', 'true');
  await list.press('ArrowDown');
  await expect(last).toHaveAttribute('aria-selected', 'true');

  // A connection the live page opens now is added to the list (its `stored` note names it).
  await page.evaluate(() => (window as any).openSocket('/echo?second'));
  const added = list.getByRole('option', { name: /echo\?second/ });
  await expect(async () => {
    await list.press('End');
    await expect(added).toHaveAttribute('aria-selected', 'true', { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  await expect(added).toBeInViewport();
  await expect(added).toContainText(`#${SEEDED + 2}`);
  expect(await optionCount(panel)).toBeLessThanOrEqual(300);
  await list.press('Home');
  await expect(all).toContainText(`${SEEDED + 2} connections`);
});

test('the panel says what the store says: payload cap, capture gaps, a capped row, connections their page took away', async ({ context, ext, sw }) => {
  const TAB = 4242;
  const t0 = new Date(2026, 0, 2, 14, 3, 7, 0).getTime();
  const panel = await context.newPage();
  await panel.goto(`chrome-extension://${ext.extensionId}/panel.html?tabId=${TAB}`); // creates the schema before seeding
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  await sw.evaluate(
    seedStore,
    seedArgs({
      session: {
        id: 'noted', tabId: TAB, pageUrl: 'https://noted.test/', title: 'noted', startedAt: t0,
        payloadCap: { limit: 256 * 1024 ** 2, reachedAt: t0 + 500, droppedFrames: 3, droppedBytes: 3 * 1024 ** 2 },
        captureGaps: [{ frameUrl: 'https://ads.example/frame.html', reason: 'hand-over-failed', time: t0 + 10 }],
      },
      connections: [
        { id: 'gone', url: 'wss://noted.test/closed', startedAt: t0, state: 'closed', closedAt: t0 + 1234, pageGone: { reason: 'page-closed', time: t0 + 1234 } },
        { id: 'crash', url: 'wss://noted.test/crashed', startedAt: t0 + 1, state: 'closed', closedAt: t0 + 2000, pageGone: { reason: 'crashed', time: t0 + 2000 } },
      ],
      rows: [
        { connectionId: 'gone', time: t0 + 100, kind: 'frame', dir: 'receive', data: 'stored in full' },
        { connectionId: 'gone', time: t0 + 600, kind: 'frame', dir: 'receive', payloadless: 1024 ** 2, note: 'payload not stored: session over its 256 MiB cap' },
      ],
    }),
  );
  await panel.reload();
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  await expect(panel.getByRole('note', { name: 'Payload cap' })).toContainText('Payloads no longer stored: this session reached its 256 MiB cap at 14:03:07.500. 3 frames (3 MiB)');
  await expect(panel.getByRole('note', { name: 'Capture gaps' })).toHaveText('Capture unavailable in 1 frame: https://ads.example/frame.html (hand-over failed)');
  const list = panel.getByRole('listbox', { name: 'Connections' });
  await expect(list.getByRole('option', { name: /noted\.test\/closed/ })).toContainText('page closed at 14:03:08.234');
  await expect(list.getByRole('option', { name: /noted\.test\/crashed/ })).toContainText('page crashed at 14:03:09.000 — frames not yet flushed may be missing');
  const grid = panel.getByRole('grid', { name: 'Messages' });
  const capped = grid.getByRole('row').filter({ hasText: 'payload not stored: session over its 256 MiB cap' });
  await expect(capped).toHaveCount(1);
  await capped.click();
  await expect(panel.getByRole('region', { name: 'Message details' })).toContainText('page closed at 14:03:08.234');
});
