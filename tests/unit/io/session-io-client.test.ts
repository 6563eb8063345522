import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExportPipeMessage, IoWorkerRequest, IoWorkerResponse } from '../../../lib/shared/protocol/io';
import { exportStreamUrl, isExportStreamRegister } from '../../../lib/shared/protocol/io';
import { CANCEL_GRACE_MS, runJob } from '../../../lib/panel/io-worker-job';
import { KEEPALIVE_MS, registerExportStream, streamExportToDownload } from '../../../lib/panel/export-stream-client';
import { exportInWorker, exportToDownload, importInWorker } from '../../../lib/panel/session-io-client';

/** A Worker the test answers for: what the job posted, and whether it was terminated. */
class FakeWorker {
  static instances: FakeWorker[] = [];
  onmessage: ((event: MessageEvent<IoWorkerResponse>) => void) | null = null;
  onerror: ((event: { message: string }) => void) | null = null;
  posted: { message: IoWorkerRequest; transfer: Transferable[] }[] = [];
  terminated = false;
  constructor(
    readonly url: URL,
    readonly options: WorkerOptions,
  ) {
    FakeWorker.instances.push(this);
  }
  postMessage(message: IoWorkerRequest, transfer: Transferable[] = []) {
    this.posted.push({ message, transfer });
  }
  terminate() {
    this.terminated = true;
  }
  /** The worker answers. */
  answer(message: IoWorkerResponse) {
    this.onmessage?.({ data: message } as MessageEvent<IoWorkerResponse>);
  }
}

const lastWorker = () => FakeWorker.instances.at(-1)!;
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  FakeWorker.instances = [];
  vi.stubGlobal('Worker', FakeWorker);
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('runJob: one worker per job', () => {
  it('starts the I/O worker as a module, posts the request, passes progress on, resolves with the answer and terminates', async () => {
    const progress: [number, number | undefined][] = [];
    const job = runJob({ type: 'import', file: new File(['x'], 'x.har') }, { onProgress: (done, total) => progress.push([done, total]) });
    const worker = lastWorker();
    expect(worker.url.pathname).toMatch(/\/lib\/io\/session-io-worker\.ts$/);
    expect(worker.options).toEqual({ type: 'module' });
    expect(worker.posted.map((p) => p.message.type)).toEqual(['import']);
    worker.answer({ type: 'progress', done: 5, total: 10 });
    expect(worker.terminated).toBe(false);
    const result = { sessionId: 's', connectionIds: [], rows: 10, format: 'har' as const, warnings: [] };
    worker.answer({ type: 'imported', result });
    await expect(job).resolves.toEqual({ type: 'imported', result });
    expect(progress).toEqual([[5, 10]]);
    expect(worker.terminated).toBe(true);
  });

  it('hands stream messages to onMessage, not as the answer', async () => {
    const messages: IoWorkerResponse[] = [];
    const job = runJob({ type: 'cancel' }, { onMessage: (m) => messages.push(m) });
    lastWorker().answer({ type: 'stream-ready' });
    lastWorker().answer({ type: 'stream-started', fileName: 'f' });
    expect(lastWorker().terminated).toBe(false);
    lastWorker().answer({ type: 'streamed', fileName: 'f', rows: 1, connections: 1 });
    await job;
    expect(messages).toEqual([{ type: 'stream-ready' }, { type: 'stream-started', fileName: 'f' }]);
  });

  it("rejects with the worker's error, or its crash, and terminates it", async () => {
    const failed = runJob({ type: 'cancel' }, {});
    lastWorker().answer({ type: 'error', message: 'bad.har: not JSON' });
    await expect(failed).rejects.toThrow('bad.har: not JSON');
    expect(lastWorker().terminated).toBe(true);
    const crashed = runJob({ type: 'cancel' }, {});
    lastWorker().onerror!({ message: '' });
    await expect(crashed).rejects.toThrow('the import/export worker failed: unknown error');
    expect(lastWorker().terminated).toBe(true);
  });

  it('a cancel terminates the worker at once', async () => {
    const cancel = new AbortController();
    const job = runJob({ type: 'cancel' }, { signal: cancel.signal });
    cancel.abort();
    await expect(job).rejects.toThrow('cancelled');
    expect(lastWorker().terminated).toBe(true);
    expect(lastWorker().posted).toHaveLength(1);
  });

  it('a cancel by message asks the worker first, and terminates it after the grace period', async () => {
    vi.useFakeTimers();
    const cancel = new AbortController();
    const job = runJob({ type: 'cancel' }, { signal: cancel.signal, cancelByMessage: true });
    job.catch(() => undefined);
    cancel.abort();
    expect(lastWorker().posted.at(-1)!.message).toEqual({ type: 'cancel' });
    vi.advanceTimersByTime(CANCEL_GRACE_MS - 1); // time for the worker to fail its download
    expect(lastWorker().terminated).toBe(false);
    vi.advanceTimersByTime(1);
    expect(lastWorker().terminated).toBe(true);
    await expect(job).rejects.toThrow('cancelled');
  });

  it('transfers what it is given', () => {
    const channel = new MessageChannel();
    void runJob({ type: 'cancel' }, { transfer: [channel.port1] });
    expect(lastWorker().posted[0].transfer).toEqual([channel.port1]);
    channel.port1.close();
  });
});

describe('importInWorker and exportInWorker', () => {
  it('return the answer they asked for, and refuse another', async () => {
    const imported = importInWorker(new File(['x'], 'x.wsi.json'));
    const result = { sessionId: 's', connectionIds: ['c'], rows: 1, format: 'wsi' as const, warnings: [] };
    lastWorker().answer({ type: 'imported', result });
    await expect(imported).resolves.toEqual(result);

    const exported = exportInWorker({ kind: 'session', sessionId: 's' }, 'har');
    expect(lastWorker().posted[0].message).toEqual({ type: 'export', scope: { kind: 'session', sessionId: 's' }, format: 'har' });
    lastWorker().answer({ type: 'imported', result });
    await expect(exported).rejects.toThrow('unexpected answer from the export worker');
  });
});

/** Just enough of a document for the download link and frame. */
function fakeDocument() {
  const elements: { tag: string; src?: string; href?: string; download?: string; hidden?: boolean; removed: boolean; clicked: boolean }[] = [];
  const document = {
    createElement: (tag: string) => {
      const element = { tag, removed: false, clicked: false, style: {}, remove: () => (element.removed = true), click: () => (element.clicked = true) };
      elements.push(element);
      return element;
    },
    body: { append: () => undefined },
  };
  vi.stubGlobal('document', document);
  vi.stubGlobal('location', { origin: 'chrome-extension://abc' });
  return elements;
}

/** A service worker container whose active worker answers a registration on the transferred port. */
function fakeServiceWorkerContainer(answer: ExportPipeMessage | null) {
  const registered: unknown[] = [];
  const keepAlives: unknown[] = [];
  const active = {
    postMessage: (message: unknown, transfer: MessagePort[] = []) => {
      if (isExportStreamRegister(message)) {
        registered.push(message);
        if (answer) transfer[0].postMessage(answer);
      } else keepAlives.push(message);
    },
  };
  vi.stubGlobal('navigator', { serviceWorker: { getRegistration: async () => ({ active }) } });
  return { active, registered, keepAlives };
}

describe('registerExportStream', () => {
  it('reserves a token with the service worker and keeps the port for the export worker', async () => {
    const container = fakeServiceWorkerContainer({ type: 'registered' });
    const reserved = await registerExportStream();
    expect(reserved).not.toBeNull();
    expect(container.registered).toEqual([{ ns: 'websocket-inspector', type: 'export-stream-register', token: reserved!.token }]);
    expect(reserved!.serviceWorker).toBe(container.active);
    reserved!.port.close();
  });

  it('is null where no service worker answers (the caller exports a Blob)', async () => {
    fakeServiceWorkerContainer(null);
    expect(await registerExportStream(20)).toBeNull();
    vi.stubGlobal('navigator', {});
    expect(await registerExportStream(20)).toBeNull();
  });
});

describe('exportToDownload', () => {
  it('without a service worker, downloads the Blob the worker built', async () => {
    const elements = fakeDocument();
    vi.stubGlobal('navigator', {});
    const started: string[] = [];
    const download = exportToDownload({ kind: 'session', sessionId: 's' }, 'wsi', { onStarted: (name) => started.push(name) });
    await vi.waitFor(() => expect(FakeWorker.instances).toHaveLength(1));
    expect(lastWorker().posted[0].message.type).toBe('export');
    lastWorker().answer({ type: 'exported', blob: new Blob(['{}']), fileName: 'f.wsi.json', rows: 3, connections: 1 });
    await expect(download).resolves.toEqual({ fileName: 'f.wsi.json', rows: 3, streamed: false });
    expect(started).toEqual(['f.wsi.json']);
    expect(elements).toMatchObject([{ tag: 'a', download: 'f.wsi.json', clicked: true, removed: true }]);
  });

  it('with a service worker, streams: the frame opens the download when the offer is ready', async () => {
    const elements = fakeDocument();
    fakeServiceWorkerContainer({ type: 'registered' });
    const download = exportToDownload({ kind: 'session', sessionId: 's' }, 'har');
    await vi.waitFor(() => expect(FakeWorker.instances).toHaveLength(1));
    const request = lastWorker().posted[0];
    expect(request.message).toMatchObject({ type: 'export-stream', format: 'har' });
    expect(request.transfer).toEqual([(request.message as { port: MessagePort }).port]);
    lastWorker().answer({ type: 'stream-ready' });
    lastWorker().answer({ type: 'streamed', fileName: 'f.har', rows: 2, connections: 1 });
    await expect(download).resolves.toEqual({ fileName: 'f.har', rows: 2, streamed: true });
    expect(elements).toHaveLength(1);
    expect(elements[0].tag).toBe('iframe');
    expect(elements[0].src).toMatch(/^chrome-extension:\/\/abc\/export-stream\/[0-9a-f-]{36}$/);
    (request.message as { port: MessagePort }).port.close();
  });
});

describe('streamExportToDownload', () => {
  it('keeps the service worker awake while it streams, and leaves the frame a while after the end', async () => {
    vi.useFakeTimers();
    const elements = fakeDocument();
    const keepAlives: unknown[] = [];
    const channel = new MessageChannel();
    const reserved = { token: '00000000-0000-4000-8000-000000000000', port: channel.port1, serviceWorker: { postMessage: (m: unknown) => keepAlives.push(m) } as unknown as ServiceWorker };
    const started: string[] = [];
    const download = streamExportToDownload(reserved, { kind: 'session', sessionId: 's' }, 'wsi', { onStarted: (name) => started.push(name) });
    lastWorker().answer({ type: 'stream-ready' });
    expect(elements[0]).toMatchObject({ tag: 'iframe', hidden: true, src: exportStreamUrl('chrome-extension://abc', reserved.token) });
    lastWorker().answer({ type: 'stream-started', fileName: 'f.wsi.json' });
    expect(started).toEqual(['f.wsi.json']);
    vi.advanceTimersByTime(KEEPALIVE_MS * 2);
    expect(keepAlives).toEqual([
      { ns: 'websocket-inspector', type: 'export-stream-keepalive' },
      { ns: 'websocket-inspector', type: 'export-stream-keepalive' },
    ]);
    lastWorker().answer({ type: 'streamed', fileName: 'f.wsi.json', rows: 9, connections: 1 });
    await expect(download).resolves.toEqual({ fileName: 'f.wsi.json', rows: 9 });
    vi.advanceTimersByTime(KEEPALIVE_MS * 2);
    expect(keepAlives).toHaveLength(2); // stopped with the export
    expect(elements[0].removed).toBe(false); // the browser may still be writing the file
    vi.advanceTimersByTime(60_000);
    expect(elements[0].removed).toBe(true);
    channel.port1.close();
  });

  it('a failed export removes the frame at once and rejects', async () => {
    const elements = fakeDocument();
    const channel = new MessageChannel();
    const reserved = { token: '00000000-0000-4000-8000-000000000000', port: channel.port1, serviceWorker: { postMessage: () => undefined } as unknown as ServiceWorker };
    const download = streamExportToDownload(reserved, { kind: 'session', sessionId: 's' }, 'wsi');
    lastWorker().answer({ type: 'stream-ready' });
    lastWorker().answer({ type: 'error', message: 'the store went away' });
    await expect(download).rejects.toThrow('the store went away');
    expect(elements[0].removed).toBe(true);
    await flush();
    channel.port1.close();
  });
});
