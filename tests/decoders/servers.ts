/**
 * Real protocol servers for the decoder e2e tests, each on its own HTTP server on 127.0.0.1 that also serves the
 * matching client library's browser bundle from node_modules and the test's page.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';

/** Browser bundles of the real client libraries, served at /lib/<name>.js. */
const BUNDLES: Record<string, string> = {
  'socket.io': 'node_modules/socket.io-client/dist/socket.io.min.js',
  mqtt: 'node_modules/mqtt/dist/mqtt.min.js',
  'graphql-ws': 'node_modules/graphql-ws/umd/graphql-ws.min.js',
  sockjs: 'node_modules/sockjs-client/dist/sockjs.min.js',
  stomp: 'node_modules/@stomp/stompjs/bundles/stomp.umd.min.js',
  signalr: 'node_modules/@microsoft/signalr/dist/browser/signalr.min.js',
  'signalr-msgpack': 'node_modules/@microsoft/signalr-protocol-msgpack/dist/browser/signalr-protocol-msgpack.min.js',
  actioncable: 'node_modules/@rails/actioncable/app/assets/javascripts/actioncable.js',
  autobahn: 'node_modules/autobahn-browser/autobahn.min.js',
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

/**
 * A small SignalR hub (JSON and MessagePack hub protocols, https://github.com/dotnet/aspnetcore/blob/main/src/
 * SignalR/docs/specs/HubProtocol.md) for clients that skip negotiation: it answers the handshake, completes
 * `Echo(text)` with its argument and first calls the client's `ReceiveMessage("server", text)`.
 */
export function attachSignalRHub(http: Server, path: string): WebSocketServer {
  const wss = new WebSocketServer({ server: http, path });
  wss.on('connection', (socket) => {
    let handshaken = false;
    socket.on('message', (data, isBinary) => {
      const buffer = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
      if (!handshaken) {
        handshaken = true;
        socket.send('{}\u001e');
        return;
      }
      if (!isBinary) {
        for (const record of buffer.toString().split('\u001e').filter(Boolean)) {
          const message = JSON.parse(record) as { type: number; invocationId?: string; target?: string; arguments?: unknown[] };
          if (message.type === 1 && message.target === 'Echo') {
            socket.send(JSON.stringify({ type: 1, target: 'ReceiveMessage', arguments: ['server', message.arguments?.[0]] }) + '\u001e');
            socket.send(JSON.stringify({ type: 3, invocationId: message.invocationId, result: message.arguments?.[0] }) + '\u001e');
          }
        }
        return;
      }
      // MessagePack: varint length prefix, then the message array.
      let pos = 0;
      while (pos < buffer.length) {
        let length = 0;
        let shift = 0;
        let b: number;
        do {
          b = buffer[pos++];
          length |= (b & 0x7f) << shift;
          shift += 7;
        } while (b & 0x80);
        const message = msgpackDecode(buffer.subarray(pos, pos + length)) as unknown[];
        pos += length;
        if (message[0] === 1 && message[3] === 'Echo') {
          const args = message[4] as unknown[];
          socket.send(frameMsgpack([1, {}, null, 'ReceiveMessage', ['server', args[0]]]));
          socket.send(frameMsgpack([3, {}, message[2], 3, args[0]]));
        }
      }
    });
  });
  return wss;
}

function frameMsgpack(message: unknown[]): Buffer {
  const body = msgpackEncode(message);
  const prefix: number[] = [];
  let n = body.length;
  do {
    let b = n & 0x7f;
    n >>= 7;
    if (n) b |= 0x80;
    prefix.push(b);
  } while (n);
  return Buffer.concat([Buffer.from(prefix), Buffer.from(body)]);
}

/**
 * A small Action Cable server: welcome, confirm_subscription, and a `speak` action broadcast back to the channel.
 */
export function attachActionCable(http: Server, path: string): WebSocketServer {
  const wss = new WebSocketServer({ server: http, path, handleProtocols: (p) => (p.has('actioncable-v1-json') ? 'actioncable-v1-json' : false) });
  wss.on('connection', (socket) => {
    socket.send(JSON.stringify({ type: 'welcome' }));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { command: string; identifier: string; data?: string };
      if (message.command === 'subscribe') socket.send(JSON.stringify({ identifier: message.identifier, type: 'confirm_subscription' }));
      if (message.command === 'message') {
        const payload = JSON.parse(message.data ?? '{}') as { action?: string; text?: string };
        if (payload.action === 'speak') socket.send(JSON.stringify({ identifier: message.identifier, message: { text: payload.text, from: 'server' } }));
      }
    });
  });
  return wss;
}

/**
 * A small WAMP v2 router (wamp.2.json): WELCOME, SUBSCRIBE/PUBLISH/EVENT between its sessions, CALL of
 * `com.example.add2`, GOODBYE.
 */
export function attachWampRouter(http: Server, path: string): WebSocketServer {
  const wss = new WebSocketServer({ server: http, path, handleProtocols: (p) => (p.has('wamp.2.json') ? 'wamp.2.json' : false) });
  const subscriptions = new Map<number, { socket: WebSocket; topic: string }>();
  let nextId = 1000;
  wss.on('connection', (socket) => {
    const send = (message: unknown[]) => socket.send(JSON.stringify(message));
    socket.on('close', () => {
      for (const [id, sub] of subscriptions) if (sub.socket === socket) subscriptions.delete(id);
    });
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as unknown[];
      switch (message[0]) {
        case 1:
          send([2, ++nextId, { authid: 'anonymous', authrole: 'anonymous', authmethod: 'anonymous', roles: { broker: { features: {} }, dealer: { features: {} } } }]);
          break;
        case 32: {
          const id = ++nextId;
          subscriptions.set(id, { socket, topic: message[3] as string });
          send([33, message[1], id]);
          break;
        }
        case 16: {
          const publication = ++nextId;
          const options = message[2] as { acknowledge?: boolean; exclude_me?: boolean };
          for (const [id, sub] of subscriptions) {
            if (sub.topic !== message[3] || (sub.socket === socket && options.exclude_me !== false)) continue;
            sub.socket.send(JSON.stringify([36, id, publication, {}, message[4] ?? []]));
          }
          if (options.acknowledge) send([17, message[1], publication]);
          break;
        }
        case 48:
          if (message[3] === 'com.example.add2') {
            const [a, b] = message[4] as number[];
            send([50, message[1], {}, [a + b]]);
          } else send([8, 48, message[1], {}, 'wamp.error.no_such_procedure']);
          break;
        case 6:
          send([6, {}, 'wamp.close.goodbye_and_out']);
          break;
      }
    });
  });
  return wss;
}
