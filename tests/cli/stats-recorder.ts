/**
 * Records real WebSocket conversations as a `.wsi.json` file for the `stats` tests: a `ws` server on 127.0.0.1
 * answering JSON-RPC with known delays (and pinging with `{"type":"ping"}`), and a custom protocol answering
 * `{"id":…}` with `{"replyTo":…}`; a `ws` client talks to it and every frame is stored with the time the client
 * saw it, the way the extension's recorder stamps frames.
 */
import { createServer, type Server } from 'node:http';
import WebSocket, { WebSocketServer } from 'ws';

/** Server-side delays of the JSON-RPC methods, ms ("never" is not answered). */
export const DELAYS = { fast: 20, slow: 150, fail: 40 } as const;
export const PING_EVERY_MS = 100;
export const CUSTOM_DELAY_MS = 30;

export interface RecordingServer {
  port: number;
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, req) => {
    if (req.url === '/graphql') {
      // graphql-transport-ws: a subscribe is answered by three `next` 50 ms apart, then `complete`.
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'connection_init') socket.send('{"type":"connection_ack"}');
        if (message.type !== 'subscribe') return;
        for (let i = 1; i <= 3; i++) setTimeout(() => socket.send(JSON.stringify({ id: message.id, type: 'next', payload: { data: { tick: i } } })), i * 50);
        setTimeout(() => socket.send(JSON.stringify({ id: message.id, type: 'complete' })), 200);
      });
    } else if (req.url === '/rpc') {
      const ping = setInterval(() => socket.send('{"type":"ping"}'), PING_EVERY_MS);
      socket.on('close', () => clearInterval(ping));
      socket.on('message', (data) => {
        const message = JSON.parse(String(data));
        if (message.type === 'pong') return;
        const { id, method } = message;
        if (method === 'fast' || method === 'slow') setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', result: method, id })), DELAYS[method as 'fast' | 'slow']);
        if (method === 'fail') setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'failed' }, id })), DELAYS.fail);
      });
    } else {
      socket.on('message', (data) => {
        const { id, type } = JSON.parse(String(data));
        setTimeout(() => socket.send(JSON.stringify({ type: `${type}-reply`, replyTo: id, at: Date.now() })), CUSTOM_DELAY_MS);
      });
    }
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return {
    port: (http.address() as { port: number }).port,
    async close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Recorded {
  url: string;
  startedAt: number;
  rows: Array<Record<string, unknown>>;
}

/** Opens a socket, runs `script` with a recording send, and returns the connection as the file has it. */
async function record(url: string, script: (send: (text: string) => void, socket: WebSocket) => Promise<void>): Promise<Recorded> {
  const startedAt = now();
  const rows: Array<Record<string, unknown>> = [];
  let seq = 0;
  const socket = new WebSocket(url);
  const frame = (dir: 'send' | 'receive', text: string) =>
    rows.push({ seq: ++seq, time: now(), kind: 'frame', dir, opcode: 1, encoding: 'text', data: text, size: Buffer.byteLength(text), origin: 'page', status: 'sent' });
  socket.on('message', (data) => frame('receive', String(data)));
  await new Promise((r) => socket.once('open', r));
  rows.push({ seq: ++seq, time: now(), kind: 'open', protocol: '', extensions: '' });
  await script((text) => {
    frame('send', text);
    socket.send(text);
  }, socket);
  socket.close(1000, 'done');
  await new Promise((r) => socket.once('close', r));
  rows.push({ seq: ++seq, time: now(), kind: 'close', code: 1000, reason: 'done', wasClean: true });
  return { url, startedAt, rows };
}

/**
 * Two connections: /rpc (5 fast, 2 slow, 1 fail, 1 never; answering every ping with a pong) and /custom
 * (3 requests with ids answered by replyTo).
 */
export async function recordSession(port: number): Promise<unknown> {
  const rpc = await record(`ws://127.0.0.1:${port}/rpc`, async (send, socket) => {
    socket.on('message', (data) => {
      if (String(data) === '{"type":"ping"}') send('{"type":"pong"}');
    });
    let id = 0;
    const call = (method: string) => send(JSON.stringify({ jsonrpc: '2.0', method, params: [], id: ++id }));
    for (const method of ['fast', 'slow', 'fast', 'fail', 'fast', 'never', 'fast', 'slow', 'fast']) {
      call(method);
      await sleep(60);
    }
    await sleep(500);
  });
  const custom = await record(`ws://127.0.0.1:${port}/custom`, async (send) => {
    for (let i = 1; i <= 3; i++) {
      send(JSON.stringify({ type: 'quote', id: `q${i}` }));
      await sleep(50);
    }
    await sleep(100);
  });
  const connection = (c: Recorded) => ({ url: c.url, protocols: [], protocol: '', extensions: '', startedAt: c.startedAt, state: 'closed', errored: false, rows: c.rows });
  return {
    format: 'websocket-inspector',
    version: 1,
    session: { pageUrl: 'http://127.0.0.1/app', title: 'stats test', startedAt: rpc.startedAt },
    connections: [connection(rpc), connection(custom)],
  };
}

/** One graphql-transport-ws connection: a subscription answered by three `next` and `complete`. */
export async function recordSubscription(port: number): Promise<unknown> {
  const graphql = await record(`ws://127.0.0.1:${port}/graphql`, async (send) => {
    send('{"type":"connection_init"}');
    await sleep(30);
    send(JSON.stringify({ id: 'sub-1', type: 'subscribe', payload: { query: 'subscription { tick }' } }));
    await sleep(400);
  });
  return {
    format: 'websocket-inspector',
    version: 1,
    session: { pageUrl: 'http://127.0.0.1/app', title: 'stream stats test', startedAt: graphql.startedAt },
    connections: [{ url: graphql.url, protocols: ['graphql-transport-ws'], protocol: 'graphql-transport-ws', extensions: '', startedAt: graphql.startedAt, state: 'closed', errored: false, rows: graphql.rows }],
  };
}
