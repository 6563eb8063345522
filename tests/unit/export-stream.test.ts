import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newSession, openFrameStore, writeEvents, type InspectorDatabase } from '../../lib/store/frame-store';
import type { WireEvent } from '../../lib/shared/protocol';
import { NAMESPACE } from '../../lib/shared/protocol';
import { exportSession, planExport, type ExportScope } from '../../lib/io/session-io';
import { contentDisposition, CLIENT_MISSES, downloadBody, installExportStreamHandler, type ExportStreamHandlerOptions, type ExportStreamHost } from '../../lib/worker/export-stream';
import { exportByteStream, produceExportStream } from '../../lib/io/export-stream-producer';
import { exportStreamUrl, exportTokenOf, isExportStreamRegister, isExportToken, newExportToken, type ExportPipeMessage } from '../../lib/shared/protocol/io';
import { bytesToBase64 } from '../../lib/shared/wire';

const ORIGIN = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
const NOW = new Date('2026-11-25T12:00:00.000Z');
const T0 = 1795629600123.4567;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(Buffer.from(value));
  }
  return new Uint8Array(Buffer.concat(parts));
}

async function* strings(values: string[], failAfter?: number): AsyncGenerator<string, { rows: number }, undefined> {
  let i = 0;
  for (const value of values) {
    if (failAfter !== undefined && i === failAfter) throw new Error('the store went away');
    i++;
    yield value;
  }
  return { rows: values.length };
}

// ---------------------------------------------------------------------------------------------------------------

let db: InspectorDatabase;
let dbCount = 0;
beforeEach(async () => {
  db = await openFrameStore(`export-stream-test-${++dbCount}`);
});
afterEach(() => db.close());

async function seed(rows: number): Promise<string> {
  const sessionId = 's1';
  await db.put('sessions', newSession({ id: sessionId, tabId: 3, pageUrl: 'https://app.test/ü', title: 'App', startedAt: T0 }));
  const events: WireEvent[] = [
    { k: 'connect', connectionId: 'a', url: 'wss://app.test/live', protocols: ['v1'], frameUrl: 'https://app.test/', time: T0 },
    { k: 'open', connectionId: 'a', seq: 1, time: T0 + 1, protocol: 'v1', extensions: '' },
  ];
  for (let seq = 2; seq < rows + 2; seq++) {
    const text = seq % 3 !== 0;
    const data = text ? (seq % 5 ? `{"n":${seq},"s":"wörld ✓ 😀"}` : 'a\ud800b') : bytesToBase64(Uint8Array.from([seq & 255, 0, 255]));
    events.push({ k: 'frame', connectionId: 'a', seq, time: T0 + seq + 0.001, dir: seq % 2 ? 'send' : 'receive', opcode: text ? 1 : 2, encoding: text ? 'text' : 'base64', payload: data, size: 3, origin: 'page', status: 'sent' } as WireEvent);
  }
  events.push({ k: 'close', connectionId: 'a', seq: rows + 2, time: T0 + rows + 3, code: 4001, reason: 'bye ✓', wasClean: true });
  await writeEvents(db, sessionId, 'https://app.test/', events);
  return sessionId;
}

describe('the streamed bytes are the Blob export', () => {
  const scopes = (sessionId: string): Array<[string, ExportScope]> => [
    ['session', { kind: 'session', sessionId }],
    ['connection', { kind: 'connection', sessionId, connectionId: 'a' }],
    ['filtered', { kind: 'filtered', sessionId, predicate: (row) => typeof row.data === 'string' && row.data.includes('7') }],
    ['selection', { kind: 'selection', sessionId, keys: [{ connectionId: 'a', seq: 5 }, { connectionId: 'a', seq: 9 }] }],
  ];
  for (const format of ['wsi', 'har'] as const) {
    it(`${format}: every scope, several chunks, byte for byte`, async () => {
      const sessionId = await seed(57);
      for (const [name, scope] of scopes(sessionId)) {
        const blob = await exportSession(db, scope, format, { chunkRows: 10, now: NOW });
        const plan = await planExport(db, scope, format, { chunkRows: 10, now: NOW });
        expect(plan.fileName, name).toBe(blob.fileName);
        const bytes = exportByteStream(plan.chunks);
        const streamed = await readAll(bytes.stream);
        expect(Buffer.from(streamed).equals(Buffer.from(await blob.blob.arrayBuffer())), name).toBe(true);
        expect(await bytes.ended, name).toEqual({ rows: blob.rows, connections: blob.connections });
      }
    });
  }

  it('reports progress per chunk while the stream is read', async () => {
    const sessionId = await seed(25);
    const progress: number[] = [];
    const plan = await planExport(db, { kind: 'session', sessionId }, 'wsi', { chunkRows: 10, onProgress: (n) => progress.push(n) });
    await readAll(exportByteStream(plan.chunks).stream);
    expect(progress).toEqual([10, 20, 27]);
  });

  it('a missing session fails before anything is produced', async () => {
    await expect(planExport(db, { kind: 'session', sessionId: 'gone' }, 'wsi')).rejects.toThrow('session gone is not in the store (deleted?)');
  });
});

describe('exportByteStream', () => {
  it('skips empty chunks and encodes UTF-8 like a Blob', async () => {
    const bytes = exportByteStream(strings(['a', '', 'ü😀', '']));
    const reader = bytes.stream.getReader();
    expect((await reader.read()).value).toEqual(new TextEncoder().encode('a'));
    expect((await reader.read()).value).toEqual(new TextEncoder().encode('ü😀'));
    expect((await reader.read()).done).toBe(true);
    expect(await bytes.ended).toEqual({ rows: 4 });
  });

  it('a failing generator errors the stream: it never just ends', async () => {
    const bytes = exportByteStream(strings(['head', 'rows', 'tail'], 2));
    await expect(readAll(bytes.stream)).rejects.toThrow('the store went away');
    await expect(bytes.ended).rejects.toThrow('the store went away');
  });

  it('abort errors the stream and stops the generator', async () => {
    let finished = false;
    async function* endless(): AsyncGenerator<string, void, undefined> {
      try {
        for (;;) {
          yield 'x';
          await sleep(1);
        }
      } finally {
        finished = true;
      }
    }
    const bytes = exportByteStream(endless());
    const reader = bytes.stream.getReader();
    await reader.read();
    bytes.abort(new Error('cancelled'));
    await expect(reader.read()).rejects.toThrow('cancelled');
    await expect(bytes.ended).rejects.toThrow('cancelled');
    await sleep(10);
    expect(finished).toBe(true);
  });

  it('a cancelled reader (the download went away) stops the generator', async () => {
    let finished = false;
    async function* rows(): AsyncGenerator<string, void, undefined> {
      try {
        for (let i = 0; i < 1000; i++) yield `row ${i}`;
      } finally {
        finished = true;
      }
    }
    const bytes = exportByteStream(rows());
    const reader = bytes.stream.getReader();
    await reader.read();
    await reader.cancel('gone');
    await expect(bytes.ended).rejects.toThrow('gone');
    await sleep(5);
    expect(finished).toBe(true);
  });
});

describe('tokens, URLs and headers', () => {
  it('tokens are random v4 UUIDs and nothing else passes', () => {
    const token = newExportToken();
    expect(isExportToken(token)).toBe(true);
    expect(newExportToken()).not.toBe(token);
    for (const bad of ['', '1', token.toUpperCase(), `${token}x`, `../${token}`, 42, null]) expect(isExportToken(bad)).toBe(false);
  });

  it('the token is read only from our origin and path', () => {
    const token = newExportToken();
    expect(exportTokenOf(exportStreamUrl(ORIGIN, token), ORIGIN)).toBe(token);
    expect(exportTokenOf(`${exportStreamUrl(ORIGIN, token)}?x=1`, ORIGIN)).toBe(token);
    expect(exportTokenOf(exportStreamUrl('chrome-extension://other', token), ORIGIN)).toBeNull();
    expect(exportTokenOf(`${ORIGIN}/panel.html`, ORIGIN)).toBeNull();
    expect(exportTokenOf(`${ORIGIN}/export-stream/not-a-token`, ORIGIN)).toBeNull();
    expect(exportTokenOf('not a url', ORIGIN)).toBeNull();
  });

  it('Content-Disposition names the file for old and new readers', () => {
    expect(contentDisposition('app.test-2026.wsi.json')).toBe(`attachment; filename="app.test-2026.wsi.json"; filename*=UTF-8''app.test-2026.wsi.json`);
    expect(contentDisposition('a"b\\ü (1).har')).toBe(`attachment; filename="a_b__ (1).har"; filename*=UTF-8''a%22b%5C%C3%BC%20%281%29.har`);
  });

  it('only a well-formed registration is one', () => {
    const token = newExportToken();
    expect(isExportStreamRegister({ ns: NAMESPACE, type: 'export-stream-register', token })).toBe(true);
    expect(isExportStreamRegister({ ns: 'other', type: 'export-stream-register', token })).toBe(false);
    expect(isExportStreamRegister({ ns: NAMESPACE, type: 'export-stream-register', token: 'guessable' })).toBe(false);
    expect(isExportStreamRegister(null)).toBe(false);
  });
});

describe('downloadBody (the response body)', () => {
  const source = (chunks: string[], end: 'close' | 'error' | 'hang') =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        if (end === 'close') c.close();
        if (end === 'error') c.error(new Error('The transaction was aborted'));
      },
    });

  it('passes every chunk on and reports the end', async () => {
    let finished = 0;
    const download = downloadBody(source(['a', 'b'], 'close'), { onFinished: () => finished++ });
    expect(new TextDecoder().decode(await readAll(download.body))).toBe('ab');
    expect(finished).toBe(1);
  });

  it('errors, never ends, when the producer errors', async () => {
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'error'), { onFailed: (m) => failures.push(m) });
    await expect(readAll(download.body)).rejects.toThrow('The transaction was aborted');
    expect(failures).toEqual(['The transaction was aborted']);
  });

  it('errors when the producer stops sending', async () => {
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), { stallMs: 30, onFailed: (m) => failures.push(m) });
    await expect(readAll(download.body)).rejects.toThrow('the export sent nothing for 0 s');
    expect(failures).toHaveLength(1);
  });

  it('errors when the panel that started it is gone', async () => {
    let alive = true;
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), { clientCheckMs: 5, isClientAlive: async () => alive, onFailed: (m) => failures.push(m) });
    const read = readAll(download.body);
    await sleep(20);
    alive = false;
    await expect(read).rejects.toThrow('the panel that started the export was closed');
    expect(failures).toEqual(['the panel that started the export was closed']);
  });

  it('one check that finds no panel is not a closed panel: only CLIENT_MISSES misses in a row fail the download', async () => {
    // The panel "vanishes" for one check in three (a busy browser, a client looked up anew), then for good.
    const answers = [true, false, true, false, false, true, false, true, true];
    let checks = 0;
    let gone = false;
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), {
      clientCheckMs: 2,
      isClientAlive: async () => (gone ? false : (answers[checks++ % answers.length] ?? true)),
      onFailed: (m) => failures.push(m),
    });
    const read = readAll(download.body).catch((error: Error) => error.message);
    while (checks < 3 * answers.length && failures.length === 0) await sleep(5); // the transient misses happen, many times over
    expect(failures).toEqual([]);
    gone = true;
    expect(await read).toBe('the panel that started the export was closed');
    expect(failures).toEqual(['the panel that started the export was closed']);
    expect(CLIENT_MISSES).toBeGreaterThan(1);
  });

  it('a check that throws proves nothing, and a slow check is never overlapped by the next', async () => {
    let running = 0;
    let mostAtOnce = 0;
    let checks = 0;
    const failures: string[] = [];
    const download = downloadBody(source(['a'], 'hang'), {
      clientCheckMs: 1,
      clientMisses: 2,
      isClientAlive: async () => {
        running++;
        mostAtOnce = Math.max(mostAtOnce, running);
        await sleep(10);
        running--;
        // Throws, misses, throws, misses... never two misses in a row without a throw between.
        if (++checks % 2) throw new Error('clients.get failed');
        return false;
      },
      onFailed: (m) => failures.push(m),
    });
    // A throw is not a sighting: the two misses count as two in a row.
    expect(await readAll(download.body).catch((error: Error) => error.message)).toBe('the panel that started the export was closed');
    expect(checks).toBe(4);
    expect(mostAtOnce).toBe(1);
    expect(failures).toHaveLength(1);
  });

  it('a failure reports how far the download got', async () => {
    const reports: Array<{ message: string; bytes: number }> = [];
    const download = downloadBody(source(['abc', 'de'], 'hang'), { stallMs: 30, onFailed: (message, progress) => reports.push({ message, bytes: progress.bytes }) });
    await expect(readAll(download.body)).rejects.toThrow('the export sent nothing');
    expect(reports).toEqual([{ message: 'the export sent nothing for 0 s', bytes: 5 }]);
  });

  it('fail() from the producer errors the body; a cancelled download cancels the producer', async () => {
    const failed = downloadBody(source([], 'hang'));
    const read = readAll(failed.body);
    failed.fail('cancelled');
    await expect(read).rejects.toThrow('cancelled');

    let cancelledWith: unknown;
    const upstream = new ReadableStream<Uint8Array>({ cancel: (reason) => void (cancelledWith = reason) });
    const failures: string[] = [];
    const download = downloadBody(upstream, { onFailed: (m) => failures.push(m) });
    await download.body.cancel('user cancelled');
    expect(cancelledWith).toBe('user cancelled');
    expect(failures).toEqual(['the download was cancelled']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The service worker's handler with a fake host, and the producer against it, over real MessageChannels.

interface FakeFetch {
  url: string;
  method?: string;
}

function fakeHost(clients = new Set(['panel-1'])) {
  const listeners = new Map<string, (event: never) => void>();
  const host: ExportStreamHost = {
    origin: ORIGIN,
    addEventListener: ((type: string, listener: (event: never) => void) => listeners.set(type, listener)) as ExportStreamHost['addEventListener'],
    clientExists: async (id) => clients.has(id),
  };
  return {
    host,
    clients,
    register(token: string, port: MessagePort, source: { id?: string } | null = { id: 'panel-1' }) {
      listeners.get('message')!({ data: { ns: NAMESPACE, type: 'export-stream-register', token }, ports: [port], source } as never);
    },
    fetch({ url, method = 'GET' }: FakeFetch): Promise<Response> | undefined {
      let answer: Promise<Response> | undefined;
      listeners.get('fetch')!({ request: { url, method }, respondWith: (r: Response | Promise<Response>) => (answer = Promise.resolve(r)) } as never);
      return answer;
    },
  };
}

/** The next message on a port. */
const nextMessage = (port: MessagePort) =>
  new Promise<ExportPipeMessage>((resolve) => {
    port.onmessage = (event: MessageEvent<ExportPipeMessage>) => resolve(event.data);
  });

/** The service worker's handler on a fake host, with one token registered from a panel's port. */
async function registeredExport(options?: ExportStreamHandlerOptions) {
  const fake = fakeHost();
  installExportStreamHandler(fake.host, options);
  const token = newExportToken();
  const channel = new MessageChannel();
  const registered = nextMessage(channel.port2);
  fake.register(token, channel.port1);
  return { fake, token, channel, registered: await registered };
}

describe('installExportStreamHandler', () => {
  it('registration, offer, one fetch: the download carries the bytes; then the token is gone', async () => {
    const { fake, token, channel, registered } = await registeredExport();
    expect(registered).toEqual({ type: 'registered' });
    // Before the offer there is nothing to download.
    expect((await fake.fetch({ url: exportStreamUrl(ORIGIN, token) }))!.status).toBe(404);

    const messages: ExportPipeMessage[] = [];
    const sessionId = await seed(40);
    const plan = await planExport(db, { kind: 'session', sessionId }, 'har', { chunkRows: 7, now: NOW });
    const produced = produceExportStream(plan, channel.port2, { onReady: () => messages.push({ type: 'ready' }), onStarted: () => messages.push({ type: 'started' }) });
    while (!messages.length) await sleep(1);
    expect(messages).toEqual([{ type: 'ready' }]);

    expect(fake.fetch({ url: `${ORIGIN}/panel.html` })).toBeUndefined(); // not ours: untouched
    const response = (await fake.fetch({ url: exportStreamUrl(ORIGIN, token) }))!;
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Disposition')).toBe(contentDisposition(plan.fileName));
    expect(response.headers.get('Content-Type')).toBe('application/json');
    const body = Buffer.from(await response.arrayBuffer());
    const blob = await exportSession(db, { kind: 'session', sessionId }, 'har', { now: NOW });
    expect(body.equals(Buffer.from(await blob.blob.arrayBuffer()))).toBe(true);
    expect(await produced).toEqual({ rows: 42, connections: 1 }); // open, 40 frames, close
    expect(messages).toEqual([{ type: 'ready' }, { type: 'started' }]);

    // One time only.
    expect((await fake.fetch({ url: exportStreamUrl(ORIGIN, token) }))!.status).toBe(404);
  });

  it('a store failure mid-stream fails the download and the export with the store error', async () => {
    const { fake, token, channel } = await registeredExport();
    let ready = false;
    const produced = produceExportStream({ fileName: 'x.har', mimeType: 'application/json', chunks: strings(['head', 'row', 'row', 'tail'], 3) }, channel.port2, {
      onReady: () => (ready = true),
    });
    produced.catch(() => undefined);
    while (!ready) await sleep(1);
    const response = (await fake.fetch({ url: exportStreamUrl(ORIGIN, token) }))!;
    await expect(response.text()).rejects.toThrow();
    await expect(produced).rejects.toThrow('the store went away');
  });

  it('a token nobody fetches expires: its stream is cancelled and the producer told', async () => {
    const { fake, token, channel } = await registeredExport({ tokenTtlMs: 20 });
    let stopped = false;
    async function* rows(): AsyncGenerator<string, { rows: number }, undefined> {
      try {
        for (;;) {
          yield 'row';
          await sleep(2);
        }
      } finally {
        stopped = true;
      }
    }
    const produced = produceExportStream({ fileName: 'x.wsi.json', mimeType: 'application/json', chunks: rows() }, channel.port2);
    await expect(produced).rejects.toThrow(/did not start/);
    expect((await fake.fetch({ url: exportStreamUrl(ORIGIN, token) }))!.status).toBe(404);
    await sleep(5);
    expect(stopped).toBe(true);
  });

  it('the wait for the fetch starts at the offer: a slow plan does not use up the token', async () => {
    const { fake, token, channel } = await registeredExport({ tokenTtlMs: 200 });
    await sleep(140); // the export worker plans (opens the store, reads the session) on a busy machine
    const produced = produceExportStream({ fileName: 'x.wsi.json', mimeType: 'application/json', chunks: strings(['a', 'b']) }, channel.port2, {
      onReady: () => void sleep(140).then(async () => readAll((await fake.fetch({ url: exportStreamUrl(ORIGIN, token) })!).body!)),
    });
    expect(await produced).toEqual({ rows: 2 });
  });

  it('a cancel before or during the download fails it', async () => {
    const { fake, token, channel } = await registeredExport();
    const cancel = new AbortController();
    let started = false;
    async function* slow(): AsyncGenerator<string, { rows: number }, undefined> {
      for (let i = 0; ; i++) {
        yield `row ${i}\n`;
        await sleep(2);
      }
    }
    const produced = produceExportStream({ fileName: 'x.har', mimeType: 'application/json', chunks: slow() }, channel.port2, {
      signal: cancel.signal,
      onReady: () => void fake.fetch({ url: exportStreamUrl(ORIGIN, token) })!.then((r) => r.text()).catch((e: Error) => (downloadError = e)),
      onStarted: () => (started = true),
    });
    let downloadError: Error | undefined;
    while (!started) await sleep(1);
    await sleep(20);
    cancel.abort();
    await expect(produced).rejects.toThrow('cancelled');
    await sleep(5);
    expect(downloadError).toBeInstanceOf(Error);
  });

  it('a cancel while the export was still being planned fails it and frees the token', async () => {
    const { fake, token, channel } = await registeredExport();
    const cancel = new AbortController();
    cancel.abort();
    const produced = produceExportStream({ fileName: 'x.har', mimeType: 'application/json', chunks: strings(['a', 'b']) }, channel.port2, { signal: cancel.signal });
    await expect(produced).rejects.toThrow('cancelled');
    expect((await fake.fetch({ url: exportStreamUrl(ORIGIN, token) }))!.status).toBe(404);
  });

  it('ignores registrations that are not ours, reused tokens, and non-GET fetches', async () => {
    const fake = fakeHost();
    installExportStreamHandler(fake.host);
    const token = newExportToken();
    const a = new MessageChannel();
    const b = new MessageChannel();
    let answeredB = false;
    b.port2.onmessage = () => (answeredB = true);
    const registered = nextMessage(a.port2);
    fake.register(token, a.port1, null); // no client: not from a page of ours
    fake.register(token, a.port1);
    await registered;
    fake.register(token, b.port1); // the same token again
    await sleep(10);
    expect(answeredB).toBe(false);
    expect((await fake.fetch({ url: exportStreamUrl(ORIGIN, token), method: 'POST' }))!.status).toBe(404);
    a.port2.close();
    b.port2.close();
  });
});
