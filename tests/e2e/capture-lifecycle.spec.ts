/**
 * Connection lifecycle capture: subprotocol and extension negotiation, opens, closes from either side, failed
 * connections, and sends the browser refuses or drops, each recorded as what it was.
 */
import { createServer, type Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { test, expect, waitForStore, type StoredSnapshot } from './fixtures';

const rowsOf = (s: StoredSnapshot, connectionId: string) => s.frames.filter((f) => f.connectionId === connectionId).sort((a, b) => a.seq - b.seq);

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}
async function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

test('requested subprotocols, the negotiated protocol and permessage-deflate are stored', async ({ page, server, sw }) => {
  // A second ws server with compression on: the browser offers permessage-deflate, this server accepts it.
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: { threshold: 0 }, handleProtocols: (p) => (p.has('chat.v2') ? 'chat.v2' : false) });
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary })));
  const port = await listen(http);
  try {
    const url = server.page('/protocols.html', `<script>
      window.log = [];
      const plain = new WebSocket('${server.wsOrigin}/echo', ['reject-me', 'chat.v1', 'chat.v2']);
      plain.onopen = () => window.log.push(['plain', plain.protocol, plain.extensions]);
      const single = new WebSocket('${server.wsOrigin}/echo', 'solo');
      single.onopen = () => window.log.push(['single', single.protocol, single.extensions]);
      const deflate = new WebSocket('ws://127.0.0.1:${port}/', ['chat.v1', 'chat.v2']);
      deflate.onopen = () => { window.log.push(['deflate', deflate.protocol, deflate.extensions]); deflate.send('compressed '.repeat(50)); };
      deflate.onmessage = (e) => window.log.push(['deflate-echo', e.data.length]);
    </script>`);
    await page.goto(url);
    await expect.poll(() => page.evaluate(() => (window as unknown as { log: unknown[] }).log.length)).toBe(4);
    const log = await page.evaluate(() => (window as unknown as { log: string[][] }).log);
    const seen = Object.fromEntries(log.map(([name, protocol, extensions]) => [name, { protocol, extensions }]));
    expect(seen.deflate.extensions).toContain('permessage-deflate');

    const s = await waitForStore(sw, (s) => s.connections.length === 3 && s.connections.every((c) => c.state === 'open') && s.frames.filter((f) => f.kind === 'frame').length >= 2);
    const byUrl = (u: string, protocols: string[]) => s.connections.find((c) => c.url === u && JSON.stringify(c.protocols) === JSON.stringify(protocols))!;
    const plain = byUrl(`${server.wsOrigin}/echo`, ['reject-me', 'chat.v1', 'chat.v2']);
    const single = byUrl(`${server.wsOrigin}/echo`, ['solo']);
    const deflate = byUrl(`ws://127.0.0.1:${port}/`, ['chat.v1', 'chat.v2']);
    expect(plain).toMatchObject({ protocol: 'chat.v1', extensions: seen.plain.extensions });
    expect(single).toMatchObject({ protocol: 'solo', extensions: seen.single.extensions });
    expect(deflate).toMatchObject({ protocol: 'chat.v2', extensions: seen.deflate.extensions });
    // The open row carries them too.
    expect(rowsOf(s, deflate.id)[0]).toMatchObject({ kind: 'open', protocol: 'chat.v2' });
    // Compressed frames are stored decompressed, with their real size.
    const deflateFrames = rowsOf(s, deflate.id).filter((f) => f.kind === 'frame');
    expect(deflateFrames.map((f) => [f.dir, f.text, f.size])).toEqual([
      ['send', 'compressed '.repeat(50), 550],
      ['receive', 'compressed '.repeat(50), 550],
    ]);
  } finally {
    for (const client of wss.clients) client.terminate();
    wss.close();
    await shut(http);
  }
});

test('subprotocols given as any iterable, a Proxy or an object are stored as the browser converted them', async ({ page, server, sw }) => {
  const url = server.page('/protocols-iterables.html', `<script>
    window.sockets = [
      new WebSocket('${server.wsOrigin}/echo?set', new Set(['set.a', 'set.b'])),
      new WebSocket('${server.wsOrigin}/echo?generator', (function* () { yield 'gen.a'; yield { toString: () => 'gen.b' }; })()),
      new WebSocket('${server.wsOrigin}/echo?proxy', new Proxy(['proxy.a'], {})),
      new WebSocket('${server.wsOrigin}/echo?object', { toString: () => 'object.a' }),
      new WebSocket({ toString: () => '${server.wsOrigin}/echo?url-object' }),
    ];
    window.opened = Promise.all(window.sockets.map((ws) => new Promise((r) => (ws.onopen = () => r(ws.protocol)))));
  </script>`);
  await page.goto(url);
  expect(await page.evaluate(() => (window as unknown as { opened: Promise<string[]> }).opened)).toEqual(['set.a', 'gen.a', 'proxy.a', 'object.a', '']);
  const s = await waitForStore(sw, (s) => s.connections.length === 5 && s.connections.every((c) => c.state === 'open'));
  const protocolsOf = (query: string) => s.connections.find((c) => c.url === `${server.wsOrigin}/echo?${query}`)?.protocols;
  expect(['set', 'generator', 'proxy', 'object', 'url-object'].map(protocolsOf)).toEqual([['set.a', 'set.b'], ['gen.a', 'gen.b'], ['proxy.a'], ['object.a'], []]);
});

test('client and server closes are stored with code, reason and wasClean', async ({ page, server, sw }) => {
  const url = server.page('/closes.html', `<script>
    window.closes = {};
    const client = new WebSocket('${server.wsOrigin}/echo');
    client.onopen = () => client.send('bye soon');
    client.onmessage = () => client.close(4001, 'client says bye ✓');
    client.onclose = (e) => { window.closes.client = [e.code, e.reason, e.wasClean]; };
    const srv = new WebSocket('${server.wsOrigin}/close?code=4002&reason=' + encodeURIComponent('server <b>done</b>'));
    srv.onopen = () => srv.send('close me');
    srv.onclose = (e) => { window.closes.server = [e.code, e.reason, e.wasClean]; };
    const plain = new WebSocket('${server.wsOrigin}/echo');
    plain.onopen = () => plain.close();
    plain.onclose = (e) => { window.closes.plain = [e.code, e.reason, e.wasClean]; };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => Object.keys((window as unknown as { closes: object }).closes).length)).toBe(3);
  const closes = await page.evaluate(() => (window as unknown as { closes: Record<string, [number, string, boolean]> }).closes);
  expect(closes).toEqual({ client: [4001, 'client says bye ✓', true], server: [4002, 'server <b>done</b>', true], plain: [1005, '', true] });

  // The close rows: each is stored with (or after) every earlier row of its connection.
  const s = await waitForStore(sw, (s) => s.connections.length === 3 && s.frames.filter((f) => f.kind === 'close').length === 3);
  const byPath = (p: string) => s.connections.find((c) => c.url.startsWith(`${server.wsOrigin}${p}`))!;
  const client = s.connections.find((c) => c.closeCode === 4001)!;
  const srv = byPath('/close');
  const plain = s.connections.find((c) => c.closeCode === 1005)!;
  expect(client).toMatchObject({ closeReason: 'client says bye ✓', wasClean: true, errored: false, state: 'closed' });
  expect(srv).toMatchObject({ closeCode: 4002, closeReason: 'server <b>done</b>', wasClean: true, errored: false });
  expect(plain).toMatchObject({ closeReason: '', wasClean: true });
  expect(rowsOf(s, client.id).map((r) => r.kind)).toEqual(['open', 'frame', 'frame', 'close']);
  expect(rowsOf(s, client.id).at(-1)).toMatchObject({ kind: 'close', code: 4001, reason: 'client says bye ✓', wasClean: true });
  expect(rowsOf(s, srv.id).map((r) => r.kind)).toEqual(['open', 'frame', 'close']);
  for (const c of [client, srv, plain]) expect(c.closedAt as number).toBeGreaterThanOrEqual(c.openedAt as number);
});

test('an abrupt server drop is stored as close 1006, not clean', async ({ page, server, sw }) => {
  const url = server.page('/drop.html', `<script>
    window.events = [];
    const ws = new WebSocket('${server.wsOrigin}/silent');
    ws.onopen = () => window.events.push('open');
    ws.onerror = () => window.events.push('error');
    ws.onclose = (e) => window.events.push('close ' + e.code + ' ' + e.wasClean);
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual(['open']);
  for (const socket of server.sockets) socket.terminate();
  await expect.poll(() => page.evaluate(() => (window as unknown as { events: string[] }).events.at(-1))).toBe('close 1006 false');
  // Whether an error event precedes the close is the browser's business: the store mirrors what the page saw.
  const events = await page.evaluate(() => (window as unknown as { events: string[] }).events);
  const s = await waitForStore(sw, (s) => s.connections[0]?.state === 'closed' && s.frames.some((f) => f.kind === 'close'));
  expect(rowsOf(s, s.connections[0].id).map((r) => (r.kind === 'close' ? `close ${r.code} ${r.wasClean}` : r.kind))).toEqual(events);
  expect(s.connections[0]).toMatchObject({ closeCode: 1006, wasClean: false, errored: events.includes('error') });
});

test('failed connections (nothing listening, handshake rejected) are stored with error and close 1006', async ({ page, server, sw }) => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  const deadPort = await listen(probe);
  await shut(probe);
  // A server that refuses every upgrade with 403.
  const refusing = createServer();
  refusing.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'));
  const refusingPort = await listen(refusing);
  try {
    const url = server.page('/failed.html', `<script>
      window.events = { dead: [], refused: [] };
      for (const [name, url] of [['dead', 'ws://127.0.0.1:${deadPort}/'], ['refused', 'ws://127.0.0.1:${refusingPort}/nope']]) {
        const ws = new WebSocket(url);
        ws.onopen = () => window.events[name].push('open');
        ws.onerror = () => window.events[name].push('error');
        ws.onclose = (e) => window.events[name].push('close ' + e.code + ' ' + e.wasClean);
      }
    </script>`);
    await page.goto(url);
    await expect
      .poll(() => page.evaluate(() => (window as unknown as { events: object }).events))
      .toEqual({ dead: ['error', 'close 1006 false'], refused: ['error', 'close 1006 false'] });

    const s = await waitForStore(sw, (s) => s.connections.length === 2 && s.connections.every((c) => c.state === 'closed') && s.frames.filter((f) => f.kind === 'close').length === 2);
    for (const u of [`ws://127.0.0.1:${deadPort}/`, `ws://127.0.0.1:${refusingPort}/nope`]) {
      const c = s.connections.find((x) => x.url === u)!;
      expect(c, u).toMatchObject({ state: 'closed', errored: true, closeCode: 1006, wasClean: false, closeReason: '' });
      expect(c.openedAt, 'never opened').toBeUndefined();
      expect(rowsOf(s, c.id).map((r) => [r.kind, r.code ?? null])).toEqual([
        ['error', null],
        ['close', 1006],
      ]);
    }
  } finally {
    await shut(refusing);
  }
});

test('send while CONNECTING is stored as refused with the error, send while closing or closed as dropped', async ({ page, server, sw }) => {
  const url = server.page('/refused.html', `<script>
    window.result = {};
    const ws = new WebSocket('${server.wsOrigin}/echo');
    try { ws.send('too early'); } catch (e) { window.result.early = [e.name, e.message]; }
    try { ws.send(new Uint8Array([1, 2, 3])); } catch (e) { window.result.earlyBinary = e.name; }
    ws.onopen = () => {
      ws.send('on time');
      ws.close(1000, 'done');
      ws.send('while closing'); // CLOSING: the browser discards it without an error
    };
    ws.onclose = () => {
      ws.send(new Uint8Array([9, 9]).buffer); // CLOSED: discarded too
      window.result.closed = true;
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { result: { closed?: boolean } }).result.closed)).toBe(true);
  const result = await page.evaluate(() => (window as unknown as { result: { early: [string, string]; earlyBinary: string } }).result);
  expect(result.early[0]).toBe('InvalidStateError');
  expect(result.earlyBinary).toBe('InvalidStateError');
  expect(server.received.map((m) => m.data.toString())).toEqual(['on time']);

  const s = await waitForStore(sw, (s) => s.connections[0]?.state === 'closed' && s.frames.length === 7);
  const rows = rowsOf(s, s.connections[0].id);
  expect(rows.map((r) => [r.kind, r.dir ?? null, r.text ?? r.base64 ?? null, r.status ?? null])).toEqual([
    ['frame', 'send', 'too early', 'refused'],
    ['frame', 'send', Buffer.from([1, 2, 3]).toString('base64'), 'refused'],
    ['open', null, null, null],
    ['frame', 'send', 'on time', 'sent'],
    ['frame', 'send', 'while closing', 'dropped'],
    ['close', null, null, null],
    ['frame', 'send', Buffer.from([9, 9]).toString('base64'), 'dropped'],
  ]);
  expect(rows[0].note).toBe(result.early[1]);
  expect(rows[1].note).toContain('CONNECTING');
  // Refused and dropped frames are not counted as traffic.
  expect(s.connections[0]).toMatchObject({ sentCount: 1, sentBytes: 'on time'.length, receivedCount: 0 });
});
