/**
 * Firefox harness: Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi (Playwright cannot load
 * extensions into Firefox), with the Firefox MV3 build installed as a temporary add-on. Playwright Test is only
 * the runner here. Servers are the same real HTTP + `ws` servers on 127.0.0.1 as the Chromium suite.
 *
 * The extension's IndexedDB is read from an extension page opened as a tab: Firefox's event page is not
 * reachable from BiDi, and every extension page shares its origin and database.
 */
import { test as base } from '@playwright/test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { resolve } from 'node:path';
import { startTestServer, type TestServer } from '../e2e/fixtures';
import { snapshotStore, type SnapshotOptions, type StoredSnapshot } from '../support/read-store';

export { startTestServer, framesOf, type StoredSnapshot, type TestServer } from '../e2e/fixtures';

export const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
export const FIREFOX_EXTENSION_DIR = resolve(process.env.WXT_OUT_DIR ?? '.output', 'firefox-mv3');
/** browser_specific_settings.gecko.id in wxt.config.ts. */
export const GECKO_ID = 'websocket-inspector@example.org';
/** Fixed through a pref so tests know the moz-extension:// origin before installing. */
export const EXTENSION_UUID = '3b8a2f0e-6c1d-4e57-9a42-0f5d7c1e8b63';
export const EXTENSION_ORIGIN = `moz-extension://${EXTENSION_UUID}`;

export interface LaunchedFirefox {
  browser: Browser;
  /** True when the extension was installed (false for the "without" browser of the comparisons). */
  hasExtension: boolean;
  close(): Promise<void>;
}

/** Launches Firefox ESR headless with the Firefox build installed, or with no extension when `extensionDir` is null. */
export async function launchFirefox(extensionDir: string | null = FIREFOX_EXTENSION_DIR, prefs: Record<string, unknown> = {}): Promise<LaunchedFirefox> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    // Without it Firefox refuses to navigate automation to moz-extension:// pages.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: { 'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }), ...prefs },
  });
  try {
    if (extensionDir) {
      const id = await browser.installExtension(extensionDir);
      if (id !== GECKO_ID) throw new Error(`installed add-on id ${id}, expected ${GECKO_ID}`);
    }
  } catch (error) {
    await browser.close();
    throw error;
  }
  return { browser, hasExtension: extensionDir !== null, close: () => browser.close() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Opens an extension page (path like `/panel.html?tabId=3`) in a new tab. `page.goto` to moz-extension:// loads
 * the page but never resolves in Firefox, so it is started without awaiting and the document is polled.
 */
export async function openExtensionPage(browser: Browser, path: string, timeoutMs = 20_000): Promise<Page> {
  const page = await browser.newPage();
  const url = EXTENSION_ORIGIN + path;
  page.goto(url).catch(() => undefined); // settles only when the page is closed
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await page.evaluate(() => [location.href, document.readyState]);
      const [href, readyState] = last as [string, string];
      if (href === url && readyState === 'complete') return page;
    } catch (error) {
      last = error; // navigation in progress: the old document's realm went away
    }
    await sleep(100);
  }
  await page.close().catch(() => undefined);
  throw new Error(`${url} did not load in ${timeoutMs} ms (last: ${String(last)})`);
}

/** Everything in the extension's IndexedDB, read in an extension page; binary payloads come back as base64 (see tests/support/read-store.ts). */
export async function readStore(extensionPage: Page, options: SnapshotOptions = {}): Promise<StoredSnapshot> {
  return extensionPage.evaluate(snapshotStore, options);
}

/** Polls the store until `predicate` holds (capture is asynchronous by design); returns the last snapshot. */
export async function waitForStore(extensionPage: Page, predicate: (s: StoredSnapshot) => boolean, timeoutMs = 20_000): Promise<StoredSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: StoredSnapshot | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await readStore(extensionPage);
      if (predicate(last)) return last;
    } catch (error) {
      lastError = error; // the database may not exist yet
    }
    await sleep(200);
  }
  const summary = last && { sessions: last.sessions.length, connections: last.connections.map((c) => [c.url, c.state]), frames: last.frames.length };
  throw new Error(`store did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(summary)}${lastError ? `; error: ${String(lastError)}` : ''}`);
}

/** Opens `url` in a new tab and waits for its load event. */
export async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  return page;
}

/** A unique suffix for test-owned URLs: tests share one browser (and one database) per worker. */
let unique = 0;
export const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++unique}`;

/**
 * Worker-scoped: one Firefox with the extension, one store reader page and one server per worker, shared by the
 * Firefox spec files (Firefox takes seconds to start on a busy two-core machine). Tests keep apart by URL.
 */
export const test = base.extend<object, { firefox: LaunchedFirefox; reader: Page; server: TestServer }>({
  firefox: [
    async ({}, use) => {
      const launched = await launchFirefox();
      await use(launched);
      await launched.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  reader: [
    async ({ firefox }, use) => {
      // The smallest extension page: the store checks do not depend on the panel UI (its one call,
      // devtools.panels.create, fails harmlessly outside DevTools). Panel tests open panel.html themselves.
      await use(await openExtensionPage(firefox.browser, '/devtools.html'));
    },
    { scope: 'worker', timeout: 60_000 },
  ],
  server: [
    async ({}, use) => {
      const server = await startTestServer();
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
});

export const expect = test.expect;

/** The worker's Firefox with the extension, plus one without it, for "the page cannot tell" comparisons. */
export const comparisonTest = test.extend<object, { withoutExt: LaunchedFirefox }>({
  withoutExt: [
    async ({}, use) => {
      const launched = await launchFirefox(null);
      await use(launched);
      await launched.close();
    },
    { scope: 'worker', timeout: 120_000 },
  ],
});
