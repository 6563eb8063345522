/**
 * Export in Firefox: its MV3 background is an event page, not a service worker, so there is nothing to answer a
 * streamed download (lib/worker/export-stream.ts). The panel finds no service worker and falls back to the worker-built
 * Blob, downloaded through a link. The link's click is caught in the page (so nothing is written to the disk of
 * the machine running the test) and the Blob it points at is read back.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { test, expect, openExtensionPage, openPage, uniqueId, waitForStore, FIREFOX_EXTENSION_DIR } from './fixtures';
import { seedStore, tickSessionArgs } from '../support/seed-store';
import { longestTickGap, startTickGapMeter } from '../support/tick-gap';

const aria = (role: string, name: string) => `::-p-aria([role="${role}"][name="${name}"])`;

async function textOf(panel: Page, selector: string): Promise<string> {
  const el = await panel.waitForSelector(selector);
  return el!.evaluate((e) => (e as HTMLElement).innerText.trim());
}

test('the panel exports a .wsi.json as a Blob download (no service worker to stream through)', async ({ firefox, reader, server }) => {
  const id = uniqueId('export');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, `<title>export page</title><script>
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { ws.send('héllo ✓'); ws.send(new Uint8Array([0, 255, 7])); };
  </script>`));
  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && s.frames.filter((f) => f.connectionId === c.id && f.kind === 'frame').length === 4;
  });
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  const tabId = store.sessions.find((s) => s.id === connection.sessionId)!.tabId!;

  const panel = await openExtensionPage(firefox.browser, `/panel.html?tabId=${tabId}`);
  await expect.poll(() => textOf(panel, aria('status', 'Connection to the extension'))).toBe('Connected');
  // What the feature detection sees here: no service worker registration for the extension.
  expect(await panel.evaluate(async () => (await navigator.serviceWorker?.getRegistration())?.active ? 'service worker' : 'none')).toBe('none');
  await panel.evaluate(() => {
    const w = window as unknown as { downloads: Array<{ name: string; text: string }>; frames: number };
    w.downloads = [];
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      const name = this.download;
      void fetch(this.href)
        .then((r) => r.text())
        .then((text) => w.downloads.push({ name, text }));
    };
  });

  await (await panel.waitForSelector(aria('button', 'Export')))!.click();
  await (await panel.waitForSelector(aria('radio', 'Whole session')))!.click();
  await (await panel.waitForSelector(aria('button', 'Download')))!.click();
  await expect.poll(() => panel.evaluate(() => (window as unknown as { downloads: unknown[] }).downloads.length)).toBe(1);
  const [download] = await panel.evaluate(() => (window as unknown as { downloads: Array<{ name: string; text: string }> }).downloads);
  expect(download.name).toMatch(/^127\.0\.0\.1_\d+-.*\.wsi\.json$/);
  expect(await panel.evaluate(() => document.querySelectorAll('iframe[title="Export download"]').length)).toBe(0);
  const file = JSON.parse(download.text);
  const ours = file.connections.find((c: { url: string }) => c.url === wsUrl);
  const frames = ours.rows.filter((r: { kind: string }) => r.kind === 'frame').map((r: { dir: string; data: string }) => [r.dir, r.data]);
  expect(frames).toEqual(
    expect.arrayContaining([
      ['send', 'héllo ✓'],
      ['send', 'AP8H'],
      ['receive', 'héllo ✓'],
      ['receive', 'AP8H'],
    ]),
  );
  await expect.poll(() => textOf(panel, '[role="group"][aria-label="Export options"] [role="status"]')).toMatch(/^Exported \d+ rows to .*\.wsi\.json\.$/);
  await panel.close();
  await page.close();
});

/** The resident memory (KiB) of Firefox's process tree under `root`: the sum, and the largest process. */
function firefoxMemory(root: number): { totalKiB: number; largestKiB: number } {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows) {
      if (tree.has(ppid) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const rss = rows.filter(([pid]) => tree.has(pid)).map(([, , kib]) => kib);
  return { totalKiB: rss.reduce((a, b) => a + b, 0), largestKiB: Math.max(...rss) };
}

/**
 * Benchmark, not a test of speed: `WSI_BENCH=1 WXT_OUT_DIR=.output-NAME npx playwright test tests/firefox/export.spec.ts
 * --project=firefox -g benchmark` (after `WXT_OUT_DIR=.output-NAME npx wxt build -b firefox`; `WSI_BENCH_ROWS=<n>` for
 * another size). Seeds a million rows, exports the whole session from the panel and prints: seconds until the
 * download starts (Firefox builds the whole Blob first), the panel's longest gap between 16 ms ticks (Firefox has no
 * long-task entries), and the peak resident memory of Firefox's processes meanwhile.
 */
test('benchmark: a million-row export downloads a Blob', async ({ firefox, reader }) => {
  test.skip(!process.env.WSI_BENCH, 'set WSI_BENCH=1 to run');
  test.setTimeout(1_800_000);
  const rowsTotal = Number(process.env.WSI_BENCH_ROWS ?? 1_000_000);
  const tabId = 888_888;
  const workerFile = readdirSync(join(FIREFOX_EXTENSION_DIR, 'assets')).find((f) => /^session-io-worker-.*\.js$/.test(f));
  // The extension's own code creates the database with its stores (a bare indexedDB.open would make it empty).
  const created = await reader.evaluate(
    (path) =>
      new Promise<string>((resolve) => {
        const worker = new Worker(path, { type: 'module' });
        worker.onmessage = (e) => {
          worker.terminate();
          resolve(e.data.message);
        };
        worker.postMessage({ type: 'export', scope: { kind: 'session', sessionId: 'none' }, format: 'wsi' });
      }),
    `/assets/${workerFile}`,
  );
  expect(created).toBe('session none is not in the store (deleted?)');
  // In blocks of 100,000 rows: one BiDi call may take at most puppeteer's protocol timeout (180 s).
  const seedStarted = Date.now();
  for (let from = 0; from < rowsTotal; from += 100_000) {
    await reader.evaluate(seedStore, tickSessionArgs({ tabId, t0: 1_795_000_000_000, from, count: Math.min(100_000, rowsTotal - from) }));
  }
  console.log(`seeded ${rowsTotal} rows in ${Date.now() - seedStarted} ms`);

  const panel = await openExtensionPage(firefox.browser, `/panel.html?tabId=${tabId}`, 120_000);
  await expect.poll(() => textOf(panel, aria('status', 'Connection to the extension')), { timeout: 60_000 }).toBe('Connected');
  await expect.poll(() => textOf(panel, aria('status', 'Shown messages')), { timeout: 600_000 }).toContain(rowsTotal.toLocaleString('en-US'));
  await panel.evaluate(startTickGapMeter);
  await panel.evaluate(() => {
    const w = window as unknown as { bench: { clickedAt?: number; downloadAt?: number; bytes?: number } };
    w.bench = {};
    // The download starts where the panel clicks its link: note when, and the Blob's size (nothing is saved).
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      w.bench.downloadAt = performance.now();
      void fetch(this.href)
        .then((r) => r.blob())
        .then((b) => (w.bench.bytes = b.size));
    };
  });
  await (await panel.waitForSelector(aria('button', 'Export')))!.click();
  await (await panel.waitForSelector(aria('radio', 'Whole session')))!.click();
  const root = firefox.browser.process()!.pid!;
  const before = firefoxMemory(root);
  let peak = before;
  const sampler = setInterval(() => {
    const now = firefoxMemory(root);
    peak = { totalKiB: Math.max(peak.totalKiB, now.totalKiB), largestKiB: Math.max(peak.largestKiB, now.largestKiB) };
  }, 250);
  await panel.evaluate(() => ((window as unknown as { bench: { clickedAt: number } }).bench.clickedAt = performance.now()));
  await (await panel.waitForSelector(aria('button', 'Download')))!.click();
  try {
    await expect.poll(() => panel.evaluate(() => (window as unknown as { bench: { bytes?: number } }).bench.bytes), { timeout: 1_200_000, intervals: [500] }).toBeGreaterThan(0);
  } finally {
    clearInterval(sampler);
  }
  const bench = await panel.evaluate(() => (window as unknown as { bench: { clickedAt: number; downloadAt: number; bytes: number } }).bench);
  const longestGap = await panel.evaluate(longestTickGap);
  const mib = (kib: number) => Math.round(kib / 1024);
  console.log(
    `firefox panel export (Blob): ${JSON.stringify({
      rows: rowsTotal,
      downloadStartS: Math.round(bench.downloadAt - bench.clickedAt) / 1000,
      bytes: bench.bytes,
      panelLongestTickGapMs: Math.round(longestGap),
      firefoxRssBeforeMiB: mib(before.totalKiB),
      firefoxRssPeakMiB: mib(peak.totalKiB),
      largestProcessPeakMiB: mib(peak.largestKiB),
    })}`,
  );
  await expect.poll(() => textOf(panel, '[role="group"][aria-label="Export options"] [role="status"]'), { timeout: 60_000 }).toContain(`Exported ${rowsTotal} rows`);
  await panel.close();
});
