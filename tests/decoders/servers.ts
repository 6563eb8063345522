/**
 * Real protocol servers for the decoder e2e tests, each on its own HTTP server on 127.0.0.1 that also serves the
 * matching client library's browser bundle from node_modules and the test's page.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';

/** Browser bundles of the real client libraries, served at /lib/<name>.js. */
const BUNDLES: Record<string, string> = {
  'socket.io': 'node_modules/socket.io-client/dist/socket.io.min.js',
  mqtt: 'node_modules/mqtt/dist/mqtt.min.js',
  'graphql-ws': 'node_modules/graphql-ws/umd/graphql-ws.min.js',
  sockjs: 'node_modules/sockjs-client/dist/sockjs.min.js',
  stomp: 'node_modules/@stomp/stompjs/bundles/stomp.umd.min.js',
};

export interface HttpFixture {
  http: Server;
  port: number;
  origin: string;
  wsOrigin: string;
  page(path: string, html: string): string;
  close(): Promise<void>;
}

export async function startHttp(): Promise<HttpFixture> {
  const pages = new Map<string, string>();
  const http = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const html = pages.get(path);
    if (html !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    const bundle = /^\/lib\/(.+)\.js$/.exec(path)?.[1];
    if (bundle && BUNDLES[bundle]) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(resolve(BUNDLES[bundle])));
      return;
    }
    // Other handlers (socket.io, sockjs) answer their own paths; they add listeners after this one.
    if (!path.startsWith('/socket.io/') && !path.startsWith('/sockjs')) res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const port = (http.address() as { port: number }).port;
  const closers: Array<() => Promise<void> | void> = [];
  return {
    http,
    port,
    origin: `http://127.0.0.1:${port}`,
    wsOrigin: `ws://127.0.0.1:${port}`,
    page(path, html) {
      pages.set(path, html);
      return `http://127.0.0.1:${port}${path}`;
    },
    async close() {
      for (const c of closers) await c();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}

/** STOMP frames as a test responder reads them (deliberately not the decoder under test). */
function readStompFrames(message: string): Array<{ command: string; headers: Record<string, string>; body: string }> {
  return message
    .split('\0')
    .map((f) => f.replace(/^[\r\n]+/, ''))
    .filter((f) => f.length > 0)
    .map((f) => {
      const [head, ...rest] = f.split('\n\n');
      const [command, ...lines] = head.split('\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0 && !(line.slice(0, i) in headers)) headers[line.slice(0, i)] = line.slice(i + 1);
      }
      return { command, headers, body: rest.join('\n\n') };
    });
}

/**
 * A small STOMP 1.2 responder: CONNECT → CONNECTED, SUBSCRIBE registers, SEND is delivered as MESSAGE to every
 * subscription on that destination, any frame with a receipt header gets a RECEIPT.
 */
export function attachStompResponder(http: Server, path: string): WebSocketServer {
  const wss = new WebSocketServer({ server: http, path, handleProtocols: (protocols) => (protocols.has('v12.stomp') ? 'v12.stomp' : false) });
  const subscriptions = new Map<WebSocket, Map<string, string>>();
  let messageId = 0;
  wss.on('connection', (socket) => {
    subscriptions.set(socket, new Map());
    socket.on('close', () => subscriptions.delete(socket));
    socket.on('message', (data) => {
      for (const frame of readStompFrames(data.toString())) {
        switch (frame.command) {
          case 'CONNECT':
          case 'STOMP':
            socket.send('CONNECTED\nversion:1.2\nheart-beat:0,0\nserver:test-responder\n\n\0');
            break;
          case 'SUBSCRIBE':
            subscriptions.get(socket)!.set(frame.headers.id, frame.headers.destination);
            break;
          case 'UNSUBSCRIBE':
            subscriptions.get(socket)!.delete(frame.headers.id);
            break;
          case 'SEND':
            for (const [peer, subs] of subscriptions) {
              for (const [id, destination] of subs) {
                if (destination !== frame.headers.destination) continue;
                const type = frame.headers['content-type'] ? `content-type:${frame.headers['content-type']}\n` : '';
                peer.send(`MESSAGE\nsubscription:${id}\nmessage-id:${++messageId}\ndestination:${destination}\n${type}\n${frame.body}\0`);
              }
            }
            break;
        }
        if (frame.headers.receipt) socket.send(`RECEIPT\nreceipt-id:${frame.headers.receipt}\n\n\0`);
      }
    });
  });
  return wss;
}
