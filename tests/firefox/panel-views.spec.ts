/**
 * Issue 23's grid columns and issue 24's Stats, Compare and Copy as code in Firefox ESR, the panel as a tab
 * (panel.html?tabId=<n>) on a live page talking to a real `ws` server on 127.0.0.1: a column hidden from the header
 * menu stays hidden after a reload and Reset columns brings it back; the Stats dialog counts a known exchange each
 * way and Escape gives focus back; the JSON-aware diff names the changed paths; the copied wscat command and Node
 * `ws` script (read back from Firefox's clipboard) name the connection's URL and carry its frames in order.
 * Chromium's versions: tests/e2e/panel-columns.spec.ts, panel-stats.spec.ts, panel-diff.spec.ts,
 * panel-copy-code.spec.ts (which also runs the copied code).
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import {
  test,
  expect,
  aria,
  find,
  captured,
  cellOf,
  framesStored,
  gridRows,
  menuItemStartingWith,
  openPanel,
  readSetting,
  reloadPanel,
  rowWith,
  selectConnection,
  sendFromPage,
  socketPage,
  textOf,
  uniqueId,
  writeSetting,
} from './panel-helpers';

const VIEWPORT = { width: 1200, height: 800 };

/** The grid's column headers' accessible names, in order. */
const headerNames = async (panel: Page) =>
  (await find(panel, aria('grid', 'Messages'))).evaluate((g) => [...g.querySelectorAll('[role="columnheader"]')].map((h) => h.getAttribute('aria-label')));

/** The number of cells of each data row in the grid. */
const cellCounts = async (panel: Page) =>
  (await find(panel, aria('grid', 'Messages'))).evaluate((g) =>
    [...g.querySelectorAll('[role="row"]')].filter((r) => r.querySelector('[role="gridcell"]')).map((r) => r.querySelectorAll('[role="gridcell"]').length),
  );

/** Right-clicks the grid's header row; the Columns menu it opens. */
async function columnsMenu(panel: Page): Promise<ElementHandle<Element>> {
  await (await find(panel, aria('row', 'Columns (context menu: show, hide, reset)'))).click({ button: 'right' });
  return find(panel, aria('menu', 'Columns'));
}

const gone = async (root: Page | ElementHandle, selector: string) => expect.poll(async () => (await root.$(selector)) === null).toBe(true);

test('columns: the header menu hides a column (header and cells), it stays hidden after a reload, Reset columns brings it back', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-columns');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await sendFromPage(page, ['hello columns']);
  const { tabId } = await captured(reader, wsUrl, framesStored(2));
  const stored = await readSetting(reader, 'gridColumns');
  const panel = await openPanel(firefox.browser, tabId);
  await panel.setViewport(VIEWPORT);
  const ALL = ['Direction', 'Conn', 'Time', 'Size', 'Type', 'Summary', 'Data'];
  try {
    await expect.poll(() => headerNames(panel)).toEqual(ALL);
    const sizeOf = async () => (await gridRows(panel)).filter((r) => r.cells.Data === 'hello columns').map((r) => r.cells.Size);
    await expect.poll(sizeOf).toEqual(['13 B', '13 B']);

    let menu = await columnsMenu(panel);
    const size = await find(menu, aria('menuitemcheckbox', 'Size'));
    expect(await size.evaluate((s) => s.getAttribute('aria-checked'))).toBe('true');
    await size.click();
    await gone(panel, aria('menu', 'Columns'));
    const WITHOUT_SIZE = ['Direction', 'Conn', 'Time', 'Type', 'Summary', 'Data'];
    await expect.poll(() => headerNames(panel)).toEqual(WITHOUT_SIZE);
    // Its cells went with it: six cells a row (the open and the two frames), none holding the size.
    await expect.poll(() => cellCounts(panel)).toEqual([6, 6, 6]);
    expect((await gridRows(panel)).flatMap((r) => Object.values(r.cells))).not.toContain('13 B');

    // Stored before the reload (a page reloaded mid-write loses it), then read back by the new document.
    await expect.poll(async () => ((await readSetting(reader, 'gridColumns')) as { shown?: Record<string, boolean> } | undefined)?.shown?.size).toBe(false);
    await reloadPanel(panel);
    await expect.poll(() => headerNames(panel)).toEqual(WITHOUT_SIZE);
    await expect.poll(() => cellCounts(panel)).toEqual([6, 6, 6]);

    menu = await columnsMenu(panel);
    expect(await (await find(menu, aria('menuitemcheckbox', 'Size'))).evaluate((s) => s.getAttribute('aria-checked'))).toBe('false');
    await (await find(menu, aria('menuitem', 'Reset columns'))).click();
    await expect.poll(() => headerNames(panel)).toEqual(ALL);
    await expect.poll(sizeOf).toEqual(['13 B', '13 B']);
    await expect.poll(() => readSetting(reader, 'gridColumns')).toBeUndefined(); // the defaults again, for later panels too
  } finally {
    await writeSetting(reader, 'gridColumns', stored); // as this worker's later panels expect them
  }
  await panel.close();
  await page.close();
});

/** Each row of table `name` in `root`: its row header's text and its cells' texts. */
const tableRows = async (root: ElementHandle<Element>, name: string) =>
  (await find(root, aria('table', name))).evaluate((t) =>
    [...t.querySelectorAll('tbody tr')].map((r) => [r.querySelector('th')?.textContent?.trim() ?? '', ...[...r.querySelectorAll('td')].map((d) => d.textContent!.trim())]),
  );

test('stats: the dialog counts the frames each way of a known exchange; Escape closes it and focus goes back to Stats', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-stats');
  // The server sends five messages as the socket opens; the page sends two.
  const wsUrl = `${server.wsOrigin}/burst?n=5&size=16&${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await sendFromPage(page, ['{"type":"hello"}', '{"type":"bye"}']);
  const { tabId } = await captured(reader, wsUrl, framesStored(7));
  const panel = await openPanel(firefox.browser, tabId);
  await panel.setViewport(VIEWPORT);

  // At 1200 px Stats is on the toolbar's line (toolbarControl in panel-helpers.ts covers the More menu).
  const toolbar = await find(panel, aria('toolbar', 'Capture'));
  const stats = await find(toolbar, aria('button', 'Stats'));
  await stats.click();
  const dialog = await find(panel, aria('dialog', 'Stats'));
  expect(await textOf(dialog, aria('heading', 'Session: 1 connections'))).toBe('Session: 1 connections');
  await expect.poll(async () => (await tableRows(dialog, 'Traffic').catch(() => [])).map((r) => r.slice(0, 2))).toEqual([
    ['Sent', '2'],
    ['Received', '5'],
    ['Total', '7'],
  ]);
  // Every frame is in one size bucket or another.
  const sizes = await tableRows(dialog, 'Message sizes');
  expect(sizes.reduce((sum, [, count]) => sum + Number(count), 0)).toBe(7);
  expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true); // focus moved in

  await panel.keyboard.press('Escape');
  await gone(panel, aria('dialog', 'Stats'));
  await expect.poll(() => stats.evaluate((b) => b === document.activeElement)).toBe(true);
  await panel.close();
  await page.close();
});

/** Right-clicks the Data cell of the row holding `text`; the row menu it opens. */
async function rowMenu(panel: Page, text: string): Promise<ElementHandle<Element>> {
  await (await cellOf(panel, await rowWith(panel, text), 'Data')).click({ button: 'right' });
  return find(panel, aria('menu', 'Message actions'));
}

test('compare: mark one message, compare another with it: the JSON-aware diff names the changed paths; Escape returns to the row', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-diff');
  const wsUrl = `${server.wsOrigin}/silent?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await sendFromPage(page, ['{"user":{"name":"Ada","id":7},"tags":["a"],"old":true}', '{"user":{"name":"Grace","id":7},"tags":["a","b"],"new":1}']);
  const { tabId } = await captured(reader, wsUrl, framesStored(2));
  const panel = await openPanel(firefox.browser, tabId);
  await panel.setViewport(VIEWPORT);
  await expect.poll(async () => (await gridRows(panel)).length).toBe(3);

  let menu = await rowMenu(panel, '"Ada"');
  await (await find(menu, aria('menuitemcheckbox', 'Mark for compare'))).click();
  await gone(panel, aria('menu', 'Message actions'));
  menu = await rowMenu(panel, '"Grace"');
  await (await menuItemStartingWith(menu, 'Compare with marked (#1 message ')).click();

  const dialog = await find(panel, aria('dialog', 'Compare messages'));
  await expect.poll(() => textOf(dialog, aria('status', 'Diff summary')).catch(() => '')).toBe('4 changed paths: 1 changed, 2 added, 1 removed.');
  const paths = await tableRows(dialog, 'Changed paths');
  expect(paths.sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
    ['$.new', 'added', '', '1'],
    ['$.old', 'removed', 'true', ''],
    ['$.tags[1]', 'added', '', '"b"'],
    ['$.user.name', 'changed', '"Ada"', '"Grace"'],
  ]);

  // Escape closes it and focus is back on the row the menu was on. (Focus sits on Close compare, which outlives the
  // dialog's content, so Firefox's own <dialog> focus return gives the same: this checks what the user gets; the
  // Stats test above is the one that fails without the panel's own focus return.)
  await panel.keyboard.press('Escape');
  await gone(panel, aria('dialog', 'Compare messages'));
  const grace = await rowWith(panel, '"Grace"');
  await expect.poll(() => panel.evaluate(() => document.activeElement?.id)).toBe(grace.id);
  await panel.close();
  await page.close();
});

test('copy as code: the wscat command and the Node ws script copied for a connection name its URL and carry its frames in order', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-code');
  const wsUrl = `${server.wsOrigin}/silent?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  const frames = ['{"op":"hello","n":1}', "it's the second", '-third'];
  await sendFromPage(page, frames);
  const { tabId } = await captured(reader, wsUrl, framesStored(3));
  const panel = await openPanel(firefox.browser, tabId);
  await panel.setViewport(VIEWPORT);

  const actions = await find(panel, aria('toolbar', 'Connection actions'));
  await selectConnection(panel, wsUrl);
  await (await find(actions, aria('button', 'Copy as code…'))).click();
  const dialog = await find(panel, aria('dialog', 'Copy as code'));
  await expect.poll(() => textOf(dialog, aria('status', 'What is copied')).catch(() => '')).toBe(`3 frames: the messages connection #1 sent, to ${wsUrl}.`);

  const clipboard = () => panel.evaluate(() => navigator.clipboard.readText());
  const copy = async (label: string, marker: string) => {
    await (await find(dialog, aria('button', `Copy ${label}`))).click();
    await expect.poll(() => panel.evaluate(() => [...document.querySelectorAll('[role="status"]')].map((s) => s.textContent))).toContain(`Copied the ${label}.`);
    await expect.poll(clipboard).toContain(marker);
    return clipboard();
  };
  const inOrder = (code: string, parts: string[]) => {
    const at = parts.map((p) => code.indexOf(p));
    expect(at.every((i) => i >= 0), `${JSON.stringify(parts)} in ${code}`).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  };

  // Shell words in single quotes ('\'' for a quote), each frame as its own --execute.
  const wscat = await copy('wscat command', 'wscat --connect=');
  inOrder(wscat, [`--connect='${wsUrl}'`, `--execute='{"op":"hello","n":1}'`, `--execute='it'\\''s the second'`, `--execute='-third'`]);
  // The Node script: the URL and each frame as JavaScript string literals.
  const node = await copy('JavaScript (Node, ws)', "require('ws')");
  inOrder(node, [`new WebSocket(${JSON.stringify(wsUrl)}`]);
  inOrder(node, frames.map((f) => JSON.stringify(f)));
  await panel.close();
  await page.close();
});
