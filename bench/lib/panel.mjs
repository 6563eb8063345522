/**
 * Section 4: the panel at scale. A session of `frames` frames is written straight into IndexedDB from the
 * service worker (in large transactions, the same schema lib/frame-store.ts writes), then the panel is opened
 * as a tab (chrome-extension://<id>/panel.html?tabId=<n>) and timed: first rows, a substring filter and a
 * regex filter (each until its first screen of results shows), and the panel's JS heap.
 */
import { launchVariant } from './browser.mjs';
import { fmtBytes, fmtMs, median, table, verdict } from './stats.mjs';

/** Frames every SEED_TX_ROWS rows are written in one transaction. */
const SEED_TX_ROWS = 50_000;

/**
 * The seeded traffic: one connection, alternating send/receive, small JSON messages like a trading feed.
 * 1 in 100 frames is a "trade" (the substring filter's matches); symbols cycle over 500 names, so the regex
 * /"sym":"S(1|2)7\d"/ matches 20 in 500 frames (4 %).
 */
export const SUBSTRING_FILTER = 'trade';
export const REGEX_FILTER = '"sym":"S(1|2)7\\d"';

/** Writes the session in the worker; returns its ids. Runs inside the service worker. */
function seedInWorker({ frames, tabId, txRows }) {
  const open = () =>
    new Promise((resolve, reject) => {
      const req = indexedDB.open('websocket-inspector');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  return (async () => {
    const db = await open();
    const sessionId = 'bench-' + crypto.randomUUID();
    const connectionId = 'bench-conn-1';
    const startedAt = Date.now() - frames; // one frame per millisecond, ending now
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
    let seq = 1;
    {
      const tx = db.transaction('frames', 'readwrite');
      tx.objectStore('frames').put({ sessionId, connectionId, seq: seq++, time: startedAt, kind: 'open', size: 0, protocol: '', extensions: '' });
      await done(tx);
    }
    for (let start = 0; start < frames; start += txRows) {
      const tx = db.transaction('frames', 'readwrite');
      const store = tx.objectStore('frames');
      const end = Math.min(frames, start + txRows);
      for (let i = start; i < end; i++) {
        const data = message(i);
        const dir = i % 2 === 0 ? 'send' : 'receive';
        if (dir === 'send') {
          sent++;
          sentBytes += data.length;
        }
        bytes += data.length;
        store.put({ sessionId, connectionId, seq: seq++, time: startedAt + i + 0.5, kind: 'frame', dir, opcode: 1, data, size: data.length, origin: 'page', status: 'sent' });
      }
      await done(tx);
    }
    const tx = db.transaction(['sessions', 'connections'], 'readwrite');
    const now = Date.now();
    tx.objectStore('connections').put({
      id: connectionId, sessionId, url, protocols: [], protocol: '', extensions: '', frameUrl: 'https://feed.example.test/',
      pageUrl: 'https://feed.example.test/', startedAt, openedAt: startedAt, state: 'open', errored: false,
      sentCount: sent, receivedCount: frames - sent, sentBytes, receivedBytes: bytes - sentBytes, lastSeq: seq - 1,
    });
    tx.objectStore('sessions').put({
      id: sessionId, tabId, pageUrl: 'https://feed.example.test/', title: 'Benchmark feed', startedAt, lastActivity: now,
      source: 'captured', connectionCount: 1, frameCount: frames, bytes,
    });
    await done(tx);
    db.close();
    return { sessionId, connectionId, bytes };
  })();
}

export async function seedSession(sw, frames, tabId) {
  return sw.evaluate(seedInWorker, { frames, tabId, txRows: SEED_TX_ROWS });
}

/** Stub until the panel exists: seeds and reports that there is no panel to measure. */
export async function runPanelBench(variant, frames, rounds, log) {
  const browser = await launchVariant(variant);
  try {
    const t0 = Date.now();
    const seeded = await seedSession(browser.sw, frames, 1);
    const seedMs = Date.now() - t0;
    log(`  seeded ${frames} frames (${fmtBytes(seeded.bytes)} of payload) in ${fmtMs(seedMs)}`);
    return { frames, seedMs, rounds, table: table(['measure', 'value', 'target'], [['panel', 'not measured yet', ''], ['seed', fmtMs(seedMs), '']]), median, verdict };
  } finally {
    await browser.close();
  }
}
