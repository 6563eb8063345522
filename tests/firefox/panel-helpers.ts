/**
 * What the Firefox panel specs share (the issue 23/24 features: latency, timeline, row menu, docked layouts,
 * Settings): the worker's Firefox with the async-clipboard test pref on, the panel opened as a tab, and the grid
 * read as a user sees it (rows by their cells under each column's accessible name). Controls are found by role and
 * accessible name with puppeteer's ARIA selectors, as in panel.spec.ts.
 *
 * The panel remembers its layout and preferences in the extension's database, which every test of a worker shares:
 * a test that changes one (timeline open, time format) puts it back before it ends.
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import { test as base, expect, launchFirefox, openExtensionPage, openPage, waitForStore, type LaunchedFirefox, type StoredSnapshot, type TestServer } from './fixtures';
import { readSettingInPage } from '../support/panel-page';

export { expect, openPage, uniqueId, waitForStore } from './fixtures';

/**
 * The worker's Firefox, launched as fixtures.ts does plus one pref: `dom.events.testing.asyncClipboard` lets
 * `navigator.clipboard.readText()` answer without Firefox's "Paste" pop-up, which automation cannot click (the
 * extension has no clipboardRead permission). Writing is untouched: the panel still copies as it does for users.
 */
export const test = base.extend<object, { firefox: LaunchedFirefox }>({
  firefox: [
    async ({}, use) => {
      const launched = await launchFirefox(undefined, { 'dom.events.testing.asyncClipboard': true });
      await use(launched);
      await launched.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
});

export const aria = (role: string, name: string) => `::-p-aria([role="${role}"][name="${name}"])`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tab id of the page that opened `wsUrl`, and the connection, from the store. */
export async function captured(reader: Page, wsUrl: string, predicate: (s: StoredSnapshot, connectionId: string) => boolean = () => true) {
  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && predicate(s, c.id);
  });
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  return { store, connection, tabId: store.sessions.find((s) => s.id === connection.sessionId)!.tabId! };
}

/** A `captured` predicate: the connection has `n` frames stored. */
export const framesStored = (n: number) => (s: StoredSnapshot, connectionId: string) => s.frames.filter((f) => f.connectionId === connectionId && f.kind === 'frame').length === n;

/**
 * The first element matching `selector`, once it is there. Polls one-shot queries rather than `waitForSelector`:
 * after an extension page reloads, puppeteer's in-page wait for an ARIA selector sometimes never settles in
 * Firefox (seen in 2 of 6 runs), while a fresh query finds the element at once.
 */
export async function find(root: Page | ElementHandle, selector: string, timeoutMs = 15_000): Promise<ElementHandle<Element>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await root.$(selector);
    if (found) return found as ElementHandle<Element>;
    if (Date.now() > deadline) throw new Error(`${selector} not found in ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The text of the first element matching `selector`, once it is there. */
export async function textOf(root: Page | ElementHandle, selector: string): Promise<string> {
  return (await find(root, selector)).evaluate((e) => (e as HTMLElement).textContent!.trim());
}

/** panel.html?tabId=<n> as a tab, once its link to the background says Connected. */
export async function openPanel(browser: LaunchedFirefox['browser'], tabId: number): Promise<Page> {
  const panel = await openExtensionPage(browser, `/panel.html?tabId=${tabId}`);
  await expect.poll(() => textOf(panel, aria('status', 'Connection to the extension'))).toBe('Connected');
  return panel;
}

/**
 * Reloads an extension page. `page.reload()` to moz-extension:// never settles in Firefox (as `goto`, see
 * fixtures.ts), so the reload is started from the page and the new document is polled for.
 */
export async function reloadPanel(panel: Page): Promise<void> {
  await panel.evaluate(() => {
    (window as unknown as { beforeReload: boolean }).beforeReload = true;
    setTimeout(() => location.reload(), 0);
  });
  await expect
    .poll(async () => {
      try {
        return await panel.evaluate(() => !(window as unknown as { beforeReload?: boolean }).beforeReload && document.readyState === 'complete');
      } catch {
        return false; // the old document's realm went away mid-call
      }
    })
    .toBe(true);
  await expect.poll(() => textOf(panel, aria('status', 'Connection to the extension'))).toBe('Connected');
}

export const shownCount = (panel: Page) => textOf(panel, aria('status', 'Shown messages'));

export interface GridRow {
  /** The row element's id (row-<index>), to find it again. */
  id: string;
  name: string;
  selected: boolean;
  /** Each cell's text under its column header's accessible name (Time, Latency, Data…). */
  cells: Record<string, string>;
}

/** The grid's data rows in the DOM (the grid renders those near the screen), read by column header. */
export async function gridRows(panel: Page): Promise<GridRow[]> {
  const grid = await find(panel, aria('grid', 'Messages'));
  return grid.evaluate((g) => {
    const headers = [...g.querySelectorAll('[role="columnheader"]')].map((h) => h.getAttribute('aria-label') ?? '');
    return [...g.querySelectorAll('[role="row"]')]
      .filter((r) => r.querySelector('[role="gridcell"]') && r.getAttribute('aria-busy') !== 'true')
      .map((r) => {
        const cells = [...r.querySelectorAll('[role="gridcell"]')];
        return {
          id: r.id,
          name: r.getAttribute('aria-label') ?? '',
          selected: r.getAttribute('aria-selected') === 'true',
          cells: Object.fromEntries(headers.map((h, i) => [h, cells[i]?.textContent?.trim() ?? ''])),
        };
      });
  });
}

/** The one row whose Data cell contains `text` (fails when none or several do). */
export async function rowWith(panel: Page, text: string): Promise<GridRow> {
  const found = (await gridRows(panel)).filter((r) => r.cells.Data?.includes(text));
  if (found.length !== 1) throw new Error(`${found.length} rows contain ${text}`);
  return found[0];
}

/** A cell of a row by its column's accessible name, as an element to click. */
export async function cellOf(panel: Page, row: GridRow, column: string): Promise<ElementHandle<Element>> {
  const grid = await find(panel, aria('grid', 'Messages'));
  const cell = await grid.evaluateHandle(
    (g, id, column) => {
      const headers = [...g.querySelectorAll('[role="columnheader"]')].map((h) => h.getAttribute('aria-label'));
      return g.querySelector(`#${id}`)!.querySelectorAll('[role="gridcell"]')[headers.indexOf(column)];
    },
    row.id,
    column,
  );
  return cell as ElementHandle<Element>;
}

/** The toolbar's control `name`: inline when it fits, else the "More" (⋮) menu's item (the toolbar folds it there). */
export async function toolbarControl(panel: Page, inline: string, menuItem: string, role: 'menuitem' | 'menuitemcheckbox' = 'menuitem'): Promise<void> {
  const toolbar = await find(panel, aria('toolbar', 'Capture'));
  for (let i = 0; i < 50; i++) {
    const button = await toolbar.$(aria('button', inline));
    if (button) return button.click();
    const more = await toolbar.$(aria('button', 'More'));
    if (more) {
      await more.click();
      const menu = await find(panel, aria('menu', 'More'));
      return (await find(menu, aria(role, menuItem))).click();
    }
    await sleep(100); // the toolbar measures what fits after a resize
  }
  throw new Error(`neither "${inline}" nor the More menu is in the toolbar`);
}

/** Serves /ff-rpc on the worker's server (once): JSON-RPC calls answered after `delays[method]` ms, others never. */
const serving = new WeakSet<TestServer>();
export function serveRpc(server: TestServer, delays: Record<string, number>): void {
  if (serving.has(server)) return;
  serving.add(server);
  server.wss.on('connection', (socket, req) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ff-rpc') return;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id: number; method?: string };
      const delay = delays[message.method ?? ''];
      if (delay !== undefined) setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', id: message.id, result: `${message.method} done` })), delay);
    });
  });
}

/** A page with one socket `window.ws` to `wsUrl`, open when this resolves; `window.sent(items)` sends. */
export async function socketPage(firefox: LaunchedFirefox, server: TestServer, id: string, wsUrl: string): Promise<Page> {
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, `<!doctype html><title>${id}</title><script>
    window.ws = new WebSocket(${JSON.stringify(wsUrl)});
    window.opened = new Promise((r) => ws.addEventListener('open', r));
  </script>`));
  await page.evaluate(() => (window as unknown as { opened: Promise<void> }).opened);
  return page;
}

export const sendFromPage = (page: Page, items: string[]) =>
  page.evaluate((list) => list.forEach((m) => (window as unknown as { ws: WebSocket }).ws.send(m)), items);

/**
 * A value of the extension's `settings` store (preferences, columns, composer history), read in an extension page
 * (every one shares the database): to wait for a write to land before a reload, and to put back what a test changed.
 */
export const readSetting = (extensionPage: Page, key: string): Promise<unknown> => extensionPage.evaluate(readSettingInPage, key);

/** Puts `value` back under `key` in the `settings` store, or deletes the key when `value` is undefined. */
export async function writeSetting(extensionPage: Page, key: string, value: unknown): Promise<void> {
  await extensionPage.evaluate(
    (name, json) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('websocket-inspector');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('settings', 'readwrite');
          const store = tx.objectStore('settings');
          if (json === null) store.delete(name);
          else store.put(JSON.parse(json), name);
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => (open.result.close(), reject(tx.error));
        };
      }),
    key,
    value === undefined ? null : JSON.stringify(value),
  );
}

/** Selects connection `url` in the Connections list (its option's name is "#<n> <url> — <state>, …"). */
export async function selectConnection(panel: Page, url: string): Promise<void> {
  const list = await find(panel, aria('listbox', 'Connections'));
  let option: ElementHandle<Element> | null = null;
  await expect
    .poll(async () => {
      const handle = await list.evaluateHandle((l, url) => [...l.querySelectorAll('[role="option"]')].find((o) => /^#\d+(?:, replay,)? (.*?) — /.exec(o.getAttribute('aria-label') ?? '')?.[1] === url) ?? null, url);
      option = handle.asElement() as ElementHandle<Element> | null;
      return option !== null;
    })
    .toBe(true);
  await option!.click();
  await expect.poll(() => option!.evaluate((o) => o.getAttribute('aria-selected'))).toBe('true');
}

/** The item of an open menu whose accessible name starts with `prefix` (names that end with a row's number). */
export async function menuItemStartingWith(menu: ElementHandle<Element>, prefix: string): Promise<ElementHandle<Element>> {
  const handle = await menu.evaluateHandle(
    (m, prefix) =>
      [...m.querySelectorAll('[role^="menuitem"]')].find((i) => (document.getElementById(i.getAttribute('aria-labelledby') ?? '')?.textContent ?? '').startsWith(prefix)) ?? null,
    prefix,
  );
  const item = handle.asElement() as ElementHandle<Element> | null;
  if (!item) throw new Error(`no menu item starting with "${prefix}"`);
  return item;
}
