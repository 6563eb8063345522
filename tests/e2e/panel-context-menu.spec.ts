/**
 * The message grid's row menu (issue #23 "What DevTools people reach for"), in real Chromium with the panel opened
 * as a tab against a live page and a real ws server: opened by right-click and by keyboard, each item checked by
 * what it does (the clipboard, what the server and the page's listeners receive, the dialog and rows shown, a hold).
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { test, expect, openLoggingPage, waitForStore, framesOf, type TestServer } from './fixtures';
import { openPanel, rowWith, rows } from './panel-helpers';

const menu = (panel: Page) => panel.getByRole('menu', { name: 'Message actions' });
const item = (panel: Page, name: string | RegExp) => menu(panel).getByRole('menuitem', { name });
const clipboard = (panel: Page) => panel.evaluate(() => navigator.clipboard.readText());
const got = (page: Page) => page.evaluate(() => (window as any).got as unknown[][]);
const sendFromPage = (page: Page, items: Array<string | number[]>) =>
  page.evaluate((list) => list.forEach((m) => (window as any).ws.send(typeof m === 'string' ? m : new Uint8Array(m))), items);
const serverTexts = (server: TestServer) => server.received.map((m) => m.data.toString());

test('row menu by right-click and keyboard: copy payload, JSON, base64 and hex; Escape returns to the row; inside the viewport', async ({ page, server, sw, context, ext }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const { tabId } = await openLoggingPage(page, server, sw, '/quiet');
  await sendFromPage(page, ['{"b":1,"a":[2]}', 'plain', [0x48, 0x00, 0xff]]);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 3);
  const panel = await openPanel(context, ext.extensionId, tabId);

  const json = rowWith(panel, '{"b":1');
  await json.click({ button: 'right' });
  await expect(menu(panel)).toBeVisible();
  await expect(json).toHaveAttribute('aria-selected', 'true');
  await expect(item(panel, 'Copy payload')).toBeFocused();
  await item(panel, 'Copy payload').click();
  await expect(menu(panel)).toHaveCount(0);
  await expect.poll(() => clipboard(panel)).toBe('{"b":1,"a":[2]}');
  await expect(panel.getByRole('status').filter({ hasText: 'Copied the payload.' })).toBeVisible();

  // Keyboard: Shift+F10 on the selected row, arrows, Enter.
  await panel.keyboard.press('Shift+F10');
  await expect(menu(panel)).toBeVisible();
  await panel.keyboard.press('ArrowDown');
  await expect(item(panel, 'Copy as JSON')).toBeFocused();
  await panel.keyboard.press('Enter');
  await expect.poll(() => clipboard(panel)).toBe('{\n  "b": 1,\n  "a": [\n    2\n  ]\n}');

  // The context-menu key; Escape closes and focus is back on the row.
  await panel.keyboard.press('ContextMenu');
  await expect(menu(panel)).toBeVisible();
  await panel.keyboard.press('Escape');
  await expect(menu(panel)).toHaveCount(0);
  await expect(json).toBeFocused();
  await panel.keyboard.press('ArrowDown'); // the grid's keys still work from there
  await expect(rowWith(panel, 'plain')).toHaveAttribute('aria-selected', 'true');

  // Text as base64 and hex (its UTF-8 bytes); Copy as JSON disabled with the reason.
  await rowWith(panel, 'plain').click({ button: 'right' });
  await expect(item(panel, 'Copy as JSON')).toHaveAttribute('aria-disabled', 'true');
  await expect(item(panel, 'Copy as JSON')).toHaveAccessibleDescription('The payload is not JSON');
  await item(panel, 'Copy as JSON').click({ force: true }); // a disabled item does nothing, the menu stays
  await expect(menu(panel)).toBeVisible();
  await item(panel, 'Copy as base64').click();
  await expect.poll(() => clipboard(panel)).toBe(Buffer.from('plain').toString('base64'));
  await rowWith(panel, 'plain').click({ button: 'right' });
  await item(panel, 'Copy as hex').click();
  await expect.poll(() => clipboard(panel)).toBe('706c61696e');

  // Binary: hex and base64 of the bytes.
  const binary = rowWith(panel, 'Binary 3 B');
  await binary.click({ button: 'right' });
  await expect(item(panel, 'Copy as JSON')).toHaveAccessibleDescription('A binary payload is not JSON');
  await item(panel, 'Copy as hex').click();
  await expect.poll(() => clipboard(panel)).toBe('4800ff');
  await binary.click({ button: 'right' });
  await item(panel, 'Copy as base64').click();
  await expect.poll(() => clipboard(panel)).toBe('SAD/');

  // Opened near the bottom-right corner, the menu stays inside the viewport.
  const viewport = panel.viewportSize()!;
  const box = (await binary.boundingBox())!;
  await panel.mouse.click(viewport.width - 5, box.y + box.height / 2, { button: 'right' });
  const shown = (await menu(panel).boundingBox())!;
  expect(shown.x + shown.width).toBeLessThanOrEqual(viewport.width);
  expect(shown.y + shown.height).toBeLessThanOrEqual(viewport.height);
  expect(shown.x).toBeGreaterThanOrEqual(0);
  expect(shown.y).toBeGreaterThanOrEqual(0);
});

test('row menu: Edit & resend sends the edited frame; Deliver to the page reaches onmessage, and is disabled once closed', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/quiet');
  await sendFromPage(page, ['{"n":1}']);
  await expect.poll(() => serverTexts(server)).toEqual(['{"n":1}']);
  const panel = await openPanel(context, ext.extensionId, tabId);

  await rowWith(panel, '{"n":1}').click({ button: 'right' });
  await item(panel, 'Edit & resend').click();
  const editor = panel.getByRole('region', { name: 'Message details' }).getByRole('region', { name: 'Edit and resend' });
  const box = editor.getByRole('textbox', { name: 'Message to send' });
  await expect(box).toHaveValue('{"n":1}');
  await expect(box).toBeFocused();
  await box.fill('{"n":2}');
  await editor.getByRole('button', { name: 'Send', exact: true }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['{"n":1}', '{"n":2}']);

  // The server is quiet: whatever the page receives was delivered by the panel.
  expect(await got(page)).toEqual([]);
  await rowWith(panel, '{"n":1}').click({ button: 'right' });
  await item(panel, 'Deliver to the page').click();
  await expect(panel.getByRole('status').filter({ hasText: 'Delivered to the page as a received message.' })).toBeVisible();
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toEqual(['{"n":1}']);
  expect(serverTexts(server)).toHaveLength(2);

  await page.evaluate(() => (window as any).ws.close());
  await expect(rowWith(panel, 'Connection closed')).toHaveCount(1);
  await rowWith(panel, '{"n":1}').first().click({ button: 'right' });
  await expect(item(panel, 'Deliver to the page')).toHaveAttribute('aria-disabled', 'true');
  await expect(item(panel, 'Deliver to the page')).toHaveAccessibleDescription('The connection is closed');
  await expect(item(panel, 'Edit & resend')).toHaveAttribute('aria-disabled', 'true');
});

test('row menu: Replay from here opens the replay dialog on that connection, from that message on; the picker filters', async ({ page, server, sw, context, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw, '/quiet');
  await page.evaluate((origin) => new Promise((resolve) => {
    (window as any).other = new WebSocket(`${origin}/quiet?other`);
    (window as any).other.onopen = resolve;
  }), server.wsOrigin);
  await sendFromPage(page, ['r0', 'r1', 'r2', 'r3', 'r4']);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'send').length === 5);
  const r2 = framesOf(store, connectionId).find((f) => f.text === 'r2')!;
  const panel = await openPanel(context, ext.extensionId, tabId);

  await rowWith(panel, 'r2').click({ button: 'right' });
  await item(panel, 'Replay from here').click();
  const dialog = panel.getByRole('dialog', { name: 'Replay messages' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('radio', { name: 'Sent messages of connection' })).toBeChecked();
  const picker = dialog.getByRole('combobox', { name: 'Connection to replay' });
  await expect(picker).toHaveValue(`#1 ${server.wsOrigin}/quiet`);
  await expect(dialog.getByRole('spinbutton', { name: 'from message seq' })).toHaveValue(String(r2.seq));
  await expect(dialog.getByRole('textbox', { name: 'URL' })).toHaveValue(`${server.wsOrigin}/quiet`);
  await dialog.getByRole('combobox', { name: 'Timing' }).selectOption('fast');
  await dialog.getByRole('button', { name: 'Start replay' }).click();
  await expect(dialog.getByRole('status', { name: 'Replay status' })).toHaveText('Replay done: 3 of 3 sent', { timeout: 20_000 });
  expect(serverTexts(server).slice(5)).toEqual(['r2', 'r3', 'r4']);

  // The picker filters by number or URL as you type; Enter picks.
  await picker.fill('other');
  const options = dialog.getByRole('listbox', { name: 'Connection to replay options' }).getByRole('option');
  await expect(options).toHaveText([`#2 ${server.wsOrigin}/quiet?other`]);
  await picker.press('Enter');
  await expect(picker).toHaveValue(`#2 ${server.wsOrigin}/quiet?other`);
  await expect(dialog.getByRole('textbox', { name: 'URL' })).toHaveValue(`${server.wsOrigin}/quiet?other`);
  await picker.fill('#1');
  await expect(options).toHaveText([`#1 ${server.wsOrigin}/quiet`]);
  await picker.press('Escape'); // closes the list only
  await expect(dialog).toBeVisible();
  await expect(picker).toHaveValue(`#2 ${server.wsOrigin}/quiet?other`);
});

test('row menu: Filter to this connection, Hide messages like this (and show them again), Break on messages like this', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/quiet');
  await page.evaluate((origin) => new Promise((resolve) => {
    (window as any).other = new WebSocket(`${origin}/quiet?other`);
    (window as any).other.onopen = () => { (window as any).other.send('from the other socket'); resolve(null); };
  }), server.wsOrigin);
  await sendFromPage(page, ['{"type":"tick","n":1}', '{"n":2,"type":"tock"}', '{"type":"tick"}', 'plain']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 5);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rows(panel)).toHaveCount(7); // 2 opens, 5 frames

  // Hide: the {n, type} shape goes, both of its rows; other shapes, text and events stay.
  await rowWith(panel, '"tick","n":1').click({ button: 'right' });
  await item(panel, /^Hide messages like this \(JSON \{n, type\}\)$/).click();
  await expect(rows(panel)).toHaveCount(5);
  await expect(rowWith(panel, '"n":')).toHaveCount(0);
  await expect(rowWith(panel, '{"type":"tick"}')).toHaveCount(1);
  const hidden = panel.getByRole('group', { name: 'Hidden kinds of messages' });
  await hidden.getByRole('button', { name: '1 hidden kind' }).click();
  await expect(hidden.getByRole('list', { name: 'Hidden kinds' })).toHaveText(/JSON \{n, type\}/);
  await rowWith(panel, 'plain').click({ button: 'right' });
  await item(panel, /^Hide messages like this/).click();
  await expect(hidden.getByRole('button', { name: '2 hidden kinds' })).toBeVisible();
  await expect(rows(panel)).toHaveCount(3); // 'from the other socket' is plain text too
  // Exporting the filtered view writes exactly what the grid shows, hidden kinds left out (the panel names the rows).
  await panel.getByRole('button', { name: 'Export', exact: true }).click();
  const options = panel.getByRole('group', { name: 'Export options' });
  await options.getByRole('radio', { name: 'Filtered view' }).check();
  await options.getByRole('radio', { name: /wsi/i }).check();
  const [download] = await Promise.all([panel.waitForEvent('download'), options.getByRole('button', { name: 'Download' }).click()]);
  expect(await download.failure()).toBeNull();
  const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as { connections: Array<{ messages?: Array<{ data?: string }>; events?: unknown[] }> };
  const texts = JSON.stringify(exported);
  expect(texts).toContain('{\\"type\\":\\"tick\\"}');
  expect(texts).not.toContain('tock');
  expect(texts).not.toContain('plain');
  await expect(options.getByRole('status')).toContainText('Exported 3 rows');
  await expect(options.getByRole('button', { name: 'Download' })).toBeFocused(); // back in the options after the download
  await panel.keyboard.press('Escape');
  await expect(options).toBeHidden();
  await hidden.getByRole('button', { name: 'Show text (not a JSON object) again' }).click();
  await expect(rows(panel)).toHaveCount(5);
  await hidden.getByRole('button', { name: 'Show all hidden kinds' }).click();
  await expect(hidden).toHaveCount(0);
  await expect(rows(panel)).toHaveCount(7);

  // Filter to this connection.
  await rowWith(panel, 'from the other socket').click({ button: 'right' });
  await item(panel, 'Filter to this connection').click();
  const connections = panel.getByRole('listbox', { name: 'Connections' });
  await expect(connections.getByRole('option', { name: /quiet\?other/ })).toHaveAttribute('aria-selected', 'true');
  await expect(rows(panel)).toHaveCount(2);
  await rowWith(panel, 'from the other socket').click({ button: 'right' });
  await expect(item(panel, 'Filter to this connection')).toHaveAccessibleDescription('Only this connection is shown');
  await panel.keyboard.press('Escape');
  await connections.getByRole('option', { name: /All connections/ }).click();

  // Break on: a rule for this shape, scoped to the page's origin; the next such frame is held, others pass.
  await rowWith(panel, '"tick","n":1').click({ button: 'right' });
  await item(panel, /^Break on messages like this/).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Created rule "Break on JSON {n, type}"' })).toBeVisible();
  await expect(panel.getByRole('button', { name: /^Rules/ })).toHaveText(/Rules \(1\)/);
  await page.waitForTimeout(300); // the rules travel on to the page
  await sendFromPage(page, ['{"other":1}', '{"type":"held","n":9}']);
  const hold = panel.getByRole('region', { name: 'Held frames' }).getByRole('article', { name: 'Held outgoing frame on connection #1' });
  await expect(hold.getByRole('textbox', { name: 'Held frame payload' })).toHaveValue('{"type":"held","n":9}');
  await page.waitForTimeout(200);
  expect(serverTexts(server).slice(-1)).toEqual(['{"other":1}']);
  await hold.getByRole('button', { name: 'Forward' }).click();
  await expect.poll(() => serverTexts(server).slice(-1)).toEqual(['{"type":"held","n":9}']);
  const rules = await sw.evaluate(async () => ((await (globalThis as any).chrome.storage.local.get('interceptRules')).interceptRules.rules as Array<{ name: string; scope: string; direction: string }>));
  expect(rules).toEqual([expect.objectContaining({ name: 'Break on JSON {n, type}', scope: server.origin, direction: 'both' })]);
});
