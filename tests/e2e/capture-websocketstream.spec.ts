/**
 * WebSocketStream (Chromium): opens, frames each way (text and binary), close code and reason, and a refused
 * connection's error are captured as a WebSocket's are; the page's streams behave as in a browser without the
 * extension (what `opened` gives, the chunks read, backpressure and locking, `closed`, the constructor's toString).
 */
import { launchWithExtension, test, expect, waitForStore, framesOf } from './fixtures';

test('text and binary each way, then a close code and reason, are stored on the stream connection', async ({ page, server, sw }) => {
  const url = server.page('/wss.html', `<!doctype html><title>wss</title><script>
    window.run = async () => {
      const wss = new WebSocketStream('${server.wsOrigin}/echo?wss=1');
      const { readable, writable, protocol } = await wss.opened;
      const writer = writable.getWriter();
      const reader = readable.getReader();
      await writer.write('hello stream');
      await writer.write(new Uint8Array([1, 2, 3, 250]));
      const a = await reader.read();
      const b = await reader.read();
      wss.close({ closeCode: 4000, reason: 'done here' });
      const closed = await wss.closed;
      return { a: a.value, b: [...new Uint8Array(b.value)], closed, protocol };
    };
  </script>`);
  await page.goto(url);
  const got = await page.evaluate(() => (window as unknown as { run: () => Promise<unknown> }).run());
  expect(got).toEqual({ a: 'hello stream', b: [1, 2, 3, 250], closed: { closeCode: 4000, reason: 'done here' }, protocol: '' });

  const s = await waitForStore(sw, (s) => s.connections.some((c) => c.url.endsWith('/echo?wss=1') && c.state === 'closed'));
  const c = s.connections.find((c) => c.url.endsWith('/echo?wss=1'))!;
  expect(c).toMatchObject({ frameUrl: url });
  const rows = s.frames.filter((f) => f.connectionId === c.id).sort((x, y) => x.seq - y.seq);
  expect(rows.map((f) => [f.kind, f.dir ?? null, f.text ?? f.base64 ?? null])).toEqual([
    ['open', null, null],
    ['frame', 'send', 'hello stream'],
    ['frame', 'send', 'AQID+g=='],
    ['frame', 'receive', 'hello stream'],
    ['frame', 'receive', 'AQID+g=='],
    ['close', null, null],
  ]);
  expect(rows.at(-1)).toMatchObject({ code: 4000, reason: 'done here', wasClean: true });
  expect(framesOf(s, c.id).every((f) => f.origin === 'page' && f.status === 'sent')).toBe(true);
});

test('a server close with a code and reason, and a refused upgrade, are stored', async ({ page, server, sw }) => {
  const url = server.page('/wss-close.html', `<!doctype html><title>wss close</title><script>
    window.run = async () => {
      const wss = new WebSocketStream('${server.wsOrigin}/close?code=4001&reason=bye');
      const { writable } = await wss.opened;
      await writable.getWriter().write('last words');
      const closed = await wss.closed;
      const refused = new WebSocketStream('${server.wsOrigin}/echo?refused=1', { protocols: ['reject-me'] });
      const opened = await refused.opened.then(() => 'opened', (e) => e.name);
      const closedError = await refused.closed.then(() => 'closed', (e) => [e.name, e.closeCode]);
      return { closed, opened, closedError };
    };
  </script>`);
  await page.goto(url);
  const got = await page.evaluate(() => (window as unknown as { run: () => Promise<unknown> }).run());
  expect(got).toEqual({ closed: { closeCode: 4001, reason: 'bye' }, opened: 'WebSocketError', closedError: ['WebSocketError', 1006] });

  const s = await waitForStore(
    sw,
    (s) => s.connections.filter((c) => c.url.includes('/close?code=4001') || c.url.endsWith('refused=1')).every((c) => c.state !== 'open' && c.state !== 'connecting') && s.connections.length === 2,
  );
  const closedConnection = s.connections.find((c) => c.url.includes('/close?code=4001'))!;
  const closedRows = s.frames.filter((f) => f.connectionId === closedConnection.id).sort((x, y) => x.seq - y.seq);
  expect(closedRows.map((f) => [f.kind, f.dir ?? null, f.text ?? null])).toEqual([
    ['open', null, null],
    ['frame', 'send', 'last words'],
    ['close', null, null],
  ]);
  expect(closedRows.at(-1)).toMatchObject({ code: 4001, reason: 'bye', wasClean: true });
  const refused = s.connections.find((c) => c.url.endsWith('refused=1'))!;
  const refusedRows = s.frames.filter((f) => f.connectionId === refused.id).sort((x, y) => x.seq - y.seq);
  expect(refusedRows.map((f) => f.kind)).toEqual(['error', 'close']);
  expect(refusedRows[1]).toMatchObject({ code: 1006, wasClean: false });
});

/** The part of Chromium's WebSocketStream these tests use (not in TypeScript's DOM library yet). */
interface StreamLike {
  readonly opened: Promise<{ readable: ReadableStream; writable: WritableStream; protocol: string; extensions: string }>;
  readonly closed: Promise<{ closeCode: number; reason: string }>;
  close(options?: { closeCode?: number; reason?: string }): void;
}
type StreamCtor = { new (url: string, options?: { protocols?: string[] }): StreamLike; prototype: StreamLike };

/** Runs in the page: what a page can observe of its streams (no capture involved). */
async function streamFacts(wsOrigin: string) {
  const WebSocketStream = (window as unknown as { WebSocketStream: StreamCtor }).WebSocketStream;
  const facts: Record<string, unknown> = {};
  facts.source = Function.prototype.toString.call(WebSocketStream);
  facts.globalIsSame = WebSocketStream === (window as unknown as { WebSocketStream: StreamCtor }).WebSocketStream;
  facts.ctorIsGlobal = (WebSocketStream.prototype as unknown as { constructor: unknown }).constructor === WebSocketStream;
  const wss = new WebSocketStream(`${wsOrigin}/echo?facts=1`);
  facts.ownKeys = Reflect.ownKeys(wss);
  facts.sameOpened = wss.opened === wss.opened;
  facts.instance = wss instanceof WebSocketStream;
  const info = await wss.opened;
  facts.infoKeys = Object.keys(info);
  facts.infoDescriptors = Object.entries(Object.getOwnPropertyDescriptors(info)).map(([k, d]: [string, PropertyDescriptor]) => [k, d.writable, d.enumerable, d.configurable, typeof d.value]);
  facts.classes = [info.readable instanceof ReadableStream, info.writable instanceof WritableStream];
  facts.lockedBefore = [info.readable.locked, info.writable.locked];
  const writer = info.writable.getWriter();
  facts.lockedAfter = [info.readable.locked, info.writable.locked];
  try {
    info.writable.getWriter();
  } catch (e) {
    facts.secondWriter = (e as Error).name;
  }
  // Backpressure: desiredSize and ready as writes queue up.
  const sizes: Array<number | null> = [writer.desiredSize];
  const writes = [writer.write('one'), writer.write(new Uint8Array([7, 8])), writer.write('three')];
  sizes.push(writer.desiredSize);
  await Promise.all(writes);
  sizes.push(writer.desiredSize);
  facts.sizes = sizes;
  try {
    info.readable.getReader({ mode: 'byob' });
  } catch (e) {
    facts.byob = (e as Error).name;
  }
  const reader = info.readable.getReader();
  const read = [];
  for (let i = 0; i < 3; i++) {
    const r = await reader.read();
    read.push([Object.keys(r), r.done, typeof r.value === 'string' ? r.value : [Object.prototype.toString.call(r.value), ...new Uint8Array(r.value as ArrayBuffer)]]);
  }
  facts.read = read;
  reader.releaseLock();
  facts.relocked = info.readable.locked;
  writer.releaseLock();
  await info.writable.getWriter().close();
  facts.closed = await wss.closed;
  facts.afterClose = await info.readable.getReader().read();
  // A symbol cannot be written: the write rejects and the writable errors, as the native.
  const second = new WebSocketStream(`${wsOrigin}/echo?facts=2`);
  const w2 = (await second.opened).writable.getWriter();
  facts.symbolWrite = await w2.write(Symbol('x') as unknown as string).then(() => 'ok', (e) => (e as Error).name);
  facts.afterSymbol = w2.desiredSize;
  second.close();
  await second.closed.catch(() => {});
  return facts;
}

test('the page sees its streams as without the extension', async ({ server }) => {
  const url = server.page('/wss-facts.html', '<!doctype html><title>facts</title>');
  const run = async (extensionDir?: null) => {
    const launched = await launchWithExtension(extensionDir);
    try {
      const page = await launched.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      const facts = await page.evaluate(streamFacts, server.wsOrigin);
      return { facts, errors, hasExtension: launched.sw !== undefined };
    } finally {
      await launched.close();
    }
  };
  const withExt = await run();
  const withoutExt = await run(null);
  expect(withExt.hasExtension).toBe(true);
  expect(withoutExt.hasExtension).toBe(false);
  expect(withExt.facts).toEqual(withoutExt.facts);
  expect(withExt.errors).toEqual(withoutExt.errors);
  expect(withExt.facts.sizes).toEqual([1, -2, 1]);
});
