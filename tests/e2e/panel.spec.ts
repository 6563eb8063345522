/**
 * The panel opened as a tab (panel.html?tabId=<n>) against a live page with real WebSockets: what a user sees
 * and does, found by role and accessible name.
 */
import type { BrowserContext, Page, Worker } from '@playwright/test';
import { test, expect, waitForStore, readStore } from './fixtures';
import { seedArgs, seedStore } from '../support/seed-store';

/** The tab id of `page` (the extension has no `tabs` permission: query the active tab). */
async function tabIdOf(page: Page, sw: Worker): Promise<number> {
  await page.bringToFront();
  return sw.evaluate(async () => {
    const tabs = (globalThis as any).chrome.tabs as { query(q: object): Promise<Array<{ id?: number }>> };
    const [tab] = await tabs.query({ active: true, lastFocusedWindow: true });
    return tab.id!;
  });
}

async function openPanel(context: BrowserContext, extensionId: string, tabId: number | null, query = ''): Promise<Page> {
  const panel = await context.newPage();
  const tab = tabId === null ? '' : `tabId=${tabId}`;
  await panel.goto(`chrome-extension://${extensionId}/panel.html?${[tab, query].filter(Boolean).join('&')}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

const grid = (panel: Page) => panel.getByRole('grid', { name: 'Messages' });
/** Data rows (the header row has no gridcell). */
const rows = (panel: Page) => grid(panel).getByRole('row').filter({ has: panel.getByRole('gridcell') });
const rowWith = (panel: Page, text: string | RegExp) => rows(panel).filter({ hasText: text });
const count = (panel: Page) => panel.getByRole('status', { name: 'Shown messages' });

/** A page with one echo socket `window.ws`, open before the test goes on. */
async function echoPage(page: Page, server: { page(path: string, html: string): string; wsOrigin: string }, path = '/p.html', extra = '') {
  const url = server.page(path, `<!doctype html><title>echo</title><script>
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    window.opened = new Promise((r) => ws.addEventListener('open', r));
    ${extra}
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).opened);
}

async function sendFromPage(page: Page, items: Array<string | number[]>) {
  await page.evaluate((list) => {
    for (const item of list) (window as any).ws.send(typeof item === 'string' ? item : new Uint8Array(item));
  }, items);
}

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

test('payloads, URLs and close reasons that look like HTML stay inert text', async ({ page, server, sw, context, ext }) => {
  const img = '<img src=x onerror="window.__xss=(window.__xss||0)+1;alert(1)">';
  const script = '<script>window.__xss=1;alert(2)</script>';
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  let dialogs = 0;
  panel.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await sendFromPage(page, [img, script, `{"html":"${img.replace(/"/g, '\\"')}"}`]);
  const reason = '<b onmouseover=alert(3)>x</b>';
  await page.evaluate(({ origin, reason }) => {
    const s = new WebSocket(`${origin}/close?code=4001&reason=${encodeURIComponent(reason)}&q=<img src=x onerror=alert(4)>`);
    s.onopen = () => s.send('trigger close');
  }, { origin: server.wsOrigin, reason });

  await expect(rowWith(panel, img)).toHaveCount(2);
  await expect(rowWith(panel, script)).toHaveCount(2);
  await expect(rowWith(panel, `Connection closed: code 4001, reason "${reason}"`)).toHaveCount(1);
  await expect(panel.getByRole('listbox', { name: 'Connections' })).toContainText('/close?code=4001');
  await rowWith(panel, img).first().click();
  await expect(panel.getByRole('region', { name: 'Message details' }).getByRole('tabpanel')).toHaveText(img);
  await rowWith(panel, '"html"').first().click();
  await expect(panel.getByRole('tree', { name: 'JSON tree' })).toContainText(JSON.stringify(img));
  await rowWith(panel, 'Connection closed').click();
  await expect(panel.getByRole('region', { name: 'Message details' })).toContainText(reason);

  expect(await panel.locator('#app img, #app b, #app script').count()).toBe(0);
  expect(await panel.evaluate(() => (window as any).__xss)).toBeUndefined();
  await panel.waitForTimeout(300); // give an injected handler (image error) the chance to run
  expect(await panel.evaluate(() => (window as any).__xss)).toBeUndefined();
  expect(dialogs).toBe(0);
});

test('sessions from earlier page loads stay listed and browsable; a new load is followed', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['from the first load']);
  await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'from the first load' && f.dir === 'receive'));
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(2);

  await page.reload();
  await page.evaluate(() => (window as any).opened);
  await sendFromPage(page, ['from the second load']);
  // The panel switches to the new page load by itself.
  await expect(rowWith(panel, 'from the second load')).toHaveCount(2);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(0);

  const picker = panel.getByRole('combobox', { name: 'Session' });
  await expect(picker.locator('optgroup[label="This tab"] option')).toHaveCount(2);
  const older = await picker.locator('optgroup[label="This tab"] option').nth(1).getAttribute('value');
  await picker.selectOption(older!);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(2);
  await expect(rowWith(panel, 'from the second load')).toHaveCount(0);
  // A picked older session stays on screen while the page keeps talking.
  await sendFromPage(page, ['more on the second load']);
  // The echo, not just the send: the search below runs once and must find both.
  await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'more on the second load' && f.dir === 'receive'));
  await panel.waitForTimeout(500);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(2);

  // Search over every stored session finds the other load's message and opens it.
  await panel.getByRole('searchbox', { name: 'Search all sessions' }).fill('more on the second');
  const results = panel.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('button')).toHaveCount(2);
  await results.getByRole('button').first().click();
  await expect(rowWith(panel, 'more on the second load')).toHaveCount(2);
  await expect(panel.getByRole('region', { name: 'Message details' }).getByRole('tabpanel')).toHaveText('more on the second load');
});

test('pause stops storing frames for the tab, resume restarts; clear session and clear everything', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await sendFromPage(page, ['before pause']);
  await expect(rowWith(panel, 'before pause')).toHaveCount(2);

  const pause = panel.getByRole('button', { name: /Pause capture/ });
  await pause.click();
  const resume = panel.getByRole('button', { name: /Resume capture/ });
  await expect(resume).toHaveAttribute('aria-pressed', 'true');
  await sendFromPage(page, ['while paused']);
  // Lifecycle is still recorded while paused: the connection's last seq passing the echo (seq 5: open, two
  // frames before, this one and its echo) proves the background handled both frames, and dropped them.
  await waitForStore(sw, (s) => s.connections.some((c) => (c.lastSeq as number) >= 5));
  await resume.click();
  await expect(panel.getByRole('button', { name: /Pause capture/ })).toHaveAttribute('aria-pressed', 'false');
  await sendFromPage(page, ['after resume']);
  await expect(rowWith(panel, 'after resume')).toHaveCount(2);
  await expect(rowWith(panel, 'while paused')).toHaveCount(0);
  const stored = await readStore(sw);
  expect(stored.frames.some((f) => f.text === 'while paused')).toBe(false);

  await panel.getByRole('button', { name: 'Clear session' }).click();
  await expect(rows(panel)).toHaveCount(0);
  await waitForStore(sw, (s) => s.frames.length === 0 && s.sessions.length === 0);
  // The page goes on: what it sends after the clear shows, as in DevTools' own log after a clear.
  await sendFromPage(page, ['after clear']);
  await expect(rowWith(panel, 'after clear')).toHaveCount(2);
  await expect(rowWith(panel, 'after resume')).toHaveCount(0);
  // Its socket, still open, is listed again as it was (URL and state), not as a blank.
  await expect(panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: new RegExp(`${server.wsOrigin}/echo`) })).toContainText('open');

  // A new load brings a new session; "Clear all" asks first, then empties the store.
  await page.reload();
  await page.evaluate(() => (window as any).opened);
  await sendFromPage(page, ['new load']);
  await expect(rowWith(panel, 'new load')).toHaveCount(2);
  await panel.getByRole('button', { name: 'Clear all…' }).click();
  await panel.getByRole('group', { name: 'Confirm clearing everything' }).getByRole('button', { name: 'Clear everything' }).click();
  await expect(rows(panel)).toHaveCount(0);
  await waitForStore(sw, (s) => s.frames.length === 0 && s.sessions.length === 0 && s.connections.length === 0);
});

test('a seeded 100,000-message session opens and scrolls with only visible rows in the DOM', async ({ sw, context, ext }) => {
  const N = 100_000;
  // The panel creates the schema (openFrameStore); opening the database without it first would create an
  // empty one that the extension then never upgrades.
  const panel = await openPanel(context, ext.extensionId, 424242);
  // Two connections taking turns: row i is "seeded <i>" on c1 (even i) or c2, sent when i % 3 is 0.
  const t0 = Date.UTC(2026, 0, 1);
  await sw.evaluate(
    seedStore,
    seedArgs({
      session: { id: 'seeded', tabId: 424242, pageUrl: 'http://seed.test/', title: 'seed', startedAt: t0 },
      connections: ['c1', 'c2'].map((id) => ({ id, url: `ws://seed.test/${id}`, frameUrl: '', startedAt: t0 })),
      run: { count: N, connectionIds: ['c1', 'c2'], firstTime: t0, timeStep: 1, dirs: ['send', 'receive', 'receive'], payloads: ['seeded {i:6}'] },
    }),
  );

  await panel.reload();
  await expect(count(panel)).toHaveText('100,000 messages');
  await expect(grid(panel)).toHaveAttribute('aria-rowcount', String(N + 1));
  // Following the tail: the newest row is on screen.
  await expect(rowWith(panel, 'seeded 099999')).toHaveCount(1);
  const domRows = await rows(panel).count();
  expect(domRows).toBeGreaterThan(5);
  expect(domRows).toBeLessThan(100);

  // Jump to the middle: rows there are read in, and still only a screenful exists.
  const scroller = grid(panel).locator('.scroller');
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect(rows(panel).first()).toContainText(/seeded 0[45]\d{4}/);
  expect(await rows(panel).count()).toBeLessThan(100);
  const first = Number(/seeded (\d+)/.exec((await rows(panel).first().textContent())!)![1]);
  const rowIndex = Number(await rows(panel).first().getAttribute('aria-rowindex'));
  expect(rowIndex).toBe(first + 2); // the row shown at a position is the row stored at that position

  // Keyboard paging through the middle keeps the selection and the details in step.
  await rows(panel).nth(3).click();
  const details = panel.getByRole('region', { name: 'Message details' });
  await expect(details.getByRole('tabpanel')).toHaveText(`seeded ${String(first + 3).padStart(6, '0')}`);
  await grid(panel).press('PageDown');
  await expect(details.getByRole('tabpanel')).not.toHaveText(`seeded ${String(first + 3).padStart(6, '0')}`);
  await grid(panel).press('Home');
  await expect(rowWith(panel, 'seeded 000000')).toHaveCount(1);
  await expect(details.getByRole('tabpanel')).toHaveText('seeded 000000');

  // One connection of the two, then a filter over all 100,000.
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /seed\.test\/c2/ }).click();
  await expect(count(panel)).toHaveText('50,000 messages');
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(rowWith(panel, 'seeded 099999')).toHaveCount(1);
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /All connections/ }).click();
  await panel.getByRole('searchbox', { name: 'Filter messages' }).fill('seeded 0777');
  await expect(count(panel)).toHaveText('100 / 100,000 shown');
  await expect(rowWith(panel, 'seeded 077799')).toHaveCount(1); // following the tail of the matches
  expect(await rows(panel).count()).toBeLessThan(100);
});

test('the tab navigates to a page without WebSockets: the panel shows that page, empty, until its first socket', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await sendFromPage(page, ['on the first page']);
  await expect(rowWith(panel, 'on the first page')).toHaveCount(2);

  await page.goto(server.page('/quiet.html', '<!doctype html><title>quiet</title>'));
  const picker = panel.getByRole('combobox', { name: 'Session' });
  await expect(picker.locator('option:checked')).toHaveText('This page (no WebSocket yet)');
  await expect(rows(panel)).toHaveCount(0);
  await expect(panel.getByText('This page has not opened a WebSocket yet.')).toBeVisible();

  await page.evaluate((ws) => {
    const socket = new WebSocket(`${ws}/echo`);
    socket.onopen = () => socket.send('on the second page');
  }, server.wsOrigin);
  await expect(rowWith(panel, 'on the second page')).toHaveCount(2);
  await expect(rowWith(panel, 'on the first page')).toHaveCount(0);
  await expect(picker.locator('option:checked')).toHaveText(/\/quiet\.html \(\d+ messages\)$/);
  // The first page's session is still there to pick.
  await picker.selectOption({ label: (await picker.locator('option', { hasText: '/p.html' }).textContent())! });
  await expect(rowWith(panel, 'on the first page')).toHaveCount(2);
});
