/**
 * The panel page opened as a tab in Firefox (panel.html?tabId=<n>; the DevTools panel itself cannot be selected
 * in Firefox automation): it lists the tab's captured messages and the filter narrows them. Controls are found
 * by role and accessible name through puppeteer's ARIA selectors.
 */
import type { Page } from 'puppeteer-core';
import { test, expect, openExtensionPage, openPage, uniqueId, waitForStore } from './fixtures';

const aria = (role: string, name: string) => `::-p-aria([role="${role}"][name="${name}"])`;

/** Texts of the grid's data rows (rows with grid cells; the header row has none). */
async function rowTexts(panel: Page): Promise<string[]> {
  const grid = await panel.waitForSelector(aria('grid', 'Messages'));
  return grid!.evaluate((g) =>
    [...g.querySelectorAll('[role="row"]')].filter((r) => r.querySelector('[role="gridcell"]')).map((r) => (r as HTMLElement).innerText.replace(/\s+/g, ' ')),
  );
}

async function textOf(panel: Page, selector: string): Promise<string> {
  const el = await panel.waitForSelector(selector);
  return el!.evaluate((e) => (e as HTMLElement).innerText.trim());
}

test('the panel as a tab lists the tab’s messages, and the filter narrows them', async ({ firefox, reader, server }) => {
  const id = uniqueId('panel');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, `<title>panel page</title><script>
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onopen = () => { ws.send('alpha one'); ws.send('beta two'); ws.send(new Uint8Array([1, 2, 3])); };
  </script>`));
  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && s.frames.filter((f) => f.connectionId === c.id && f.kind === 'frame').length === 6;
  });
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  const tabId = store.sessions.find((s) => s.id === connection.sessionId)!.tabId!;

  const panel = await openExtensionPage(firefox.browser, `/panel.html?tabId=${tabId}`);
  await expect.poll(() => textOf(panel, aria('status', 'Connection to the extension'))).toBe('Connected');
  await expect.poll(async () => (await rowTexts(panel)).filter((t) => t.includes('alpha one')).length).toBe(2); // sent and echoed
  const all = await rowTexts(panel);
  expect(all.filter((t) => t.includes('beta two'))).toHaveLength(2);
  expect(all.filter((t) => t.includes('01 02 03'))).toHaveLength(2);

  const filter = await panel.waitForSelector(aria('searchbox', 'Filter messages'));
  await filter!.type('alpha');
  await expect.poll(async () => {
    const rows = await rowTexts(panel);
    return [rows.length, rows.every((t) => t.includes('alpha one'))];
  }).toEqual([2, true]);
  await expect.poll(() => textOf(panel, aria('status', 'Shown messages'))).toMatch(/^2\b/); // "2 / 7 shown": two of open + six frames

  // Clearing the filter brings every row back.
  await filter!.click({ count: 3 });
  await panel.keyboard.press('Backspace');
  await expect.poll(async () => (await rowTexts(panel)).filter((t) => t.includes('beta two')).length).toBe(2);

  // The tab loads a page without WebSockets: the panel follows it (tabs.onUpdated, then the top frame's
  // session-query), empty until that page opens a socket.
  await page.goto(server.page(`/${id}-quiet.html`, '<title>quiet</title>'));
  const picked = () => panel.evaluate(() => (document.querySelector('select[aria-label="Session"]') as HTMLSelectElement | null)?.selectedOptions[0]?.textContent ?? '');
  await expect.poll(picked).toBe('This page (no WebSocket yet)');
  expect(await rowTexts(panel)).toEqual([]);
  await panel.close();
  await page.close();
});
