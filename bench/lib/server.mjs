/**
 * The benchmark's HTTP + `ws` server on 127.0.0.1, run in a worker thread so that Playwright's driver traffic
 * (on the main thread) never delays an echo, and the echoes never delay the driver.
 *
 * HTTP serves bench/pages/. The ws server's behaviour is chosen by path:
 * - /echo: echoes every message with its type (text stays text, binary stays binary);
 * - /burst?n=&size=: sends n text messages of `size` bytes ("m<i>:" padded with "x") as soon as it opens.
 */
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join, normalize } from 'node:path';

const PAGES = join(dirname(fileURLToPath(import.meta.url)), '..', 'pages');

/** The text the /burst server sends as message `i` (the bench checks the last one it finds stored). */
export function burstMessage(i, size) {
  return `m${i}:`.padEnd(size, 'x');
}

/** Starts the server in a worker; resolves with its origins and a `close()`. */
export async function startBenchServer() {
  const worker = new Worker(fileURLToPath(import.meta.url));
  const port = await new Promise((resolve, reject) => {
    worker.once('message', (m) => resolve(m.port));
    worker.once('error', reject);
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    async close() {
      worker.postMessage('close');
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

async function serve() {
  const { WebSocketServer } = await import('ws');
  const http = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0])).replace(/^(\.\.[/\\])+/, '');
    try {
      const body = await readFile(join(PAGES, path));
      res.writeHead(200, { 'content-type': path.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  // 16 MiB frames and 50 MB streams must pass: raise the payload limit well above them.
  const wss = new WebSocketServer({ server: http, maxPayload: 256 * 1024 * 1024, perMessageDeflate: false });
  wss.on('connection', (socket, req) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/echo') {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    } else if (url.pathname === '/burst') {
      const n = Number(url.searchParams.get('n') ?? 10);
      const size = Number(url.searchParams.get('size') ?? 64);
      for (let i = 0; i < n; i++) socket.send(burstMessage(i, size));
    } else socket.close(1008, 'unknown path');
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  parentPort.postMessage({ port: http.address().port });
  parentPort.on('message', (m) => {
    if (m !== 'close') return;
    for (const client of wss.clients) client.terminate();
    wss.close();
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
}

if (!isMainThread) await serve();
