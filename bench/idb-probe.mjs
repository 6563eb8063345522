#!/usr/bin/env node
/**
 * What one IndexedDB record costs in Debian Chromium on this machine, by record shape: the evidence behind the
 * capture lag (docs/benchmarks.md, section 2) and why schema v2 keeps rows in chunks (lib/store/chunk-codec.ts).
 * Writes N records in transactions of `tx` puts each, in a plain page (the extension's service worker uses the
 * same IndexedDB backend), and prints microseconds per record: `total` is throughput (until each transaction
 * completed), `sync` the calling thread's own time in put(). Then what count() costs per stored frame, on the
 * index schema v1's all-connections view counted and on a primary key range (why v2 keeps positions instead).
 *
 *   node bench/idb-probe.mjs [--n 20000]
 */
import { chromium } from '@playwright/test';
import http from 'node:http';
import { CHROMIUM, chromiumArgs } from './lib/browser.mjs';
import { table } from './lib/stats.mjs';

const at = process.argv.indexOf('--n');
const n = at >= 0 ? Number(process.argv[at + 1]) : 20_000;

const server = http.createServer((_, res) => res.end('<!doctype html><title>idb probe</title>')).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const context = await chromium.launchPersistentContext('', { executablePath: CHROMIUM, headless: true, args: chromiumArgs() });
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  const results = await page.evaluate(async (n) => {
    const sessionId = crypto.randomUUID();
    const connectionId = `p${crypto.randomUUID().slice(0, 8)}-1`;
    // The record schema v1 stored per row (one per frame; lib/store/schema.ts migrates it), for a 64 B text frame.
    const frame = (i) => ({
      sessionId, connectionId, seq: i, time: 1_764_000_000_000 + i * 0.123, kind: 'frame', size: 64, dir: 'receive', opcode: 1,
      data: `{"i":${i},"pad":"${'x'.repeat(44)}"}`, origin: 'page', status: 'sent',
    });
    const open = (withIndex, keyPath) =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open(`probe-${Math.random()}`, 1);
        request.onupgradeneeded = () => {
          const store = request.result.createObjectStore('frames', keyPath ? { keyPath } : undefined);
          if (withIndex) store.createIndex('bySessionTime', ['sessionId', 'time']);
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    async function run(withIndex, keyPath, recordOf, perTx, framesPerRecord = 1) {
      const db = await open(withIndex, keyPath);
      const t0 = performance.now();
      let sync = 0;
      for (let first = 0; first < n; first += perTx * framesPerRecord) {
        const tx = db.transaction('frames', 'readwrite');
        const store = tx.objectStore('frames');
        const s = performance.now();
        for (let i = first; i < Math.min(n, first + perTx * framesPerRecord); i += framesPerRecord) {
          const [value, key] = recordOf(i);
          if (key === undefined) store.put(value);
          else store.put(value, key);
        }
        sync += performance.now() - s;
        await new Promise((resolve, reject) => {
          tx.oncomplete = resolve;
          tx.onerror = () => reject(tx.error);
        });
      }
      db.close();
      return { totalUs: ((performance.now() - t0) * 1000) / n, syncUs: (sync * 1000) / n };
    }
    const key = ['sessionId', 'connectionId', 'seq'];
    // Counting: what schema version 1's panel did before its first rows (version 2 reads kept positions instead).
    const countDb = await open(true, key);
    for (let first = 0; first < n; first += 10_000) {
      const tx = countDb.transaction('frames', 'readwrite');
      for (let i = first; i < Math.min(n, first + 10_000); i++) tx.objectStore('frames').put(frame(i));
      await new Promise((resolve) => (tx.oncomplete = resolve));
    }
    const timed = async (request) => {
      const t0 = performance.now();
      await new Promise((resolve) => (request(countDb.transaction('frames').objectStore('frames')).onsuccess = resolve));
      return ((performance.now() - t0) * 1000) / n;
    };
    const counts = {
      'count() of the bySessionTime index range (all connections view)': await timed((store) => store.index('bySessionTime').count(IDBKeyRange.bound([sessionId, -Infinity], [sessionId, Infinity]))),
      'count() of a primary key range (one connection view)': await timed((store) => store.count(IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, Infinity]))),
    };
    countDb.close();
    return {
      counts,
      'one record per frame, as schema v1 stored it (compound key, bySessionTime index)': await run(true, key, (i) => [frame(i)], 1000),
      'one record per frame, no index': await run(false, key, (i) => [frame(i)], 1000),
      'a tiny record per frame (the value 1, out-of-line key)': await run(false, null, (i) => [1, i], 1000),
      'one record per 100 frames (an array of them; schema v2 keeps up to 256)': await run(false, null, (i) => [Array.from({ length: 100 }, (_, j) => frame(i + j)), i], 10, 100),
    };
  }, n);
  const { counts, ...writes } = results;
  console.log(`IndexedDB cost per frame, ${n} frames, Chromium at ${CHROMIUM}`);
  console.log(table(['record shape', 'µs per frame (throughput)', 'µs per frame (calling thread)'], Object.entries(writes).map(([k, v]) => [k, v.totalUs.toFixed(1), v.syncUs.toFixed(1)])));
  console.log();
  console.log(table(['counting the stored frames', 'µs per frame'], Object.entries(counts).map(([k, v]) => [k, v.toFixed(2)])));
} finally {
  await context.close();
  server.close();
}
