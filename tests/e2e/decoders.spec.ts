/**
 * Real client libraries in the page against real servers in this process; the extension captures the traffic;
 * the decoders (run here, in Node) must decode the stored frames correctly.
 */
import { Server as SocketIoServer } from 'socket.io';
import { Aedes } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { buildSchema } from 'graphql';
import sockjs from 'sockjs';
import { test, expect, waitForStore, framesOf, type StoredSnapshot } from './fixtures';
import { attachActionCable, attachSignalRHub, attachStompResponder, attachWampRouter, startHttp, type HttpFixture } from '../decoders/servers';
import { createConnectionDecoder, detectDecoder, matchesDecodedFilter, type DecodeOutcome, type FrameLike } from '../../lib/decoders';

let http: HttpFixture;
test.beforeEach(async () => {
  http = await startHttp();
});
test.afterEach(async () => {
  await http.close();
});

/** Stored frames of the connection whose URL matches, as the panel would hand them to the decoders. */
function storedFrames(s: StoredSnapshot, urlPart: string) {
  // "=url" matches the whole URL, anything else a part of it. A client library may open more than one connection
  // (a reconnect): the one that carried the conversation is the one with the most frames.
  const matching = s.connections.filter((c) => (urlPart.startsWith('=') ? c.url === urlPart.slice(1) : c.url.includes(urlPart)));
  const connection = matching.sort((a, b) => framesOf(s, b.id).length - framesOf(s, a.id).length)[0];
  if (!connection) throw new Error(`no connection to ${urlPart}; have ${s.connections.map((c) => c.url).join(', ')}`);
  const frames: FrameLike[] = framesOf(s, connection.id).map((f) => ({
    kind: 'frame',
    seq: f.seq,
    dir: f.dir as 'send' | 'receive',
    data: f.text ?? Uint8Array.from(Buffer.from(f.base64 ?? '', 'base64')).buffer,
  }));
  return { connection: { url: connection.url, protocol: String(connection.protocol ?? ''), protocols: (connection.protocols as string[]) ?? [] }, frames };
}

/** Detects the decoder as the panel will, decodes every frame in order, and returns the results. */
function decodeAll(s: StoredSnapshot, urlPart: string) {
  const { connection, frames } = storedFrames(s, urlPart);
  const detection = detectDecoder(connection, frames);
  const decoder = createConnectionDecoder(detection.id ?? 'none', connection);
  const outcomes = frames.map((f) => decoder.decode(f));
  // Results after amendments (a later frame may complete an earlier one).
  const final = frames.map((f) => decoder.get(f.seq!)!);
  // As text: the reasons, with the frame that failed.
  const failures = final.flatMap((o, i) => (o.ok ? [] : [`seq ${frames[i].seq}: ${o.error}`]));
  return { detection, frames, outcomes, final, failures, summaries: final.map((o) => `${frames[final.indexOf(o)].dir} ${o.summary}`) };
}

const fieldsOf = (o: DecodeOutcome) => (o.ok ? o.fields : undefined);

test('Socket.IO: socket.io-client against a socket.io server', async ({ page, sw }) => {
  const io = new SocketIoServer(http.http);
  io.on('connection', (socket) => {
    socket.on('chat', (message: string, ack: (r: unknown) => void) => {
      ack({ ok: true, echo: message });
      socket.emit('news', { headline: 'decoded' });
    });
    socket.on('upload', (data: Buffer, meta: unknown, ack: (n: number) => void) => ack(data.length));
  });
  try {
    await page.goto(http.page('/sio.html', `<script src="/lib/socket.io.js"></script><script>
      const socket = io({ transports: ['websocket'] });
      socket.on('news', (n) => { window.news = n.headline; });
      socket.on('connect', () => {
        socket.emit('chat', 'hello', (reply) => {
          window.chatReply = reply.echo;
          socket.emit('upload', new Uint8Array([1, 2, 3, 250]).buffer, { name: 'f.bin' }, (n) => { window.uploaded = n; });
        });
      });
    </script>`));
    await expect.poll(() => page.evaluate(() => [(window as any).chatReply, (window as any).news, (window as any).uploaded])).toEqual(['hello', 'decoded', 4]);
    // Nine frames: open, connect and its reply, chat and its ack, news, upload, its attachment, and its ack. The page
    // has them all by now, but the last may still be on its way to the store.
    const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame' && f.connectionId === s.connections.find((c) => c.url.includes('/socket.io/'))?.id).length >= 9);
    const r = decodeAll(s, '/socket.io/');
    expect(r.detection.id).toBe('socket.io');
    expect(r.failures).toEqual([]);
    expect(r.summaries[0]).toMatch(/^receive open sid=/);
    expect(r.summaries).toContain('send connect /');
    expect(r.summaries).toContain('send event chat ack 0 ["hello"]');
    expect(r.summaries).toContain('receive ack 0 (chat) [{ok: true, echo: "hello"}]');
    expect(r.summaries).toContain('receive event news [{headline: "decoded"}]');
    expect(r.summaries).toContain('receive ack 1 (upload) [4]');
    // The binary event: its placeholder packet, amended with the attachment that followed it.
    const placeholder = r.final.find((o) => o.ok && o.fields.type === 'BINARY_EVENT')!;
    expect(fieldsOf(placeholder)).toMatchObject({ event: 'upload', attachments: 1, ackId: 1 });
    expect(JSON.stringify(placeholder)).toContain('<4 bytes> 01 02 03 fa');
    expect(r.summaries).toContain('send attachment 1/1 of event upload ack 1 [<4 bytes>, {name: "f.bin"}]');
    // The decoded fields drive the panel's filter.
    expect(r.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'event=chat')).length).toBe(2);
  } finally {
    io.close();
  }
});

test('MQTT: mqtt.js (3.1.1 and 5) against an aedes broker over WebSocket', async ({ page, sw }) => {
  const broker = await Aedes.createBroker();
  const wss = new WebSocketServer({ server: http.http, path: '/mqtt', handleProtocols: (p) => (p.has('mqtt') ? 'mqtt' : false) });
  wss.on('connection', (socket, req) => broker.handle(createWebSocketStream(socket) as never, req as never));
  try {
    await page.goto(http.page('/mqtt.html', `<script src="/lib/mqtt.js"></script><script>
      const client = mqtt.connect('${http.wsOrigin}/mqtt', { clientId: 'page-client', protocolVersion: 4, reconnectPeriod: 0 });
      client.on('message', (topic, payload) => { window.got = topic + ' ' + payload.toString(); client.end(); });
      client.on('connect', () => {
        client.subscribe('sensors/+', { qos: 1 }, () => client.publish('sensors/kitchen', JSON.stringify({ t: 21.5 }), { qos: 1 }));
      });
      // MQTT 5: aedes speaks 3.1.1 only and refuses it, but the client's CONNECT is real MQTT 5.
      const v5 = mqtt.connect('${http.wsOrigin}/mqtt?v5', { clientId: 'page-v5', protocolVersion: 5, reconnectPeriod: 0,
        properties: { sessionExpiryInterval: 120, userProperties: { app: 'wsi' } } });
      v5.on('error', (e) => { window.v5error = String(e.message); });
      v5.on('close', () => { window.v5closed = true; });
    </script>`));
    await expect.poll(() => page.evaluate(() => (window as any).got)).toBe('sensors/kitchen {"t":21.5}');
    await expect.poll(() => page.evaluate(() => (window as any).v5closed)).toBe(true);
    const s = await waitForStore(sw, (s) => s.connections.filter((c) => c.url.includes('/mqtt') && c.state === 'closed').length === 2);
    const decoded = decodeAll(s, `=${http.wsOrigin}/mqtt`);
    expect(decoded.detection.id).toBe('mqtt');
    expect(decoded.failures).toEqual([]);
    // aedes writes each packet in pieces (one WebSocket message per stream write): the last piece completes it.
    expect(decoded.summaries).toEqual(
      expect.arrayContaining([
        'send CONNECT page-client v3.1.1',
        'receive last part of CONNACK accepted',
        'send SUBSCRIBE sensors/+',
        expect.stringMatching(/^receive last part of SUBACK id \d+ qos1$/),
        'send PUBLISH sensors/kitchen qos1 10 bytes',
        'receive last part of PUBLISH sensors/kitchen qos1 10 bytes',
        expect.stringMatching(/^receive last part of PUBACK id \d+$/),
      ]),
    );
    expect(decoded.summaries).toContain('receive part 1/4 of CONNACK accepted');
    // Every frame that carried part of a PUBLISH matches the topic filter: the whole send and each received part.
    const publishFrames = decoded.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'topic=sensors/kitchen type=publish'));
    expect(publishFrames.length).toBeGreaterThan(2);
    expect(publishFrames.every((o) => o.summary.includes('PUBLISH sensors/kitchen qos1 10 bytes'))).toBe(true);
    const five = decodeAll(s, '/mqtt?v5');
    expect(five.summaries[0]).toBe('send CONNECT page-v5 v5');
    expect(JSON.stringify(five.final[0])).toContain('sessionExpiryInterval');
    expect(JSON.stringify(five.final[0])).toContain('userProperty');
  } finally {
    wss.close();
    await new Promise<void>((r) => broker.close(() => r()));
  }
});

test('GraphQL: graphql-ws client against a graphql-ws server', async ({ page, sw }) => {
  const schema = buildSchema('type Query { hello: String } type Subscription { countdown(from: Int!): Int }');
  const roots = {
    query: { hello: () => 'world' },
    subscription: {
      countdown: async function* (args: { from: number }) {
        for (let i = args.from; i >= 0; i--) yield { countdown: i };
      },
    },
  };
  const wss = new WebSocketServer({ server: http.http, path: '/graphql' });
  const server = useServer({ schema, roots }, wss);
  try {
    await page.goto(http.page('/gql.html', `<script src="/lib/graphql-ws.js"></script><script>
      const client = graphqlWs.createClient({ url: '${http.wsOrigin}/graphql', lazy: false });
      (async () => {
        const hello = await new Promise((resolve, reject) => {
          let result;
          client.subscribe({ query: 'query Greeting { hello }' }, { next: (d) => (result = d), error: reject, complete: () => resolve(result) });
        });
        const counts = [];
        await new Promise((resolve, reject) => {
          client.subscribe({ query: 'subscription Countdown($from: Int!) { countdown(from: $from) }', variables: { from: 2 } },
            { next: (d) => counts.push(d.data.countdown), error: reject, complete: resolve });
        });
        window.result = hello.data.hello + ' ' + counts.join(',');
        await client.dispose();
      })();
    </script>`));
    await expect.poll(() => page.evaluate(() => (window as any).result)).toBe('world 2,1,0');
    // The close row: it is stored with (or after) every earlier frame of its connection.
    const s = await waitForStore(sw, (s) => s.connections.some((c) => c.url.includes('/graphql') && s.frames.some((f) => f.connectionId === c.id && f.kind === 'close')));
    const r = decodeAll(s, '/graphql');
    expect(r.detection.id).toBe('graphql-ws');
    expect(r.detection.confidence).toBe(1);
    expect(r.failures).toEqual([]);
    const next = (id: string) => r.summaries.filter((x) => x === `receive next Countdown #${id}`).length;
    expect(r.summaries).toEqual(expect.arrayContaining(['send connection_init', 'receive connection_ack', expect.stringMatching(/^send subscribe Greeting #/), expect.stringMatching(/^receive next Greeting #/), expect.stringMatching(/^send subscribe Countdown #/)]));
    const countdownId = r.summaries.find((x) => x.startsWith('send subscribe Countdown #'))!.split('#')[1];
    expect(next(countdownId)).toBe(3);
    expect(r.summaries).toContain(`receive complete Countdown #${countdownId}`);
    expect(r.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'operationName=countdown')).length).toBe(5);
  } finally {
    await server.dispose();
    wss.close();
  }
});

test('SockJS: sockjs-client against a sockjs server', async ({ page, sw }) => {
  const echo = sockjs.createServer({ prefix: '/sockjs', log: () => {} });
  echo.on('connection', (conn) => {
    conn.write('welcome');
    conn.on('data', (message) => {
      conn.write(message);
      if (message === 'bye') conn.close(3000 as unknown as string, 'Go away'); // sockjs writes the code as given; @types/sockjs says string, the protocol says number
    });
  });
  echo.installHandlers(http.http);
  await page.goto(http.page('/sockjs.html', `<script src="/lib/sockjs.js"></script><script>
    const sock = new SockJS('${http.origin}/sockjs', null, { transports: ['websocket'] });
    const got = [];
    sock.onopen = () => { sock.send('{"hello":"world"}'); sock.send('bye'); };
    sock.onmessage = (e) => got.push(e.data);
    sock.onclose = (e) => { window.result = got.join('|') + ' ' + e.code + ' ' + e.reason; };
  </script>`));
  await expect.poll(() => page.evaluate(() => (window as any).result)).toBe('welcome|{"hello":"world"}|bye 3000 Go away');
  const s = await waitForStore(sw, (s) => s.connections.some((c) => c.url.includes('/sockjs/') && c.state === 'closed'));
  const r = decodeAll(s, '/sockjs/');
  expect(r.detection.id).toBe('sockjs');
  expect(r.failures).toEqual([]);
  expect(r.summaries).toEqual(expect.arrayContaining(['receive open', 'receive messages "welcome"', 'send send {hello: "world"}', 'send send "bye"', 'receive close 3000 Go away']));
});

test('STOMP: @stomp/stompjs against a STOMP responder', async ({ page, sw }) => {
  const wss = attachStompResponder(http.http, '/stomp');
  try {
    await page.goto(http.page('/stomp.html', `<script src="/lib/stomp.js"></script><script>
      const client = new StompJs.Client({ brokerURL: '${http.wsOrigin}/stomp', reconnectDelay: 0, heartbeatIncoming: 0, heartbeatOutgoing: 0 });
      client.onConnect = () => {
        client.subscribe('/topic/chat', (m) => { window.got = m.body; client.deactivate(); });
        client.publish({ destination: '/topic/chat', body: JSON.stringify({ text: 'hi' }), headers: { 'content-type': 'application/json', receipt: 'r-1' } });
      };
      client.activate();
    </script>`));
    await expect.poll(() => page.evaluate(() => (window as any).got)).toBe('{"text":"hi"}');
    const s = await waitForStore(sw, (s) => s.connections.some((c) => c.url.includes('/stomp') && c.state === 'closed'));
    const r = decodeAll(s, '/stomp');
    expect(r.detection.id).toBe('stomp');
    expect(r.failures).toEqual([]);
    expect(r.summaries).toEqual(
      expect.arrayContaining([
        'send CONNECT',
        'receive CONNECTED v1.2',
        'send SUBSCRIBE /topic/chat id=sub-0',
        'send SEND /topic/chat 13 bytes',
        'receive MESSAGE /topic/chat 13 bytes',
        'receive RECEIPT r-1',
        'send DISCONNECT',
      ]),
    );
    expect(r.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'destination=/topic/chat')).length).toBe(3);
  } finally {
    wss.close();
  }
});

test('SignalR: @microsoft/signalr (JSON and MessagePack hub protocols) against a small hub', async ({ page, sw }) => {
  const json = attachSignalRHub(http.http, '/hub');
  try {
    await page.goto(http.page('/signalr.html', `<script src="/lib/signalr.js"></script><script src="/lib/signalr-msgpack.js"></script><script>
      async function run(path, protocol) {
        let builder = new signalR.HubConnectionBuilder().withUrl(path, { skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets });
        if (protocol) builder = builder.withHubProtocol(protocol);
        const connection = builder.build();
        let received;
        connection.on('ReceiveMessage', (user, text) => { received = user + ':' + text; });
        await connection.start();
        const echo = await connection.invoke('Echo', 'hello');
        await connection.stop();
        return echo + ' ' + received;
      }
      (async () => {
        window.result = [await run('/hub', null), await run('/hub?msgpack', new signalR.protocols.msgpack.MessagePackHubProtocol())];
      })();
    </script>`));
    await expect.poll(() => page.evaluate(() => (window as any).result)).toEqual(['hello server:hello', 'hello server:hello']);
    const s = await waitForStore(sw, (s) => s.connections.filter((c) => c.url.includes('/hub') && c.state === 'closed').length === 2);
    for (const [urlPart, protocol] of [[`=${http.wsOrigin}/hub`, 'json'], ['/hub?msgpack', 'messagepack']]) {
      const r = decodeAll(s, urlPart);
      expect(r.detection.id).toBe('signalr');
      expect(r.failures).toEqual([]);
      expect(r.summaries).toEqual(expect.arrayContaining([`send handshake ${protocol} v1`, 'receive handshake ok', 'send invoke Echo #0 ["hello"]', 'receive invoke ReceiveMessage ["server", "hello"]', 'receive completion #0 (Echo) "hello"']));
      expect(r.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'target=echo')).length).toBe(2);
    }
    // The MessagePack connection's invocations really travelled as binary frames.
    expect(storedFrames(s, '/hub?msgpack').frames.filter((f) => f.data instanceof ArrayBuffer).length).toBeGreaterThanOrEqual(3);
  } finally {
    json.close();
  }
});

test('Action Cable: @rails/actioncable against a small cable server', async ({ page, sw }) => {
  const wss = attachActionCable(http.http, '/cable');
  try {
    await page.goto(http.page('/cable.html', `<script src="/lib/actioncable.js"></script><script>
      const consumer = ActionCable.createConsumer('${http.wsOrigin}/cable');
      consumer.subscriptions.create({ channel: 'ChatChannel', room: 'lobby' }, {
        connected() { this.perform('speak', { text: 'hi' }); },
        received(data) { window.got = data.from + ':' + data.text; consumer.disconnect(); },
      });
    </script>`));
    await expect.poll(() => page.evaluate(() => (window as any).got)).toBe('server:hi');
    // The closed connection that carried all five messages (Action Cable may open another).
    const s = await waitForStore(sw, (s) => s.connections.some((c) => c.url.includes('/cable') && c.state === 'closed' && framesOf(s, c.id).length >= 5));
    const r = decodeAll(s, '/cable');
    expect(r.detection.id).toBe('actioncable');
    expect(r.failures).toEqual([]);
    expect(r.summaries).toEqual(expect.arrayContaining(['receive welcome', 'send subscribe ChatChannel', 'receive confirm_subscription ChatChannel', 'send message ChatChannel speak', 'receive broadcast ChatChannel {text: "hi", from: "server"}']));
    expect(r.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'channel=chatchannel')).length).toBe(4);
  } finally {
    wss.close();
  }
});

test('WAMP: autobahn-browser against a small WAMP router', async ({ page, sw }) => {
  const wss = attachWampRouter(http.http, '/wamp');
  try {
    await page.goto(http.page('/wamp.html', `<script src="/lib/autobahn.js"></script><script>
      const connection = new autobahn.Connection({ url: '${http.wsOrigin}/wamp', realm: 'realm1', protocols: ['wamp.2.json'], max_retries: 0 });
      connection.onopen = async (session) => {
        let deliver;
        const got = new Promise((resolve) => (deliver = resolve));
        await session.subscribe('com.example.news', (args) => deliver(args[0]));
        await session.publish('com.example.news', ['headline'], {}, { acknowledge: true, exclude_me: false });
        const sum = await session.call('com.example.add2', [2, 3]);
        window.result = (await got) + ' ' + sum;
        connection.close();
      };
      connection.open();
    </script>`));
    await expect.poll(() => page.evaluate(() => (window as any).result)).toBe('headline 5');
    const s = await waitForStore(sw, (s) => s.connections.some((c) => c.url.includes('/wamp') && c.state === 'closed'));
    const r = decodeAll(s, '/wamp');
    expect(r.detection.id).toBe('wamp');
    expect(r.failures).toEqual([]);
    expect(r.summaries).toEqual(
      expect.arrayContaining([
        'send HELLO realm1',
        expect.stringMatching(/^send SUBSCRIBE com\.example\.news #\d+$/),
        expect.stringMatching(/^receive SUBSCRIBED com\.example\.news #\d+$/),
        expect.stringMatching(/^send PUBLISH com\.example\.news #\d+ \["headline"\]$/),
        'receive EVENT com.example.news ["headline"]',
        expect.stringMatching(/^send CALL com\.example\.add2 #\d+ \[2, 3\]$/),
        expect.stringMatching(/^receive RESULT com\.example\.add2 #\d+ \[5\]$/),
      ]),
    );
    expect(r.final.filter((o) => matchesDecodedFilter(fieldsOf(o), 'topic=com.example.news')).length).toBe(4);
  } finally {
    wss.close();
  }
});
