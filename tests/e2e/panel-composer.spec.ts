/**
 * The composer (issue #23): the direction is an explicit choice (send to the server, or deliver to the page as if
 * received) and text is a template expanded at each send. Real Chromium with the built extension, the panel as a
 * tab, a real ws server; checked at the server and in the page's own listeners.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect, openLoggingPage, type TestServer } from './fixtures';
import { openPanel } from './panel-helpers';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const got = (page: Page) => page.evaluate(() => (window as any).got as unknown[][]);
const serverTexts = (server: TestServer) => server.received.map((m) => m.data.toString());

/** The panel on `tabId` with the composer of its one connection open. */
async function openComposer(context: BrowserContext, extensionId: string, tabId: number, path: RegExp) {
  const panel = await openPanel(context, extensionId, tabId);
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: path }).click();
  await panel.getByText('Compose on connection #1').click();
  const composer = panel.getByRole('region', { name: 'Composer' });
  return { panel, composer, box: composer.getByRole('textbox', { name: 'Message to compose' }) };
}

test('a template is expanded at each send: a real uuid, the counter 1 then 2; a favourite keeps the template', async ({ page, server, sw, context, ext }) => {
  test.slow(); // two panels on a shared 2-core machine
  const { tabId } = await openLoggingPage(page, server, sw);
  const { panel, composer, box } = await openComposer(context, ext.extensionId, tabId, /\/echo/);
  await expect(composer.getByRole('radio', { name: 'Send to server' })).toBeChecked();

  // Not JSON as typed ({{counter}} is unquoted), JSON once expanded: the JSON check reads the expanded text.
  const template = '{"id":"{{uuid}}","n":{{counter}},"at":{{timestamp}}}';
  await box.fill(template);
  await expect(composer.getByRole('status', { name: /Preview/ })).toHaveText(/^\{"id":"[0-9a-f-]{36}","n":1,"at":\d{13}\}$/);
  await expect(composer.getByText('Valid JSON')).toBeVisible();
  await expect(composer.getByRole('alert')).toHaveCount(0);
  const before = Date.now();
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect(composer.getByRole('status').filter({ hasText: 'Sent on the live connection.' })).toBeVisible();
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect.poll(() => server.received.length).toBe(2);
  const [first, second] = serverTexts(server).map((t) => JSON.parse(t) as { id: string; n: number; at: number });
  expect(first.id).toMatch(UUID_V4);
  expect(second.id).toMatch(UUID_V4);
  expect(second.id).not.toBe(first.id);
  expect([first.n, second.n]).toEqual([1, 2]);
  expect(first.at).toBeGreaterThanOrEqual(before);
  expect(first.at).toBeLessThanOrEqual(Date.now());
  await expect(composer.getByRole('status', { name: /Preview/ })).toContainText('"n":3');

  // The escape leaves "{{" as typed.
  await box.fill('literal \\{{uuid}} and {{counter}}');
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect.poll(() => serverTexts(server)[2]).toBe('literal {{uuid}} and 3');

  // History and a favourite keep the template, not what it expanded to.
  await box.fill(template);
  await composer.getByRole('textbox', { name: 'Favourite name' }).fill('stamped');
  await composer.getByRole('button', { name: 'Save as favourite' }).click();
  await expect(composer.getByRole('status').filter({ hasText: 'Saved favourite "stamped".' })).toBeVisible();
  await expect(composer.getByRole('combobox', { name: 'History' }).getByRole('option')).toContainText([template]);
  await panel.close();

  const again = await openComposer(context, ext.extensionId, tabId, /\/echo/);
  await again.composer.getByRole('combobox', { name: 'Favourites' }).selectOption('stamped');
  await expect(again.box).toHaveValue(template);
  await again.composer.getByRole('button', { name: 'Send message' }).click();
  await expect.poll(() => server.received.length).toBe(4);
  const resent = JSON.parse(serverTexts(server)[3]) as { id: string };
  expect(resent.id).toMatch(UUID_V4);
  expect([first.id, second.id]).not.toContain(resent.id);
});

test('an unknown variable is refused with a message, and nothing is sent', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const { composer, box } = await openComposer(context, ext.extensionId, tabId, /\/echo/);
  await box.fill('{"id":"{{uid}}"}');
  await expect(composer.getByRole('alert')).toContainText('Unknown variable {{uid}}');
  await expect(composer.getByRole('status', { name: /Preview/ })).toHaveCount(0);
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect(composer.getByRole('alert').filter({ hasText: /^Not sent: Unknown variable \{\{uid\}\}/ })).toBeVisible();
  await composer.getByRole('radio', { name: 'Deliver to page (as if received)' }).check();
  await composer.getByRole('button', { name: 'Deliver to page' }).click();
  await page.waitForTimeout(500); // what would have been sent or delivered has had time to arrive
  expect(server.received).toEqual([]);
  expect(await got(page)).toEqual([]);
  // The variables are documented where they are typed.
  await composer.getByText('Variables').click();
  for (const name of ['timestamp', 'iso', 'uuid', 'counter', 'random']) await expect(composer.getByText(`{{${name}}}`, { exact: true })).toBeVisible();
});

test('"Deliver to page" on a connection that has no messages yet: the page’s onmessage gets the text', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/silent');
  const { panel, composer, box } = await openComposer(context, ext.extensionId, tabId, /\/silent/);
  await composer.getByRole('radio', { name: 'Deliver to page (as if received)' }).check();
  await expect(composer.getByRole('button', { name: 'Send message' })).toHaveCount(0);
  await box.fill('pushed {{counter}}');
  await composer.getByRole('button', { name: 'Deliver to page' }).click();
  await expect(composer.getByRole('status').filter({ hasText: 'Delivered to the page as a received message.' })).toBeVisible();
  await expect.poll(() => got(page)).toEqual([['pushed 1', false, null]]);
  expect(server.received).toEqual([]); // delivered in the page, never on the network
  await expect(panel.getByRole('grid', { name: 'Messages' }).getByRole('row').filter({ hasText: 'pushed 1' })).toContainText('simulated');
});
