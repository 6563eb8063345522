/**
 * Test harness: a real Debian Chromium with the built extension loaded (headless), a real HTTP server and a
 * real `ws` server on 127.0.0.1, and helpers that read the extension's IndexedDB from its service worker.
 */
import { test as base, chromium, type BrowserContext, type Page, type Worker } from '@playwright/test';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { snapshotStore, type SnapshotOptions, type StoredSnapshot } from '../support/read-store';

export type { SnapshotOptions, StoredRow, StoredSnapshot } from '../support/read-store';

export const EXTENSION_DIR = resolve(process.env.WXT_OUT_DIR ?? '.output', 'chrome-mv3');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumArgs(extensionDir?: string): string[] {
  const args = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
  if (extensionDir) args.push(`--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`);
  return args;
}

/** Launches Chromium with `extensionDir` loaded, or with no extension at all when it is null. */
export async function launchWithExtension(extensionDir: string | null = EXTENSION_DIR, extraArgs: string[] = [], profileDir?: string) {
  // A profile given by the caller outlives this browser (a test that restarts it); otherwise a fresh one.
  const userDataDir = profileDir ?? mkdtempSync(join(tmpdir(), 'wsi-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...chromiumArgs(extensionDir ?? undefined), ...extraArgs],
  });
  let sw: Worker | undefined;
  if (extensionDir) sw = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  const close = async () => {
    await context.close();
    if (!profileDir) rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, sw, userDataDir, close, extensionId: sw ? new URL(sw.url()).host : '' };
}

/** A received server-side message, as the test server saw it. */
export interface ServerMessage {
  path: string;
  data: Buffer;
  isBinary: boolean;
  origin?: string;
}

export interface TestServer {
  http: Server;
  wss: WebSocketServer;
  port: number;
  origin: string;
  wsOrigin: string;
  /** Messages the ws server received, in order. */
  received: ServerMessage[];
  /** Serves `html` at `path` on the HTTP server. */
  page(path: string, html: string): string;
  sockets: Set<ServerSocket>;
  close(): Promise<void>;
}

/**
 * The ws server's behaviour is chosen by path:
 * - /echo: echoes every message with its type (text stays text, binary stays binary);
 * - /close?code=&reason=: closes from the server after the first message;
 * - /burst?n=&size=&binary=1: sends n messages on open;
 * - /silent: never answers;
 * Subprotocols: the first one offered that the client asked for is accepted unless it starts with "reject".
 */
export async function startTestServer(): Promise<TestServer> {
  const pages = new Map<string, string>();
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const html = pages.get(path);
    if (html === undefined) {
      const file = resolve('tests/e2e/pages', '.' + path);
      try {
        const body = readFileSync(file);
        res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html' });
        res.end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  const wss = new WebSocketServer({
    server: http,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (!p.startsWith('reject')) return p;
      return false;
    },
  });
  const received: ServerMessage[] = [];
  const sockets = new Set<ServerSocket>();
  wss.on('connection', (socket, req: IncomingMessage) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    socket.on('message', (data, isBinary) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      received.push({ path, data: buffer, isBinary, origin: req.headers.origin });
      if (path === '/echo') socket.send(buffer, { binary: isBinary });
      if (path === '/close') socket.close(Number(url.searchParams.get('code') ?? 1000), url.searchParams.get('reason') ?? '');
    });
    if (path === '/burst') {
      const n = Number(url.searchParams.get('n') ?? 10);
      const size = Number(url.searchParams.get('size') ?? 16);
      const binary = url.searchParams.get('binary') === '1';
      for (let i = 0; i < n; i++) {
        if (binary) {
          const b = Buffer.alloc(size, i & 0xff);
          b.writeUInt32BE(i, 0);
          socket.send(b, { binary: true });
        } else socket.send(`m${i}:`.padEnd(size, 'x'));
      }
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  return {
    http,
    wss,
    port,
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    received,
    sockets,
    page(path, html) {
      pages.set(path, html);
      return `http://127.0.0.1:${port}${path}`;
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/** Everything in the store, read in the service worker; binary payloads come back as base64 (see tests/support/read-store.ts). */
export async function readStore(sw: Worker, options: SnapshotOptions = {}): Promise<StoredSnapshot> {
  return sw.evaluate(snapshotStore, options);
}

/** Polls the store until `predicate` holds (capture is asynchronous by design); returns the last snapshot. */
export async function waitForStore(sw: Worker, predicate: (s: StoredSnapshot) => boolean, timeoutMs = 20_000, options: SnapshotOptions = {}): Promise<StoredSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let last: StoredSnapshot | undefined;
  while (Date.now() < deadline) {
    try {
      last = await readStore(sw, options);
      if (predicate(last)) return last;
    } catch {
      // the database may not exist yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`store did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(summary(last))}`);
}

function summary(s: StoredSnapshot | undefined) {
  if (!s) return s;
  return { sessions: s.sessions.length, connections: s.connections.map((c) => [c.url, c.state]), frames: s.frames.length };
}

/** Frames (kind 'frame') of one connection, in seq order. */
export function framesOf(s: StoredSnapshot, connectionId: string) {
  return s.frames.filter((f) => f.connectionId === connectionId && f.kind === 'frame').sort((a, b) => a.seq - b.seq);
}

/**
 * A page with one open socket `window.ws` to `path` on the test server, logging what its listeners get in
 * `window.got` (text as is, binary as its class and bytes, a Blob's bytes once read); resolves when the socket is
 * open and stored, with its connection id and tab id.
 */
export async function openLoggingPage(page: Page, server: TestServer, sw: Worker, path = '/echo'): Promise<{ connectionId: string; tabId: number }> {
  const url = server.page('/logging-page.html', `<!doctype html><title>logging page</title><script>
    window.got = [];
    window.ws = new WebSocket('${server.wsOrigin}${path}');
    ws.onmessage = (e) => got.push([typeof e.data === 'string' ? e.data : Object.prototype.toString.call(e.data), e.isTrusted,
      e.data instanceof ArrayBuffer ? [...new Uint8Array(e.data)] : null]);
    ws.addEventListener('message', (e) => { if (e.data instanceof Blob) e.data.arrayBuffer().then((b) => got.push(['blob-bytes', [...new Uint8Array(b)]])); });
    window.opened = new Promise((r) => ws.onopen = r);
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as unknown as { opened: Promise<unknown> }).opened);
  return storedOpenConnection(sw);
}

/** Waits until the store has an open connection; its id and its session's tab. */
export async function storedOpenConnection(sw: Worker): Promise<{ connectionId: string; tabId: number }> {
  const store = await waitForStore(sw, (s) => s.connections.some((c) => c.state === 'open'));
  const connection = store.connections.find((c) => c.state === 'open')!;
  const tabId = store.sessions.find((s) => s.id === connection.sessionId)!.tabId!;
  return { connectionId: connection.id, tabId };
}

type Fixtures = { ext: Awaited<ReturnType<typeof launchWithExtension>>; server: TestServer; page: Page; context: BrowserContext; sw: Worker };

export const test = base.extend<Fixtures>({
  ext: async ({}, use) => {
    const ext = await launchWithExtension();
    await use(ext);
    await ext.close();
  },
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.close();
  },
  context: async ({ ext }, use) => use(ext.context),
  sw: async ({ ext }, use) => use(ext.sw!),
  page: async ({ ext }, use) => {
    const page = ext.context.pages()[0] ?? (await ext.context.newPage());
    await use(page);
  },
});

export const expect = test.expect;

export type Launched = Awaited<ReturnType<typeof launchWithExtension>>;

/**
 * For "the page cannot tell" comparisons: one Chromium with the extension and one without, and a test server,
 * shared by a spec file's tests (each launch takes seconds on two cores).
 */
export const comparisonTest = base.extend<object, { withExt: Launched; withoutExt: Launched; server: TestServer }>({
  withExt: [
    async ({}, use) => {
      const l = await launchWithExtension();
      await use(l);
      await l.close();
    },
    { scope: 'worker' },
  ],
  withoutExt: [
    async ({}, use) => {
      const l = await launchWithExtension(null);
      await use(l);
      await l.close();
    },
    { scope: 'worker' },
  ],
  server: [
    async ({}, use) => {
      const s = await startTestServer();
      await use(s);
      await s.close();
    },
    { scope: 'worker' },
  ],
});

/** A stored frame without its payload: the payload's SHA-256 (of its UTF-8 bytes for text) and byte length. */
export interface FrameDigest {
  connectionId: string;
  seq: number;
  kind: string;
  dir?: string;
  opcode?: number;
  size: number;
  /** 'string' or 'ArrayBuffer': the type the payload is stored as. */
  storedAs?: string;
  byteLength: number;
  sha256: string;
}

/** Digests of every stored row (all sessions, session order), computed in the service worker (large payloads never cross to Node). */
export async function frameDigests(sw: Worker): Promise<FrameDigest[]> {
  return sw.evaluate(async () => {
    const open = indexedDB.open('websocket-inspector');
    // Never create the database here: an empty version 1 made by a test would stop the extension's own upgrade.
    open.onupgradeneeded = () => open.transaction?.abort();
    const db: IDBDatabase = await new Promise((res, rej) => {
      open.onsuccess = () => res(open.result);
      open.onerror = () => rej(open.error);
    });
    // Columns as lib/store/frame-store.ts's FrameChunk defines them (flags: kind in bits 0-1, dir bit 2, opcode bit 3).
    type Chunk = { ids: string[]; conn: Uint16Array; seq: Float64Array; size: Float64Array; flags: Uint8Array; data: Array<string | ArrayBuffer | null>; bin?: Blob; binRows?: number[] };
    const chunks: Chunk[] = await new Promise((res, rej) => {
      const req = db.transaction('chunks').objectStore('chunks').getAll();
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    db.close();
    // Binary payloads kept in a Blob (FrameChunk.bin): the rows of binRows, back to back, `size` bytes each.
    for (const chunk of chunks) {
      if (!chunk.bin) continue;
      const bytes = await chunk.bin.arrayBuffer();
      let at = 0;
      for (const i of chunk.binRows!) {
        chunk.data[i] = bytes.slice(at, at + chunk.size[i]);
        at += chunk.size[i];
      }
    }
    const kinds = ['frame', 'open', 'close', 'error'];
    const rows = chunks.flatMap((chunk) =>
      Array.from(chunk.seq, (seq, i) => {
        const flags = chunk.flags[i];
        const frame = (flags & 3) === 0;
        return {
          connectionId: chunk.ids[chunk.conn[i]], seq, kind: kinds[flags & 3], size: chunk.size[i], data: chunk.data[i],
          dir: frame ? (flags & 4 ? 'receive' : 'send') : undefined, opcode: frame ? (flags & 8 ? 2 : 1) : undefined,
        };
      }),
    );
    const out = [];
    for (const row of rows) {
      const data = row.data;
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(0);
      const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      out.push({
        connectionId: row.connectionId,
        seq: row.seq,
        kind: row.kind,
        dir: row.dir,
        opcode: row.opcode,
        size: row.size,
        storedAs: typeof data === 'string' ? 'string' : data instanceof ArrayBuffer ? 'ArrayBuffer' : undefined,
        byteLength: bytes.byteLength,
        sha256: Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join(''),
      });
    }
    return out;
  });
}

/**
 * Stops the extension's service worker for real (CDP ServiceWorker.stopAllWorkers from a page session reaches
 * extension workers once the domain is enabled) and resolves when it reported `stopped`. A marker set in the old
 * global scope lets the caller prove that a new worker instance answers afterwards (see workerWasRestarted).
 */
export async function stopExtensionWorker(context: BrowserContext, page: Page, sw: Worker, alongside?: () => Promise<unknown>): Promise<void> {
  await sw.evaluate(() => {
    (self as unknown as { wsiTestMarker: number }).wsiTestMarker = 1;
  });
  const cdp = await context.newCDPSession(page);
  try {
    const scriptUrl = sw.url();
    const stopped = new Promise<void>((resolve) => {
      cdp.on('ServiceWorker.workerVersionUpdated', (event) => {
        if (event.versions.some((v) => v.scriptURL === scriptUrl && v.runningStatus === 'stopped')) resolve();
      });
    });
    await cdp.send('ServiceWorker.enable');
    // `alongside` runs while the worker is being stopped (e.g. the page keeps sending).
    await Promise.all([cdp.send('ServiceWorker.stopAllWorkers'), alongside?.()]);
    await stopped;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

/** True when the worker answering now is not the one stopExtensionWorker marked (it was restarted). */
export async function workerWasRestarted(sw: Worker): Promise<boolean> {
  return sw.evaluate(() => (self as unknown as { wsiTestMarker?: number }).wsiTestMarker === undefined);
}
