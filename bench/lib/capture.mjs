/**
 * Sections 2 and 5, WebSocket Inspector only: a server burst of `n` small text frames into a fresh profile.
 * - Completeness: every frame is in IndexedDB (the connection's counter, the row count of its key range, and
 *   the text of the last stored frame).
 * - Lag: from the page's wall-clock time when the last frame arrived to the worker's wall-clock time when a
 *   poll of the store (every 10 ms, inside the service worker) first saw it.
 * - Footprint: bytes of the extension's IndexedDB folder before the burst and after it is stored (browser still
 *   running), and again after the browser has closed.
 */
import { connectionRows, indexedDbBytes, launchVariant, waitForStored } from './browser.mjs';
import { burstMessage } from './server.mjs';

const FRAME_SIZE = 64;

async function settledBytes(userDataDir, extensionId) {
  // LevelDB writes its log as transactions commit; wait until the folder stops growing (or 5 s).
  let last = -1;
  for (let i = 0; i < 25; i++) {
    const bytes = indexedDbBytes(userDataDir, extensionId);
    if (bytes === last && bytes > 0) return bytes;
    last = bytes;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

export async function runBurst(server, variant, n, tag) {
  const browser = await launchVariant(variant);
  try {
    await browser.page.goto(`${server.origin}/workloads.html`);
    const bytesBefore = await settledBytes(browser.userDataDir, browser.extensionId);
    const url = `${server.wsOrigin}/burst?n=${n}&size=${FRAME_SIZE}&${tag}`;
    const stored = waitForStored(browser.sw, { urlSuffix: tag, received: n, timeoutMs: 300_000 });
    stored.catch(() => undefined); // awaited below; keeps an early failure from going unhandled
    const page = await browser.page.evaluate(({ url, n }) => window.bench.burst(url, n), { url, n });
    const { storedAt, connection } = await stored;
    const rows = await connectionRows(browser.sw, connection.sessionId, connection.id);
    const lastFrame = rows.last.find((r) => r.kind === 'frame');
    const expectedLast = burstMessage(n - 1, FRAME_SIZE).slice(0, 40);
    const complete = connection.receivedCount === n && rows.count === n + 1 && lastFrame?.text === expectedLast;
    const bytesAfter = await settledBytes(browser.userDataDir, browser.extensionId);
    await browser.context.close(); // closing twice (again in finally) is harmless
    const bytesClosed = indexedDbBytes(browser.userDataDir, browser.extensionId);
    return {
      pageReceiveMs: page.ms,
      lagMs: storedAt - page.lastArrivalWallClock,
      storedFrames: connection.receivedCount,
      storedRows: rows.count,
      lastFrameText: lastFrame?.text,
      complete,
      bytesPerFrameRunning: (bytesAfter - bytesBefore) / n,
      bytesPerFrameClosed: (bytesClosed - bytesBefore) / n,
      bytesBefore,
      bytesAfter,
      bytesClosed,
    };
  } finally {
    await browser.close();
  }
}
