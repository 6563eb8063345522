import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listConnections, newSession, openFrameStore, writeEvents, type InspectorDatabase } from '../../../lib/store/frame-store';
import type { WireEvent } from '../../../lib/shared/protocol';
import type { ExportPipeMessage, ExportProducerMessage, IoWorkerRequest, IoWorkerResponse } from '../../../lib/shared/protocol/io';
import { emptyFilter } from '../../../lib/shared/filters';
import { exportSession } from '../../../lib/io/export-plan';
import { createIoRequestHandler } from '../../../lib/io/io-request-handler';

const T0 = 1795629600123;
let name: string;
let dbCount = 0;
let db: InspectorDatabase;
/** Every connection the handler opened, to check it closes them. */
let opened: { closed: boolean }[];

beforeEach(async () => {
  name = `io-handler-test-${++dbCount}`;
  db = await openFrameStore(name);
  opened = [];
});
afterEach(() => db.close());

/** A handler on the test's database, with what it posted. */
function handler() {
  const posted: IoWorkerResponse[] = [];
  const handle = createIoRequestHandler(
    (message) => posted.push(message),
    async () => {
      const connection = await openFrameStore(name);
      const record = { closed: false };
      opened.push(record);
      const close = connection.close.bind(connection);
      connection.close = () => {
        record.closed = true;
        close();
      };
      return connection;
    },
  );
  return { posted, handle: (request: IoWorkerRequest) => handle(request) };
}

async function seed(frames: number): Promise<string> {
  await db.put('sessions', newSession({ id: 's1', tabId: 3, pageUrl: 'https://app.test/', title: 'App', startedAt: T0 }));
  const events: WireEvent[] = [
    { k: 'connect', connectionId: 'a', url: 'wss://app.test/live', protocols: [], frameUrl: 'https://app.test/', time: T0 },
    { k: 'open', connectionId: 'a', seq: 1, time: T0 + 1, protocol: '', extensions: '' },
  ];
  for (let seq = 2; seq < frames + 2; seq++) {
    events.push({ k: 'frame', connectionId: 'a', seq, time: T0 + seq, dir: seq % 2 ? 'send' : 'receive', opcode: 1, encoding: 'text', payload: `{"n":${seq}}`, size: 8, origin: 'page', status: 'sent' } as WireEvent);
  }
  await writeEvents(db, 's1', 'https://app.test/', events);
  return 's1';
}

const wsiFile = (fileName: string) =>
  new File(
    [
      JSON.stringify({
        format: 'websocket-inspector',
        version: 1,
        session: { pageUrl: 'https://imported.test/', title: 'Imported', startedAt: T0 },
        connections: [
          {
            url: 'wss://imported.test/ws',
            startedAt: T0,
            rows: [
              { seq: 1, time: T0 + 1, kind: 'open' },
              { seq: 2, time: T0 + 2, kind: 'frame', dir: 'send', opcode: 1, data: 'hello' },
            ],
          },
        ],
      }),
    ],
    fileName,
  );

/**
 * The service worker's side of the port, as far as the producer sees it: it confirms the offer, reads the whole
 * stream as the download would, and answers an abort with 'failed'.
 */
function fakeServiceWorker(port: MessagePort) {
  const received: ExportProducerMessage['type'][] = [];
  let body = '';
  const post = (message: ExportPipeMessage) => port.postMessage(message);
  port.onmessage = async (event: MessageEvent<ExportProducerMessage>) => {
    received.push(event.data.type);
    if (event.data.type === 'abort') {
      post({ type: 'failed', message: event.data.message });
      return;
    }
    post({ type: 'ready' });
    post({ type: 'started' });
    const reader = event.data.stream.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const next = await reader.read().catch(() => undefined);
      if (!next) return; // the producer failed the stream: it sends 'abort' next
      if (next.done) break;
      body += decoder.decode(next.value, { stream: true });
    }
    post({ type: 'finished' });
  };
  return { received, body: () => body };
}

describe('the I/O worker request handler', () => {
  it('imports a file: progress, then the result; the session is stored and the store closed', async () => {
    const { posted, handle } = handler();
    await handle({ type: 'import', file: wsiFile('one.wsi.json') });
    const answer = posted.at(-1)!;
    expect(answer.type).toBe('imported');
    if (answer.type !== 'imported') return;
    expect(answer.result).toMatchObject({ rows: 2, format: 'wsi', connectionIds: [expect.any(String)] });
    expect(posted.slice(0, -1).every((m) => m.type === 'progress')).toBe(true);
    expect(posted.filter((m) => m.type === 'progress').at(-1)).toEqual({ type: 'progress', done: 2, total: 2 });
    expect(await db.get('sessions', answer.result.sessionId)).toMatchObject({ source: 'imported', importedFrom: 'one.wsi.json', title: 'Imported' });
    expect(opened).toEqual([{ closed: true }]);
  });

  it('answers a file it cannot import with the error, naming the file', async () => {
    const { posted, handle } = handler();
    await handle({ type: 'import', file: new File(['not json'], 'bad.har') });
    expect(posted).toEqual([{ type: 'error', message: expect.stringMatching(/^bad\.har: /) }]);
    await handle({ type: 'import', file: wsiFile('big.wsi.json'), maxBytes: 10 });
    expect(posted.at(-1)).toEqual({ type: 'error', message: expect.stringContaining('big.wsi.json: the file is') });
    expect(opened.every((c) => c.closed)).toBe(true);
  });

  it('exports a Blob: the same file as exportSession', async () => {
    const sessionId = await seed(30);
    const { posted, handle } = handler();
    await handle({ type: 'export', scope: { kind: 'session', sessionId }, format: 'wsi' });
    const answer = posted.at(-1)!;
    expect(answer).toMatchObject({ type: 'exported', rows: 31, connections: 1 });
    if (answer.type !== 'exported') return;
    const direct = await exportSession(db, { kind: 'session', sessionId }, 'wsi');
    expect(answer.fileName).toBe(direct.fileName);
    const strip = (text: string) => text.replace(/"exportedAt": ?"[^"]*"/, '');
    expect(strip(await answer.blob.text())).toBe(strip(await direct.blob.text()));
    expect(posted.filter((m) => m.type === 'progress').at(-1)).toEqual({ type: 'progress', done: 31 });
  });

  it('hides handshake secrets unless the request asks for them, in both formats', async () => {
    const sessionId = await seed(2);
    const connection = (await listConnections(db, sessionId))[0];
    connection.handshake = {
      method: 'GET', url: 'wss://app.test/live', status: 101, statusText: 'Switching Protocols', source: 'devtools',
      requestHeaders: [{ name: 'Cookie', value: 'sid=top-secret' }, { name: 'Authorization', value: 'Bearer top-secret' }],
      responseHeaders: [{ name: 'Set-Cookie', value: 'sid=top-secret' }, { name: 'Sec-WebSocket-Accept', value: 'abc=' }],
    };
    await db.put('connections', connection);
    const { posted, handle } = handler();
    for (const format of ['wsi', 'har'] as const) {
      for (const includeSecrets of [false, true]) {
        await handle({ type: 'export', scope: { kind: 'session', sessionId }, format, includeSecrets });
        const answer = posted.at(-1)!;
        if (answer.type !== 'exported') throw new Error(`expected an export, got ${JSON.stringify(answer)}`);
        const text = await answer.blob.text();
        expect(text.split('top-secret').length - 1, `${format}, includeSecrets ${includeSecrets}`).toBe(includeSecrets ? 3 : 0);
        expect(text).toContain('abc=');
      }
    }
  });

  it('a filtered view travels as its filter and exports only the rows it lets through', async () => {
    const sessionId = await seed(30);
    const { posted, handle } = handler();
    const filter = { ...emptyFilter(), contains: '"n":1' }; // 10..19
    await handle({ type: 'export', scope: { kind: 'filtered', sessionId, filter }, format: 'har' });
    expect(posted.at(-1)).toMatchObject({ type: 'exported', rows: 10, connections: 1 });
    const onlySent = { ...emptyFilter(), direction: 'send' as const };
    await handle({ type: 'export', scope: { kind: 'filtered', sessionId, connectionIds: ['a'], filter: onlySent }, format: 'wsi' });
    expect(posted.at(-1)).toMatchObject({ type: 'exported', rows: 15 });
    expect((await listConnections(db, sessionId)).length).toBe(1);
    // The timeline's range narrows it further: frames 10..14 are at T0+10..T0+14 (the open at T0+1 is outside).
    await handle({ type: 'export', scope: { kind: 'filtered', sessionId, filter: emptyFilter(), timeRange: { from: T0 + 10, to: T0 + 14 } }, format: 'wsi' });
    expect(posted.at(-1)).toMatchObject({ type: 'exported', rows: 5 });
  });

  it('answers an export of a session that is gone with the error', async () => {
    const { posted, handle } = handler();
    await handle({ type: 'export', scope: { kind: 'session', sessionId: 'gone' }, format: 'wsi' });
    expect(posted).toEqual([{ type: 'error', message: 'session gone is not in the store (deleted?)' }]);
    expect(opened).toEqual([{ closed: true }]);
  });

  it('streams an export to the service worker: ready, started, then the totals; the bytes are the Blob export', async () => {
    const sessionId = await seed(30);
    const channel = new MessageChannel();
    const serviceWorker = fakeServiceWorker(channel.port1);
    const { posted, handle } = handler();
    await handle({ type: 'export-stream', scope: { kind: 'connection', sessionId, connectionId: 'a' }, format: 'har', port: channel.port2 });
    const direct = await exportSession(db, { kind: 'connection', sessionId, connectionId: 'a' }, 'har');
    expect(posted.filter((m) => m.type !== 'progress')).toEqual([
      { type: 'stream-ready' },
      { type: 'stream-started', fileName: direct.fileName },
      { type: 'streamed', fileName: direct.fileName, rows: 31, connections: 1 },
    ]);
    expect(serviceWorker.received).toEqual(['offer']);
    const strip = (text: string) => text.replace(/"startedDateTime": ?"[^"]*"|"version": ?"[^"]*"/g, '');
    expect(strip(serviceWorker.body())).toBe(strip(await direct.blob.text()));
    channel.port1.close();
  });

  it('a streamed export that cannot be planned aborts the token at once and answers the error', async () => {
    const channel = new MessageChannel();
    const serviceWorker = fakeServiceWorker(channel.port1);
    const { posted, handle } = handler();
    await handle({ type: 'export-stream', scope: { kind: 'session', sessionId: 'gone' }, format: 'wsi', port: channel.port2 });
    expect(posted).toEqual([{ type: 'error', message: 'session gone is not in the store (deleted?)' }]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(serviceWorker.received).toEqual(['abort']);
    channel.port1.close();
  });

  it('a cancel fails the streamed export: the service worker is told, the panel gets the error', async () => {
    const sessionId = await seed(30);
    const channel = new MessageChannel();
    const received: string[] = [];
    // A service worker that confirms the offer but never reads: the download waits for the browser.
    channel.port1.onmessage = (event: MessageEvent<ExportProducerMessage>) => {
      received.push(event.data.type);
      channel.port1.postMessage((event.data.type === 'offer' ? { type: 'ready' } : { type: 'failed', message: event.data.message }) satisfies ExportPipeMessage);
    };
    const { posted, handle } = handler();
    const job = handle({ type: 'export-stream', scope: { kind: 'session', sessionId }, format: 'wsi', port: channel.port2 });
    while (!posted.some((m) => m.type === 'stream-ready')) await new Promise((resolve) => setTimeout(resolve, 1));
    await handle({ type: 'cancel' });
    await job;
    expect(received).toEqual(['offer', 'abort']);
    expect(posted.at(-1)).toEqual({ type: 'error', message: 'cancelled' });
    expect(opened.every((c) => c.closed)).toBe(true);
    channel.port1.close();
  });
});

describe('toExportScope (through the handler)', () => {
  it('a decoded-fields query narrows a filtered export further', async () => {
    const sessionId = await seed(30);
    const { posted, handle } = handler();
    await handle({ type: 'export', scope: { kind: 'filtered', sessionId, filter: emptyFilter(), decoded: { query: '   ', decoderIds: {} } }, format: 'wsi' });
    // A blank query is no query: every row.
    expect(posted.at(-1)).toMatchObject({ type: 'exported', rows: 31 });
    await handle({ type: 'export', scope: { kind: 'filtered', sessionId, filter: emptyFilter(), decoded: { query: 'n=12', decoderIds: { a: 'json' } } }, format: 'wsi' });
    expect(posted.at(-1)).toMatchObject({ type: 'exported', rows: 1 });
  });
});

