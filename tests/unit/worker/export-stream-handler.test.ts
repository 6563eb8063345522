// The service worker's export stream handler (lib/worker/export-stream.ts) on a fake host, and the producer
// (lib/io/export-stream-producer.ts) against it, over real MessageChannels: registration, offer, one fetch.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { NAMESPACE } from '@/lib/shared/protocol';
import { exportSession, planExport } from '@/lib/io/session-io';
import { contentDisposition, installExportStreamHandler, type ExportStreamHandlerOptions, type ExportStreamHost } from '@/lib/worker/export-stream';
import { produceExportStream } from '@/lib/io/export-stream-producer';
import { exportStreamUrl, newExportToken, type ExportPipeMessage } from '@/lib/shared/protocol/io';
import { NOW, ORIGIN, db, readAll, seed, sleep, strings, useExportStreamDatabase } from '../io/export-stream-fixtures';

useExportStreamDatabase();

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
