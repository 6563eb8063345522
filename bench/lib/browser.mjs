/**
 * Browsers for the benchmark: a fresh Debian Chromium profile per run, with one unpacked extension or none,
 * and helpers that read WebSocket Inspector's IndexedDB from its service worker.
 */
import { chromium } from '@playwright/test';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The same flags as tests/e2e/fixtures.ts (chromiumArgs), so the bench measures what the tests run. */
export function chromiumArgs(extensionDir) {
  const args = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
  if (extensionDir) args.push(`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`);
  return args;
}

/**
 * Launches Chromium with `variant.dir` loaded (or no extension: Playwright then passes --disable-extensions,
 * and we check that no extension context exists). Returns the context, the extension's service worker (if it
 * has one), its id and the profile folder.
 */
export async function launchVariant(variant) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'wsi-bench-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs(variant.dir),
  });
  let sw;
  if (variant.dir) {
    sw = context.serviceWorkers().find((w) => w.url().startsWith('chrome-extension://'));
    sw ??= await context.waitForEvent('serviceworker', { timeout: 10_000 }).catch(() => undefined);
  }
  const extensionId = sw ? new URL(sw.url()).host : '';
  if (variant.ours && !sw) {
    await context.close();
    throw new Error(`${variant.name}: the extension's service worker did not start (is ${variant.dir} built?)`);
  }
  if (variant.initScript) await context.addInitScript(variant.initScript);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    sw,
    extensionId,
    userDataDir,
    /** Extension contexts the browser has (service workers and background pages): must be 0 without one. */
    extensionContexts() {
      return [...context.serviceWorkers(), ...context.backgroundPages()].filter((w) => w.url().startsWith('chrome-extension://')).length;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Bytes on disk of the extension origin's IndexedDB (every file under Default/IndexedDB/ named for it). */
export function indexedDbBytes(userDataDir, extensionId) {
  const root = join(userDataDir, 'Default', 'IndexedDB');
  let total = 0;
  let entries = [];
  try {
    entries = readdirSync(root);
  } catch {
    return 0;
  }
  for (const name of entries) if (name.includes(extensionId)) total += treeBytes(join(root, name));
  return total;
}

function treeBytes(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  let total = 0;
  for (const name of readdirSync(path)) total += treeBytes(join(path, name));
  return total;
}

// --- reading WebSocket Inspector's store, in its service worker ------------------------------------------------
// These functions are serialised into the worker (which forbids eval): each is self-contained.

/**
 * Polls the store from inside the worker every `intervalMs` until a connection whose URL ends with `urlSuffix`
 * has `sent` frames sent and `received` received; resolves with the worker's wall-clock time at that moment.
 * Throws after `timeoutMs` with what it last saw.
 */
export function waitForStored(sw, { urlSuffix, sent = 0, received = 0, timeoutMs = 120_000, intervalMs = 10 }) {
  return sw.evaluate(
    async ({ urlSuffix, sent, received, timeoutMs, intervalMs }) => {
      const open = () =>
        new Promise((resolve, reject) => {
          const req = indexedDB.open('websocket-inspector');
          // Never create it: an empty version 1 made here would be the extension's database, without its stores.
          req.onupgradeneeded = () => req.transaction?.abort();
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
      const deadline = Date.now() + timeoutMs;
      let db;
      let last = [];
      try {
        while (Date.now() < deadline) {
          db ??= await open().catch(() => undefined);
          if (db && db.objectStoreNames.contains('connections')) {
            last = await new Promise((resolve, reject) => {
              const req = db.transaction('connections').objectStore('connections').getAll();
              req.onsuccess = () => resolve(req.result);
              req.onerror = () => reject(req.error);
            });
            const hit = last.find((c) => c.url.endsWith(urlSuffix) && c.sentCount >= sent && c.receivedCount >= received);
            if (hit) return { storedAt: Date.now(), connection: hit };
          } else if (db) {
            db.close(); // opened before the background created the schema: open again later
            db = undefined;
          }
          await new Promise((r) => setTimeout(r, intervalMs));
        }
      } finally {
        db?.close();
      }
      const seen = last.map((c) => `${c.url} sent ${c.sentCount} received ${c.receivedCount}`).join('; ') || 'no connection';
      throw new Error(`store did not reach sent ≥ ${sent}, received ≥ ${received} for ${urlSuffix} in ${timeoutMs} ms (${seen})`);
    },
    { urlSuffix, sent, received, timeoutMs, intervalMs },
  );
}

/**
 * Rows stored for one connection (frames and control rows), counted row by row in the chunks that hold them (not
 * taken from the connection's rowCount: this checks what is really in IndexedDB), and its last rows, newest first.
 */
export function connectionRows(sw, sessionId, connectionId) {
  return sw.evaluate(
    async ({ sessionId, connectionId }) => {
      const db = await new Promise((resolve, reject) => {
        const open = indexedDB.open('websocket-inspector');
        // Never create it: an empty version 1 made here would be the extension's database, without its stores.
        open.onupgradeneeded = () => open.transaction?.abort();
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      try {
        // Chunks holding rows of the connection, in its order (lib/store/schema.ts, index byConnectionPos).
        const index = db.transaction('chunks').objectStore('chunks').index('byConnectionPos');
        const range = IDBKeyRange.bound([sessionId, connectionId, -Infinity], [sessionId, connectionId, Infinity]);
        const chunks = await new Promise((resolve, reject) => {
          const req = index.getAll(range);
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => reject(req.error);
        });
        // Chunks are columnar (lib/store/chunk-codec.ts, FrameChunk): row i is the connection's when ids[conn[i]] is.
        const rows = chunks.flatMap((chunk) => {
          const k = chunk.ids.indexOf(connectionId);
          return Array.from(chunk.conn.keys(), (i) => ({ chunk, i })).filter(({ i }) => chunk.conn[i] === k);
        });
        const last = rows
          .slice(-3)
          .reverse()
          .map(({ chunk, i }) => {
            const flags = chunk.flags[i];
            const kind = ['frame', 'open', 'close', 'error'][flags & 3];
            const data = chunk.data[i];
            return { kind, dir: kind === 'frame' ? (flags & 4 ? 'receive' : 'send') : undefined, seq: chunk.seq[i], size: chunk.size[i], text: typeof data === 'string' ? data.slice(0, 40) : undefined };
          });
        return { count: rows.length, last };
      } finally {
        db.close();
      }
    },
    { sessionId, connectionId },
  );
}
