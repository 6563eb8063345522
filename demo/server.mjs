/**
 * The `npm start` demo app: plain HTML/JS pages and a `ws` server on 127.0.0.1, with traffic worth inspecting.
 *
 * - /chat (subprotocol `chat.v1`): JSON messages broadcast to every chat connection — hello, presence, message,
 *   typing — so two connections on one page (Ada and Bob) see each other.
 * - /ticker/text: plain-text quote lines.
 * - /ticker/json: JSON quotes for the symbols the client subscribed to.
 * - /ticker/binary: 18-byte binary price updates packed with a DataView (layout in PRICE_UPDATE below).
 * - /ticker/news: a feed the server rotates every few seconds by closing with 4000 "feed rotated"; the page
 *   reconnects, so the panel shows a closed connection with its code and reason, then a new one.
 *
 * Run it alone with `node demo/server.mjs [port]`; `npm start` (scripts/start.mjs) imports startDemoServer.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const FILES = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/chat.html': 'chat.html',
  '/ticker.html': 'ticker.html',
  '/chat.js': 'chat.js',
  '/ticker.js': 'ticker.js',
  '/demo.css': 'demo.css',
};
const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** Symbols in the order their index is sent in binary updates (the page has the same list). */
export const SYMBOLS = ['ACME', 'GLOBX', 'INITECH', 'UMBRL', 'WONKA'];

/**
 * Binary price update, big-endian (DataView's default), 18 bytes:
 * u8 kind (1 = trade) · u8 symbol index · u32 sequence · f64 price · i32 volume.
 */
export const PRICE_UPDATE = { kind: 0, symbol: 1, seq: 2, price: 6, volume: 14, size: 18 };

const NEWS = [
  'ACME beats estimates on anvil demand',
  'GLOBX announces volcano-lair expansion',
  'INITECH moves to a 4-day TPS report cycle',
  'UMBRL denies rumours about its research division',
  'WONKA golden-ticket programme oversubscribed',
];

/** A random walk per symbol, shared by every ticker connection so the feeds agree. */
function createMarket() {
  const prices = new Map(SYMBOLS.map((s, i) => [s, 50 + i * 37.5]));
  return {
    tick() {
      const symbol = SYMBOLS[Math.floor(Math.random() * SYMBOLS.length)];
      const before = prices.get(symbol);
      const price = Math.max(1, Math.round((before + (Math.random() - 0.5) * before * 0.01) * 100) / 100);
      prices.set(symbol, price);
      return { symbol, price, change: Math.round(((price - before) / before) * 10000) / 100, volume: 100 * (1 + Math.floor(Math.random() * 50)) };
    },
  };
}

function priceUpdate(index, seq, price, volume) {
  const buffer = new ArrayBuffer(PRICE_UPDATE.size);
  const view = new DataView(buffer);
  view.setUint8(PRICE_UPDATE.kind, 1);
  view.setUint8(PRICE_UPDATE.symbol, index);
  view.setUint32(PRICE_UPDATE.seq, seq);
  view.setFloat64(PRICE_UPDATE.price, price);
  view.setInt32(PRICE_UPDATE.volume, volume);
  return Buffer.from(buffer);
}

function parseJson(data) {
  try {
    return JSON.parse(String(data));
  } catch {
    return null;
  }
}

/**
 * Starts the demo on `host:port` (port 0 picks a free one). `rotateMs` is how long a news connection lives
 * before the server rotates it.
 */
export async function startDemoServer({ port = 0, host = '127.0.0.1', tickMs = 400, rotateMs = 4000 } = {}) {
  const http = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    const file = FILES[path];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    try {
      const body = await readFile(join(PUBLIC_DIR, file));
      res.writeHead(200, { 'content-type': TYPES[file.split('.').pop()], 'cache-control': 'no-store' }).end(body);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(String(error));
    }
  });

  const wss = new WebSocketServer({
    server: http,
    // The chat speaks chat.v1 only; a client offering other subprotocols gets none (and the browser fails it).
    handleProtocols: (protocols) => (protocols.has('chat.v1') ? 'chat.v1' : false),
  });
  const market = createMarket();
  const chat = new Set();
  const timers = new Set();
  const every = (ms, fn) => {
    const id = setInterval(fn, ms);
    timers.add(id);
    return () => {
      clearInterval(id);
      timers.delete(id);
    };
  };

  const broadcast = (message) => {
    const text = JSON.stringify(message);
    for (const client of chat) if (client.socket.readyState === client.socket.OPEN) client.socket.send(text);
  };
  const presence = () => broadcast({ type: 'presence', users: [...chat].map((c) => c.user).filter(Boolean) });

  wss.on('connection', (socket, req) => {
    const url = new URL(req.url ?? '/', 'http://demo');
    const stops = [];
    socket.on('close', () => stops.forEach((stop) => stop()));
    socket.on('error', () => undefined);

    switch (url.pathname) {
      case '/chat': {
        const client = { socket, user: '' };
        chat.add(client);
        let nextId = 1;
        socket.on('close', () => {
          chat.delete(client);
          presence();
        });
        socket.on('message', (data, isBinary) => {
          const message = isBinary ? null : parseJson(data);
          if (!message || typeof message.type !== 'string') {
            socket.send(JSON.stringify({ type: 'error', error: 'expected a JSON object with a "type"' }));
            return;
          }
          if (message.type === 'hello') {
            client.user = String(message.user ?? 'anonymous').slice(0, 40);
            socket.send(JSON.stringify({ type: 'welcome', user: client.user, motd: 'Welcome to #demo. Be nice.' }));
            presence();
          } else if (message.type === 'typing') {
            broadcast({ type: 'typing', user: client.user, typing: Boolean(message.typing) });
          } else if (message.type === 'message') {
            broadcast({ type: 'message', id: `${client.user}-${nextId++}`, user: client.user, text: String(message.text ?? ''), at: new Date().toISOString() });
          }
        });
        break;
      }
      case '/ticker/text':
        stops.push(
          every(tickMs, () => {
            const q = market.tick();
            socket.send(`${q.symbol} ${q.price.toFixed(2)} ${q.change >= 0 ? '+' : ''}${q.change.toFixed(2)}%`);
          }),
        );
        break;
      case '/ticker/json': {
        let symbols = new Set(SYMBOLS);
        socket.on('message', (data) => {
          const message = parseJson(data);
          if (message?.type === 'subscribe' && Array.isArray(message.symbols)) {
            symbols = new Set(message.symbols.filter((s) => SYMBOLS.includes(s)));
            socket.send(JSON.stringify({ type: 'subscribed', symbols: [...symbols] }));
          }
        });
        stops.push(
          every(tickMs * 0.75, () => {
            const q = market.tick();
            if (symbols.has(q.symbol)) socket.send(JSON.stringify({ type: 'quote', ...q, time: Date.now() }));
          }),
        );
        break;
      }
      case '/ticker/binary': {
        let seq = 0;
        stops.push(
          every(tickMs / 2, () => {
            const q = market.tick();
            socket.send(priceUpdate(SYMBOLS.indexOf(q.symbol), ++seq, q.price, q.volume), { binary: true });
          }),
        );
        break;
      }
      case '/ticker/news': {
        let item = Math.floor(Math.random() * NEWS.length);
        stops.push(every(tickMs * 2, () => socket.send(JSON.stringify({ type: 'headline', text: NEWS[item++ % NEWS.length] }))));
        const rotate = setTimeout(() => socket.close(4000, 'feed rotated, please reconnect'), rotateMs);
        stops.push(() => clearTimeout(rotate));
        break;
      }
      default:
        socket.close(4404, `no such feed: ${url.pathname}`.slice(0, 120));
    }
  });

  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address();
  const origin = `http://${host}:${address.port}`;
  return {
    port: address.port,
    origin,
    url: `${origin}/`,
    async close() {
      for (const id of timers) clearInterval(id);
      for (const socket of wss.clients) socket.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(() => resolve()));
    },
  };
}

// `node demo/server.mjs [port]`: serve the demo on its own, e.g. for a browser with the extension loaded by hand.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const server = await startDemoServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`Demo app: ${server.url} (Ctrl-C to stop)`);
  process.on('SIGINT', () => server.close().then(() => process.exit(0)));
}
