/**
 * Streamed export downloads (lib/worker/export-stream.ts) in Chromium with the built extension: the panel's download
 * begins while the export is still being encoded, the file is byte for byte what the Blob export makes, the
 * one-time URL cannot be fetched again or from a page, and a failure or a cancel mid-stream fails the download
 * instead of leaving a truncated file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Download, Page, Worker } from '@playwright/test';
import { test, expect, EXTENSION_DIR } from './fixtures';
import { seedArgs, seedStore } from '../support/seed-store';

const TAB = 515151;
const SESSION = 'streamed';
const ROWS = 200_000;

async function openPanel(context: BrowserContext, extensionId: string): Promise<Page> {
  const panel = await context.newPage();
  await panel.goto(`chrome-extension://${extensionId}/panel.html?tabId=${TAB}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

/** A session of `n` frames on one connection (text with non-ASCII, JSON, binary; after its open row) and a small closed second one. */
async function seed(sw: Worker, n: number): Promise<void> {
  const t0 = Date.UTC(2026, 10, 25, 12, 0, 0) + 0.125;
  const app = 'https://stream.test/app';
  // The big connection's frames start at seq 2: three texts in four (JSON, or "tick <seq> ✓" when seq % 3 is 0), else binary.
  const payloads = Array.from({ length: 12 }, (_, k) => {
    const seq = k + 2;
    if (seq % 4 === 0) return Array.from({ length: 24 }, (_, b) => (b * 11) & 0xff);
    return seq % 3 ? '{"type":"tick","seq":{seq},"price":123.45,"note":"ü"}' : 'tick {seq} ✓';
  });
  await sw.evaluate(
    seedStore,
    seedArgs({
      session: { id: SESSION, tabId: TAB, pageUrl: app, title: 'stream', startedAt: t0 },
      connections: [
        { id: 'big', url: 'wss://stream.test/big', protocols: ['v1'], protocol: 'v1', frameUrl: app, startedAt: t0, state: 'open' },
        { id: 'small', url: 'wss://stream.test/small', protocols: ['v1'], protocol: 'v1', frameUrl: app, startedAt: t0, state: 'closed', closedAt: t0 + 5, closeCode: 4000, closeReason: 'bye ✓', wasClean: true },
      ],
      rows: [
        { connectionId: 'big', time: t0, kind: 'open', protocol: 'v1', extensions: '' },
        { connectionId: 'small', time: t0 + 1, kind: 'open', protocol: 'v1', extensions: '' },
        { connectionId: 'small', time: t0 + 2, kind: 'frame', dir: 'send', data: 'tick héllo ✓ 😀', origin: 'inspector' },
        { connectionId: 'small', time: t0 + 3, kind: 'frame', dir: 'receive', data: [0, 255, 128] },
        { connectionId: 'small', time: t0 + 5, kind: 'close', code: 4000, reason: 'bye ✓', wasClean: true },
      ],
      run: { count: n, connectionIds: ['big'], firstTime: t0 + 0.5, timeStep: 0.25, dirs: ['receive', 'send'], payloads },
    }),
  );
}

/** The bundled worker's URL path inside the built extension (Vite names it with a hash). */
function workerPath(): string {
  const file = readdirSync(join(EXTENSION_DIR, 'assets')).find((f) => /^session-io-worker-.*\.js$/.test(f));
  if (!file) throw new Error(`no session-io-worker bundle in ${EXTENSION_DIR}/assets`);
  return `/assets/${file}`;
}

/**
 * The non-streamed export of the same scope (the worker's Blob), as its length and SHA-256 — a .wsi.json with
 * `exportedAt` set to the streamed file's, the one field that depends on when a file was made.
 */
async function blobExportDigest(page: Page, scope: unknown, format: 'wsi' | 'har', exportedAt?: string): Promise<{ length: number; sha256: string }> {
  return page.evaluate(
    async ({ path, scope, format, exportedAt }) => {
      const worker = new Worker(path, { type: 'module' });
      const answer = await new Promise<any>((resolve) => {
        worker.onmessage = (e) => {
          if (e.data.type !== 'progress') resolve(e.data);
        };
        worker.postMessage({ type: 'export', scope, format });
      });
      worker.terminate();
      if (answer.type !== 'exported') throw new Error(answer.message);
      let bytes = new Uint8Array(await answer.blob.arrayBuffer());
      if (exportedAt !== undefined) {
        const text = new TextDecoder().decode(bytes).replace(/"exportedAt":"[^"]*"/, `"exportedAt":${JSON.stringify(exportedAt)}`);
        bytes = new TextEncoder().encode(text);
      }
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      return { length: bytes.length, sha256: Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('') };
    },
    { path: workerPath(), scope, format, exportedAt },
  );
}

const digestOf = (bytes: Buffer) => ({ length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });

interface StartedExport {
  download: Download;
  /** The panel's status line when the download event arrived. */
  statusAtStart: string;
  /** The URL the hidden iframe navigated to. */
  url: string;
}

/** Chooses scope and format in the Export popover, clicks Download and waits for the browser's download to begin. */
async function startExport(panel: Page, scope: string, format: RegExp): Promise<StartedExport> {
  const exportButton = panel.getByRole('button', { name: 'Export', exact: true });
  if ((await exportButton.getAttribute('aria-expanded')) !== 'true') await exportButton.click();
  const options = panel.getByRole('group', { name: 'Export options' });
  await options.getByRole('radio', { name: scope }).check();
  await options.getByRole('radio', { name: format }).check();
  await panel.evaluate(() => {
    const w = window as unknown as { exportUrl?: string };
    w.exportUrl = undefined;
    // A finished export's frame lingers a while (lib/panel/session-io-client.ts): look for a new one.
    const earlier = new Set(document.querySelectorAll('iframe[title="Export download"]'));
    new MutationObserver((_, observer) => {
      const frame = [...document.querySelectorAll<HTMLIFrameElement>('iframe[title="Export download"]')].find((f) => !earlier.has(f));
      if (frame) {
        w.exportUrl = frame.src;
        observer.disconnect();
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  const [download] = await Promise.all([panel.waitForEvent('download'), options.getByRole('button', { name: 'Download' }).click()]);
  const statusAtStart = (await options.getByRole('status').textContent()) ?? '';
  const url = await panel.evaluate(() => (window as unknown as { exportUrl?: string }).exportUrl ?? '');
  return { download, statusAtStart, url };
}

async function seededPanel(context: BrowserContext, extensionId: string, sw: Worker, rows: number): Promise<Page> {
  const panel = await openPanel(context, extensionId); // creates the schema before seeding
  await seed(sw, rows);
  await panel.reload();
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

test('a 200,000-row session downloads while it is exported, byte for byte the Blob export; cancel and a store failure fail the download', async ({ sw, context, ext, server }) => {
  test.setTimeout(300_000);
  // The service worker logs why a download failed (lib/worker/export-stream.ts): shown with a failure below.
  const swLog: string[] = [];
  sw.on('console', (message) => swLog.push(`${message.type()}: ${message.text()}`));
  let panel = await seededPanel(context, ext.extensionId, sw, ROWS);
  let options = panel.getByRole('group', { name: 'Export options' });
  const fileName = 'stream.test-2026-11-25T12-00-00Z.wsi.json';

  const started = await startExport(panel, 'Whole session', /\.wsi\.json/);
  // The download began while the panel was still exporting: rows done so far, not "Exported …".
  expect(started.statusAtStart).toMatch(/^(Exporting|Downloading)… \d+ rows$/);
  expect(Number(/(\d+) rows/.exec(started.statusAtStart)![1])).toBeLessThan(ROWS);
  expect(started.url).toMatch(new RegExp(`^chrome-extension://${ext.extensionId}/export-stream/[0-9a-f-]{36}$`));
  expect(started.download.suggestedFilename()).toBe(fileName);
  // On failure, say what the panel said (the service worker's or the worker's reason) and what the worker logged.
  expect(await started.download.failure(), `${await options.innerText()}\nservice worker: ${swLog.join('\n')}`).toBeNull();
  const streamed = readFileSync(await started.download.path());
  await expect(options.getByRole('status')).toHaveText(`Exported ${ROWS + 5} rows to ${fileName}.`);
  const parsed = JSON.parse(streamed.toString('utf8'));
  expect(parsed.connections.map((c: { rows: unknown[] }) => c.rows.length)).toEqual([ROWS + 1, 4]);
  expect(digestOf(streamed)).toEqual(await blobExportDigest(panel, { kind: 'session', sessionId: SESSION }, 'wsi', parsed.exportedAt));

  // The URL was good for one fetch: now it is gone, for the panel and (not web-accessible) for any page.
  expect(await panel.evaluate(async (url) => (await fetch(url)).status, started.url)).toBe(404);
  const page = await context.newPage();
  await page.goto(server.page('/probe.html', '<!doctype html><title>probe</title>'));
  expect(await page.evaluate(async (url) => fetch(url).then((r) => `status ${r.status}`, (e: Error) => `refused: ${e.name}`), started.url)).toBe('refused: TypeError');
  await page.close();

  // Cancel while downloading: the download fails, the panel says so.
  const cancelled = await startExport(panel, 'Whole session', /\.wsi\.json/);
  await options.getByRole('button', { name: 'Cancel export' }).click();
  expect(await cancelled.download.failure()).not.toBeNull();
  await expect(options.getByRole('alert')).toHaveText('Export cancelled: the download was stopped.');
  await expect(options.getByRole('status')).toHaveText('');

  // The panel closes mid-way (its worker, the producer, goes with it): the service worker fails the download.
  const orphaned = await startExport(panel, 'Whole session', /\.wsi\.json/);
  await panel.close();
  expect(await orphaned.download.failure()).not.toBeNull();

  // The store goes away under the export (the user clears the extension's data): the worker's reads fail.
  panel = await openPanel(context, ext.extensionId);
  options = panel.getByRole('group', { name: 'Export options' });
  const failing = await startExport(panel, 'Whole session', /\.wsi\.json/);
  const cdp = await context.newCDPSession(panel);
  await cdp.send('Storage.clearDataForOrigin', { origin: `chrome-extension://${ext.extensionId}`, storageTypes: 'indexeddb' });
  expect(await failing.download.failure()).not.toBeNull();
  await expect(options.getByRole('alert')).toHaveText(/^Export failed: ./);
  await expect(options.getByRole('status')).toHaveText('');
});

test('a filtered view exported as HAR goes through the same streamed path, the same bytes as the Blob export', async ({ sw, context, ext }) => {
  const panel = await seededPanel(context, ext.extensionId, sw, 3000);
  await panel.getByRole('searchbox', { name: 'Filter messages' }).fill('tick 1');
  const filtered = await startExport(panel, 'Filtered view', /HAR/);
  expect(filtered.url).toContain('/export-stream/');
  expect(await filtered.download.failure(), await panel.getByRole('group', { name: 'Export options' }).innerText()).toBeNull();
  const har = readFileSync(await filtered.download.path());
  expect(filtered.download.suggestedFilename()).toBe('stream.test-2026-11-25T12-00-00Z-filtered.har');
  const filter = { direction: 'all', types: { text: true, binary: true, events: true }, contains: 'tick 1', regex: '', matchCase: false };
  expect(digestOf(har)).toEqual(await blobExportDigest(panel, { kind: 'filtered', sessionId: SESSION, filter }, 'har'));
  const messages = JSON.parse(har.toString('utf8')).log.entries.flatMap((e: { _webSocketMessages: Array<{ data: string }> }) => e._webSocketMessages);
  // "tick <seq> ✓" rows (seq % 3 == 0, seq % 4 != 0) whose seq starts with 1.
  expect(messages.length).toBeGreaterThan(50);
  expect(messages.every((m: { data: string }) => m.data.includes('tick 1'))).toBe(true);
});
