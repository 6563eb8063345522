/**
 * Section 4: the panel at scale. A session of `frames` frames is written straight into IndexedDB from the
 * service worker (in chunks of rows and large transactions, the schema lib/store/schema.ts defines), then the panel is opened
 * as a tab (chrome-extension://<id>/panel.html?tabId=<n>) and timed: first rows, a substring filter and a
 * regex filter (each until its first screen of results shows), and the panel's JS heap.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchVariant } from './browser.mjs';
import { fmtBytes, fmtMs, median, table, verdict } from './stats.mjs';

/** Rows written per transaction. */
const SEED_TX_ROWS = 50_000;

/**
 * Rows per chunk, read from lib/store/chunk-codec.ts (the bench runs in plain Node and cannot import it): a seed with
 * larger chunks than the store's readers look back over would be misread, not slow.
 */
function storeChunkRows() {
  const source = readFileSync(fileURLToPath(new URL('../../lib/store/chunk-codec.ts', import.meta.url)), 'utf8');
  const match = /export const CHUNK_ROWS = (\d+);/.exec(source);
  if (!match) throw new Error('bench/lib/panel.mjs: no CHUNK_ROWS in lib/store/chunk-codec.ts');
  return Number(match[1]);
}

/**
 * The seeded traffic: one connection, alternating send/receive, small JSON messages like a trading feed.
 * 1 in 100 frames is a "trade" (the substring filter's matches); symbols cycle over 500 names, so the regex
 * /"sym":"S(1|2)7\d"/ matches 20 in 500 frames (4 %).
 */
export const SUBSTRING_FILTER = 'trade';
export const REGEX_FILTER = '"sym":"S(1|2)7\\d"';

/**
 * Writes the session in the worker as lib/store/write.ts keeps it (rows in chunks, positions, exact counts);
 * returns its ids. Runs inside the service worker.
 */
function seedInWorker({ frames, tabId, txRows, chunkRows }) {
  const open = () =>
    new Promise((resolve, reject) => {
      const req = indexedDB.open('websocket-inspector');
      // Never create it: an empty version 1 made here would be the extension's database, without its stores.
      req.onupgradeneeded = () => req.transaction?.abort();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  return (async () => {
    const db = await open();
    if (!db.objectStoreNames.contains('chunks')) {
      db.close();
      throw new Error('the extension has not created its database (schema version 2) yet');
    }
    const sessionId = 'bench-' + crypto.randomUUID();
    const connectionId = 'bench-conn-1';
    // A fast feed: one frame every 50 µs from now on. The session starts now, so it is the tab's newest.
    const startedAt = Date.now();
    const spacingMs = 0.05;
    const url = 'wss://feed.example.test/v2/stream';
    let bytes = 0;
    let sent = 0;
    let sentBytes = 0;
    const message = (i) => {
      const type = i % 100 === 0 ? 'trade' : i % 2 === 0 ? 'subscribe' : 'quote';
      return `{"type":"${type}","id":${i},"sym":"S${i % 500}","px":${(100 + (i % 977) / 10).toFixed(1)},"qty":${i % 91}}`;
    };
    const done = (tx) =>
      new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
      });
    // Chunk p…p+n−1 of the session in the columnar shape of lib/store/chunk-codec.ts's FrameChunk (packChunk there is the
    // definition). One connection, so a row's cpos is its pos; the open row is p = 0 with seq 1, frame i is row i + 1.
    const chunkOf = (first, n) => {
      const chunk = {
        sessionId, pos: first, ids: [connectionId], conn: new Uint16Array(n), seq: new Float64Array(n), cpos: new Float64Array(n),
        time: new Float64Array(n), size: new Float64Array(n), flags: new Uint8Array(n), data: [], extra: [],
        connPos: [[sessionId, connectionId, first]], connSeq: [[sessionId, connectionId, first + 1]],
      };
      for (let k = 0; k < n; k++) {
        const p = first + k;
        chunk.seq[k] = p + 1;
        chunk.cpos[k] = p;
        if (p === 0) {
          chunk.time[k] = startedAt;
          chunk.flags[k] = 1; // open
          chunk.data.push(null);
          chunk.extra.push([k, { protocol: '', extensions: '' }]);
          continue;
        }
        const i = p - 1;
        const data = message(i);
        const receive = i % 2 === 1;
        if (!receive) {
          sent++;
          sentBytes += data.length;
        }
        bytes += data.length;
        chunk.time[k] = startedAt + (i + 1) * spacingMs;
        chunk.size[k] = data.length;
        chunk.flags[k] = receive ? 1 << 2 : 0; // a frame, text, from the page, sent
        chunk.data.push(data);
      }
      return chunk;
    };
    const rowCount = frames + 1;
    // Whole chunks per transaction: only the last chunk of the session is short.
    const perTx = Math.max(1, Math.floor(txRows / chunkRows)) * chunkRows;
    for (let start = 0; start < rowCount; start += perTx) {
      const tx = db.transaction('chunks', 'readwrite');
      const store = tx.objectStore('chunks');
      const end = Math.min(rowCount, start + perTx);
      for (let pos = start; pos < end; pos += chunkRows) store.put(chunkOf(pos, Math.min(end, pos + chunkRows) - pos));
      await done(tx);
    }
    const tx = db.transaction(['sessions', 'connections'], 'readwrite');
    const now = startedAt + frames * spacingMs;
    tx.objectStore('connections').put({
      id: connectionId, sessionId, url, protocols: [], protocol: '', extensions: '', frameUrl: 'https://feed.example.test/',
      pageUrl: 'https://feed.example.test/', startedAt, openedAt: startedAt, state: 'open', errored: false,
      sentCount: sent, receivedCount: frames - sent, sentBytes, receivedBytes: bytes - sentBytes, lastSeq: rowCount,
      rowCount, // the open row and every frame, as the background's writer keeps it
    });
    tx.objectStore('sessions').put({
      id: sessionId, tabId, pageUrl: 'https://feed.example.test/', title: 'Benchmark feed', startedAt, lastActivity: now,
      source: 'captured', connectionCount: 1, frameCount: frames, bytes, rowCount,
    });
    await done(tx);
    db.close();
    return { sessionId, connectionId, bytes };
  })();
}

/** The tab id the seeded session is captured in: no real tab has it. */
const SEEDED_TAB = 424_242;

/** Waits until the extension has created the database with its object stores. */
async function waitForDatabase(sw, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ready = await sw.evaluate(async () => {
      const dbs = await indexedDB.databases();
      if (!dbs.some((d) => d.name === 'websocket-inspector')) return false;
      return new Promise((resolve) => {
        const req = indexedDB.open('websocket-inspector');
        // Never create it: an empty version 1 made here would be the extension's database, without its stores.
        req.onupgradeneeded = () => req.transaction?.abort();
        req.onsuccess = () => {
          const ok = req.result.objectStoreNames.contains('chunks');
          req.result.close();
          resolve(ok);
        };
        req.onerror = () => resolve(false);
      });
    });
    if (ready) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the extension did not create its database');
}

export async function seedSession(sw, frames, tabId) {
  return sw.evaluate(seedInWorker, { frames, tabId, txRows: SEED_TX_ROWS, chunkRows: storeChunkRows() });
}

/**
 * Installed in the panel page before its own scripts (extension pages forbid eval, so helpers live on window):
 * `__benchRows()` returns the text of the data rows the grid shows (role=row with a row index past the
 * header, not placeholders), and a MutationObserver records `__benchFirstRowsAt`, the performance.now() of
 * the first DOM change after which data rows exist.
 */
function installPanelProbes() {
  window.__benchRows = () => {
    const grid = document.querySelector('[role="grid"][aria-label="Messages"]');
    if (!grid) return [];
    return [...grid.querySelectorAll('[role="row"][aria-rowindex]')]
      .filter((row) => Number(row.getAttribute('aria-rowindex')) > 1 && row.getAttribute('aria-busy') !== 'true')
      .map((row) => row.textContent ?? '');
  };
  const observer = new MutationObserver(() => {
    if (window.__benchRows().length === 0) return;
    window.__benchFirstRowsAt = performance.now();
    observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
}

/**
 * Applies a text filter as a user would (types into the field, presses Enter, which applies it at once; typing
 * alone applies it after the field's 150 ms debounce) and waits for a first screen of matching rows: at least
 * `screen` data rows, every one matching. Returns the milliseconds from the keypress to that frame.
 */
async function timeFilter(page, field, value, test, screen, pressEnter) {
  const handle = await page.getByRole(field.role, { name: field.name }).elementHandle();
  await page.evaluate(
    ({ el, value, pressEnter }) => {
      el.focus();
      el.value = value;
      window.__benchFilterStart = performance.now();
      el.dispatchEvent(new Event('input', { bubbles: true }));
      if (pressEnter) el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    },
    { el: handle, value, pressEnter },
  );
  const ms = await page.waitForFunction(
    ({ test, screen }) => {
      const texts = window.__benchRows();
      const re = new RegExp(test, 'i');
      if (texts.length < screen || !texts.every((t) => re.test(t))) return false;
      return performance.now() - window.__benchFilterStart;
    },
    { test, screen },
    { polling: 'raf', timeout: 120_000 },
  );
  return ms.jsonValue();
}

/** Clears the text filters (Escape in the field) and waits for unfiltered rows. */
async function clearFilter(page, field) {
  await page.getByRole(field.role, { name: field.name }).press('Escape');
  await page.waitForFunction(
    () => {
      const texts = window.__benchRows();
      return texts.length > 0 && texts.some((t) => /quote|subscribe/.test(t));
    },
    undefined,
    { polling: 'raf', timeout: 120_000 },
  );
}

/** Waits until the panel's count says the filtered scan is over (no "searching"). Returns ms waited. */
async function waitScanDone(page) {
  const t0 = Date.now();
  await page.waitForFunction(() => {
    const status = document.querySelector('[role="status"][aria-label="Shown messages"]');
    return status && !/searching/.test(status.textContent ?? '');
  }, undefined, { polling: 100, timeout: 600_000 });
  return Date.now() - t0;
}

async function heapUsed(cdp, collect = false) {
  if (collect) await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

const FILTER_FIELD = { role: 'searchbox', name: 'Filter messages' };
const REGEX_FIELD = { role: 'textbox', name: 'Regular expression' };
const SCREEN_ROWS = 20;

/** One opening of the panel on the seeded session, in a new tab: every timing of section 4. */
async function measurePanelOnce(context, extensionId, tabId, frames) {
  const page = await context.newPage();
  try {
    const cdp = await context.newCDPSession(page);
    let peakHeap = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakHeap = Math.max(peakHeap, await heapUsed(cdp).catch(() => 0));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    await page.addInitScript(installPanelProbes);
    await page.goto(`chrome-extension://${extensionId}/panel.html?tabId=${tabId}`, { waitUntil: 'commit' });
    // First rows: performance.now() in the panel counts from its navigation start.
    const firstRowsMs = await (await page.waitForFunction(() => window.__benchFirstRowsAt ?? false, undefined, { timeout: 120_000 })).jsonValue();
    const status = await page.getByRole('status', { name: 'Shown messages' }).textContent();
    if (!status?.replace(/[^\d]/g, '').includes(String(frames + 1))) throw new Error(`the panel does not show the seeded session: "${status}"`);
    const heapAfterFirstRows = await heapUsed(cdp);

    const substringMs = await timeFilter(page, FILTER_FIELD, SUBSTRING_FILTER, SUBSTRING_FILTER, SCREEN_ROWS, true);
    const substringScanMs = await waitScanDone(page);
    await clearFilter(page, FILTER_FIELD);
    const substringTypedMs = await timeFilter(page, FILTER_FIELD, SUBSTRING_FILTER, SUBSTRING_FILTER, SCREEN_ROWS, false);
    await clearFilter(page, FILTER_FIELD);

    const regexMs = await timeFilter(page, REGEX_FIELD, REGEX_FILTER, REGEX_FILTER, SCREEN_ROWS, true);
    const regexScanMs = await waitScanDone(page);
    const heapAfterScan = await heapUsed(cdp);
    await clearFilter(page, REGEX_FIELD);

    sampling = false;
    await sampler;
    const heapAfterGc = await heapUsed(cdp, true);
    return { firstRowsMs, substringMs, substringTypedMs, substringScanMs, regexMs, regexScanMs, heapAfterFirstRows, heapAfterScan, peakHeap, heapAfterGc };
  } finally {
    await page.close();
  }
}

/**
 * Section 4. Seeds `frames` frames into a fresh profile, then opens the panel `rounds` times (a new tab each
 * time) and reports medians. Returns results plus a rendered table.
 */
export async function runPanelBench(variant, frames, rounds, log) {
  const browser = await launchVariant(variant);
  try {
    const page = browser.page;
    // Relays write nothing until a page opens a WebSocket: the panel page, opening the store, creates the database
    // (lib/store/schema.ts). The seeded session is for a tab id no page has: the panel opened for a
    // real tab follows that tab's current page load, which is not the seeded one.
    await page.goto(`chrome-extension://${browser.extensionId}/panel.html`);
    await waitForDatabase(browser.sw);
    const tabId = SEEDED_TAB;
    const t0 = Date.now();
    const seeded = await seedSession(browser.sw, frames, tabId);
    const seedMs = Date.now() - t0;
    log(`  seeded ${frames} frames (${fmtBytes(seeded.bytes)} of payload) in ${fmtMs(seedMs)}`);
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      const r = await measurePanelOnce(browser.context, browser.extensionId, tabId, frames);
      runs.push(r);
      log(
        `  round ${round + 1}: first rows ${fmtMs(r.firstRowsMs)}, "${SUBSTRING_FILTER}" ${fmtMs(r.substringMs)} (typed ${fmtMs(r.substringTypedMs)}; whole scan ${fmtMs(r.substringScanMs)}), ` +
          `regex ${fmtMs(r.regexMs)} (whole scan ${fmtMs(r.regexScanMs)}), heap peak ${fmtBytes(r.peakHeap)}, after GC ${fmtBytes(r.heapAfterGc)}`,
      );
    }
    const m = (key) => median(runs.map((r) => r[key]));
    const summary = {
      firstRowsMs: m('firstRowsMs'),
      substringMs: m('substringMs'),
      substringTypedMs: m('substringTypedMs'),
      substringScanMs: m('substringScanMs'),
      regexMs: m('regexMs'),
      regexScanMs: m('regexScanMs'),
      peakHeap: Math.max(...runs.map((r) => r.peakHeap)),
      heapAfterGc: m('heapAfterGc'),
    };
    const targets = { firstRowsMs: 1000, filterMs: 200, heapBytes: 300 * 1024 * 1024 };
    const met = {
      firstRows: summary.firstRowsMs < targets.firstRowsMs,
      substring: summary.substringMs < targets.filterMs,
      regex: summary.regexMs < targets.filterMs,
      heap: summary.peakHeap < targets.heapBytes,
    };
    const rendered = table(
      ['measure', 'median', 'target', ''],
      [
        ['time to first rows (from navigation)', fmtMs(summary.firstRowsMs), '< 1 s', verdict(met.firstRows)],
        [`substring "${SUBSTRING_FILTER}": first ${SCREEN_ROWS} matching rows after Enter`, fmtMs(summary.substringMs), '< 200 ms', verdict(met.substring)],
        ['  … the same, typed (includes the field\'s 150 ms debounce)', fmtMs(summary.substringTypedMs), '', ''],
        ['  … scan of the whole session finished', fmtMs(summary.substringScanMs), '', ''],
        [`regex /${REGEX_FILTER}/: first ${SCREEN_ROWS} matching rows after Enter`, fmtMs(summary.regexMs), '< 200 ms', verdict(met.regex)],
        ['  … scan of the whole session finished', fmtMs(summary.regexScanMs), '', ''],
        ['panel JS heap, peak (sampled every 200 ms)', fmtBytes(summary.peakHeap), '< 300 MiB', verdict(met.heap)],
        ['panel JS heap after GC, at the end', fmtBytes(summary.heapAfterGc), '', ''],
        ['seeding the session (not a target)', fmtMs(seedMs), '', ''],
      ],
    );
    return { frames, payloadBytes: seeded.bytes, seedMs, rounds, runs, median: summary, targets, met, table: rendered };
  } finally {
    await browser.close();
  }
}
