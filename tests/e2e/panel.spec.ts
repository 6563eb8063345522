/**
 * The panel opened as a tab (panel.html?tabId=<n>) against a live page with real WebSockets: what a user sees
 * and does, found by role and accessible name.
 */
import { test, expect, waitForStore } from './fixtures';
import { tabIdOf, openPanel, grid, rows, rowWith, count, echoPage, sendFromPage } from './panel-helpers';

test('connections and messages appear live, with direction, size and type', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);

  const connections = panel.getByRole('listbox', { name: 'Connections' });
  await expect(connections.getByRole('option', { name: /All connections/ })).toHaveAttribute('aria-selected', 'true');
  await expect(connections.getByRole('option', { name: new RegExp(`${server.wsOrigin}/echo`) })).toContainText('open');
  await expect(rowWith(panel, 'Connection opened')).toHaveCount(1);

  await sendFromPage(page, ['hello live']);
  await expect(rowWith(panel, 'hello live')).toHaveCount(2); // sent and its echo
  await expect(rowWith(panel, 'hello live').first().getByRole('gridcell').first()).toHaveText(/sent/);
  await expect(rowWith(panel, 'hello live').nth(1).getByRole('gridcell').first()).toHaveText(/received/);
  await expect(rowWith(panel, 'hello live').first()).toContainText('10 B');
  await expect(rowWith(panel, 'hello live').first()).toContainText('text');

  // More traffic keeps arriving without any action in the panel.
  await sendFromPage(page, ['second', [1, 2, 3]]);
  await expect(rowWith(panel, 'second')).toHaveCount(2);
  await expect(rowWith(panel, 'Binary 3 B: 01 02 03')).toHaveCount(2);
  await expect(connections.getByRole('option', { name: /\/echo/ })).toContainText('↑3');
  await expect(count(panel)).toHaveText('7 messages');

  // Closing shows up in the list and inline in the grid.
  await page.evaluate(() => (window as any).ws.close(4000, 'done here'));
  await expect(rowWith(panel, 'Connection closed: code 4000, reason "done here"')).toHaveCount(1);
  await expect(connections.getByRole('option', { name: /\/echo/ })).toContainText('closed 4000 "done here"');

  // One connection or all of them.
  await page.evaluate((origin) => {
    const second = new WebSocket(`${origin}/echo`);
    second.onopen = () => second.send('from the second socket');
  }, server.wsOrigin);
  await expect(rowWith(panel, 'from the second socket')).toHaveCount(2);
  await connections.getByRole('option', { name: /\/echo/ }).first().click();
  await expect(rowWith(panel, 'from the second socket')).toHaveCount(0);
  await expect(rowWith(panel, 'hello live')).toHaveCount(2);
  await connections.getByRole('option', { name: /All connections/ }).click();
  await expect(rowWith(panel, 'from the second socket')).toHaveCount(2);
});

test('each filter narrows the rows, filters combine, and a bad regex says so', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['alpha one', '{"type":"beta","n":2}', [0x67, 0x61, 0x6d, 0x6d, 0x61], 'ALPHA two']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 8);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await expect(count(panel)).toHaveText('9 messages'); // open + 4 sent + 4 echoed

  await panel.getByRole('button', { name: /^Filters/ }).click(); // the less-used filters fold behind "Filters" (#23)
  const direction = panel.getByRole('combobox', { name: 'Direction' });
  await direction.selectOption({ label: 'Sent' });
  await expect(rows(panel)).toHaveCount(4);
  await expect(count(panel)).toHaveText('4 / 9 shown');
  for (const cell of await rows(panel).all()) await expect(cell.getByRole('gridcell').first()).toHaveText(/sent/);
  await direction.selectOption({ label: 'Received' });
  await expect(rows(panel)).toHaveCount(4);
  for (const cell of await rows(panel).all()) await expect(cell.getByRole('gridcell').first()).toHaveText(/received/);
  await direction.selectOption({ label: 'All directions' });
  await expect(rows(panel)).toHaveCount(9);

  const types = panel.getByRole('group', { name: 'Message types' });
  await types.getByRole('checkbox', { name: 'Text' }).uncheck();
  await types.getByRole('checkbox', { name: 'Events' }).uncheck();
  await expect(rows(panel)).toHaveCount(2);
  await expect(rows(panel).first()).toContainText('binary');
  await types.getByRole('checkbox', { name: 'Text' }).check();
  await types.getByRole('checkbox', { name: 'Binary' }).uncheck();
  await expect(rows(panel)).toHaveCount(6);
  await types.getByRole('checkbox', { name: 'Binary' }).check();
  await types.getByRole('checkbox', { name: 'Events' }).check();
  await expect(rows(panel)).toHaveCount(9);

  const filter = panel.getByRole('searchbox', { name: 'Filter messages' });
  await filter.fill('alpha');
  await expect(rows(panel)).toHaveCount(4); // case-insensitive: alpha one, ALPHA two, both ways
  await panel.getByRole('checkbox', { name: 'Match case' }).check();
  await expect(rows(panel)).toHaveCount(2);
  await panel.getByRole('checkbox', { name: 'Match case' }).uncheck();
  // Binary payloads are searched as UTF-8.
  await filter.fill('gamma');
  await expect(rows(panel)).toHaveCount(2);
  await expect(rows(panel).first()).toContainText('binary');
  // Combined with direction.
  await filter.fill('alpha');
  await direction.selectOption({ label: 'Received' });
  await expect(rows(panel)).toHaveCount(2);
  await expect(count(panel)).toHaveText('2 / 9 shown');
  await direction.selectOption({ label: 'All directions' });
  await filter.fill('');

  const regex = panel.getByRole('textbox', { name: 'Regular expression' });
  await regex.fill('"n":\\d');
  await expect(rows(panel)).toHaveCount(2);
  await expect(rows(panel).first()).toContainText('beta');
  await regex.fill('(unclosed');
  await expect(panel.getByRole('alert')).toContainText('Invalid regular expression');
  await expect(regex).toHaveAttribute('aria-invalid', 'true');
  await expect(regex).toHaveAccessibleDescription(/Invalid regular expression/);
  await regex.fill('^alpha');
  await expect(panel.getByRole('alert')).toHaveCount(0);
  await expect(rows(panel)).toHaveCount(4);
});

test('saved filters persist across panel loads', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['keep me', 'drop me']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 4);
  const tabId = await tabIdOf(page, sw);
  let panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('searchbox', { name: 'Filter messages' }).fill('keep');
  await panel.getByRole('button', { name: /^Filters/ }).click(); // the less-used filters fold behind "Filters" (#23)
  await panel.getByRole('combobox', { name: 'Direction' }).selectOption({ label: 'Sent' });
  await expect(rows(panel)).toHaveCount(1);
  await panel.getByRole('button', { name: 'Save filter' }).click();
  await panel.getByRole('textbox', { name: 'Filter name' }).fill('kept sends');
  await panel.getByRole('button', { name: 'Save', exact: true }).click();
  await panel.close();

  panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rows(panel)).toHaveCount(5);
  await panel.getByRole('combobox', { name: 'Saved filters' }).selectOption({ label: 'kept sends' });
  await expect(rows(panel)).toHaveCount(1);
  await expect(rows(panel).first()).toContainText('keep me');
  await expect(panel.getByRole('searchbox', { name: 'Filter messages' })).toHaveValue('keep');
});

test('detail pane: JSON tree with raw toggle, text, binary hex/base64/UTF-8, exact time and size, copy', async ({ page, server, sw, context, ext }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await echoPage(page, server);
  await sendFromPage(page, ['{"user":{"name":"Ada","roles":["admin","dev"]},"ok":true}', 'plain words', [0x48, 0x69, 0x00, 0xff, 0x41]]);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 6);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const details = panel.getByRole('region', { name: 'Message details' });

  await rowWith(panel, '"user"').first().click();
  await expect(details).toBeVisible();
  await expect(details.getByRole('tab', { name: 'JSON' })).toHaveAttribute('aria-selected', 'true');
  const tree = details.getByRole('tree', { name: 'JSON tree' });
  await expect(tree).toContainText('name: "Ada"');
  await expect(tree.getByRole('treeitem', { name: /^(Expand|Collapse) roles/ })).toContainText('Array(2)');
  await tree.getByRole('button', { name: 'Collapse user' }).click();
  await expect(tree).not.toContainText('"Ada"');
  await tree.getByRole('button', { name: 'Expand user' }).click();
  await expect(tree).toContainText('"Ada"');
  await details.getByRole('checkbox', { name: 'Raw' }).check();
  await expect(details.getByRole('tabpanel')).toHaveText('{"user":{"name":"Ada","roles":["admin","dev"]},"ok":true}');
  await expect(details).toContainText('57 bytes');
  await expect(details).toContainText(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/);

  await details.getByRole('button', { name: 'Copy as JSON' }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Copied as JSON.' })).toBeVisible();
  expect(JSON.parse(await panel.evaluate(() => navigator.clipboard.readText()))).toEqual({ user: { name: 'Ada', roles: ['admin', 'dev'] }, ok: true });
  await details.getByRole('button', { name: 'Copy payload' }).click();
  await expect.poll(() => panel.evaluate(() => navigator.clipboard.readText())).toBe('{"user":{"name":"Ada","roles":["admin","dev"]},"ok":true}');

  await rowWith(panel, 'plain words').first().click();
  await expect(details.getByRole('tab', { name: 'Text' })).toHaveAttribute('aria-selected', 'true');
  await expect(details.getByRole('tab', { name: 'JSON' })).toHaveCount(0);
  await expect(details.getByRole('tabpanel')).toHaveText('plain words');
  await details.getByRole('button', { name: 'Copy as base64' }).click();
  await expect.poll(() => panel.evaluate(() => navigator.clipboard.readText())).toBe(Buffer.from('plain words').toString('base64'));

  await rowWith(panel, 'Binary 5 B').nth(1).click();
  await expect(details).toContainText('received');
  await expect(details.getByRole('tab', { name: 'Hex' })).toHaveAttribute('aria-selected', 'true');
  const hex = details.getByRole('region', { name: 'Hex dump' });
  await expect(hex).toContainText('00000000');
  await expect(hex).toContainText('48 69 00 ff 41');
  await expect(hex).toContainText('Hi..A');
  await details.getByRole('tab', { name: 'Base64' }).click();
  await expect(details.getByRole('tabpanel')).toHaveText('SGkA/0E=');
  await details.getByRole('tab', { name: 'UTF-8' }).click();
  await expect(details.getByRole('tabpanel')).toHaveText('Hi\u0000\ufffdA');
  await details.getByRole('button', { name: 'Copy as hex' }).click();
  await expect.poll(() => panel.evaluate(() => navigator.clipboard.readText())).toBe('486900ff41');
  await details.getByRole('button', { name: 'Copy as base64' }).click();
  await expect.poll(() => panel.evaluate(() => navigator.clipboard.readText())).toBe('SGkA/0E=');
});

test('keyboard: arrows select, Enter opens details, Ctrl+F and / focus the filter, Esc clears it', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['k1', 'k2']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 4);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rows(panel)).toHaveCount(5);

  await grid(panel).focus();
  await panel.keyboard.press('ArrowDown');
  await expect(rows(panel).nth(0)).toHaveAttribute('aria-selected', 'true');
  await expect(rows(panel).nth(0)).toContainText('Connection opened');
  await panel.keyboard.press('ArrowDown');
  await panel.keyboard.press('ArrowDown');
  await expect(rows(panel).nth(2)).toHaveAttribute('aria-selected', 'true');
  await panel.keyboard.press('ArrowUp');
  await expect(rows(panel).nth(1)).toHaveAttribute('aria-selected', 'true');
  await expect(panel.getByRole('region', { name: 'Message details' })).toHaveCount(0);
  await panel.keyboard.press('Enter');
  const details = panel.getByRole('region', { name: 'Message details' });
  await expect(details.getByRole('tabpanel')).toHaveText('k1');
  await panel.keyboard.press('ArrowDown'); // both sends go out before their echoes come back
  await expect(details.getByRole('tabpanel')).toHaveText('k2');
  await expect(details).toContainText('sent');
  await panel.keyboard.press('End');
  await expect(details.getByRole('tabpanel')).toHaveText('k2');
  await expect(details).toContainText('received');

  const filter = panel.getByRole('searchbox', { name: 'Filter messages' });
  await panel.keyboard.press('Control+f');
  await expect(filter).toBeFocused();
  await panel.keyboard.type('k2');
  await expect(rows(panel)).toHaveCount(2);
  await panel.keyboard.press('Escape');
  await expect(filter).toHaveValue('');
  await expect(rows(panel)).toHaveCount(5);

  await grid(panel).focus();
  await panel.keyboard.press('/');
  await expect(filter).toBeFocused();
  await expect(filter).toHaveValue('');
});

test('theme: dark on request and from the system, light otherwise', async ({ context, ext }) => {
  const dark = await openPanel(context, ext.extensionId, null, 'theme=dark');
  await expect(dark.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await dark.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(32, 33, 36)');

  const light = await context.newPage();
  await light.emulateMedia({ colorScheme: 'light' });
  await light.goto(`chrome-extension://${ext.extensionId}/panel.html`);
  await expect(light.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await light.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
  // Tab mode follows the system's scheme, live.
  await light.emulateMedia({ colorScheme: 'dark' });
  await expect(light.locator('html')).toHaveAttribute('data-theme', 'dark');
});
