/**
 * The service worker's half of streamed export downloads (Chrome): the browser's download starts as soon as the
 * first bytes exist, while the rest is still being read from IndexedDB and encoded.
 *
 * Who does what:
 *   panel          makes a one-time token and a MessageChannel, registers the token with the service worker
 *                  (navigator.serviceWorker, port1 transferred), waits for `registered`, hands port2 to its export
 *                  worker, and once that says `ready` navigates a hidden iframe to /export-stream/<token>
 *                  (lib/panel/export-stream-client.ts).
 *   export worker  (lib/io/session-io-worker.ts) plans the export (lib/io/export-plan.ts planExport, the same chunks
 *                  as the Blob export) and offers a ReadableStream of its bytes on port2 (the stream is transferred:
 *                  bytes go from the worker to the service worker directly, with backpressure;
 *                  lib/io/export-stream-producer.ts).
 *   service worker (this module) answers the iframe's navigation with `new Response(stream, Content-Disposition:
 *                  attachment)` — that is the download — and reports `started`, `finished` or `failed` back on the
 *                  port.
 * The messages, the token and the URL are in lib/shared/protocol/io.ts.
 *
 * Why an iframe: an `<a download>` click is not routed to the service worker (tried in Chromium 156: the
 * download fails with "file not found"), a navigation is. A `<a download>` of a Blob, the fallback, needs the
 * whole file first.
 * Why this is safe: only the extension's own pages can post to its service worker, and chrome-extension:// URLs
 * that are not web-accessible cannot be requested by pages or content scripts; on top of that a token is random
 * (122 bits), answered once, and forgotten after TOKEN_TTL_MS if nobody fetched it. The service worker never
 * reads the store for an export: it only passes on bytes the panel's worker produced.
 * A failure after the download started (store closed, panel closed, cancel) errors the response body, so the
 * browser marks the download failed instead of keeping a truncated file that looks complete.
 *
 * Firefox has no background service worker (MV3 there is an event page), so registration finds no service worker
 * and the panel falls back to the Blob export (lib/panel/session-io-client.ts).
 */
import { EXPORT_STREAM_PATH, exportTokenOf, isExportStreamRegister, type ExportPipeMessage, type ExportProducerMessage } from '../shared/protocol/io';

/**
 * How long a registered token waits for its offer, and then the offer for its fetch (the panel fetches at once;
 * this only bounds leftovers). Counted anew at the offer: planning a big export on a busy machine is not a leftover.
 */
export const TOKEN_TTL_MS = 15_000;
/** A download waiting this long for the next bytes fails: the producer is gone or stuck. */
export const STALL_MS = 60_000;
/** How often a running download checks that the panel that started it is still open. */
export const CLIENT_CHECK_MS = 1_000;
/**
 * How many checks in a row must find no panel before the download fails: one miss is not proof that the panel
 * closed (a check can come while the browser is busy or the client is being looked up anew).
 */
export const CLIENT_MISSES = 3;

/**
 * A Content-Disposition that makes the response a download named `fileName` (RFC 6266): an ASCII `filename`
 * for old readers, and `filename*` with the exact UTF-8 name.
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

// ---------------------------------------------------------------------------------------------------------------
// The response body of one download.

export interface DownloadBodyOptions {
  stallMs?: number;
  clientCheckMs?: number;
  clientMisses?: number;
  /** False once the panel that started the export is gone (its worker, the producer, went with it). */
  isClientAlive?: () => Promise<boolean>;
  onFinished?: () => void;
  onFailed?: (message: string, progress: DownloadProgress) => void;
}

/** How far a download got: for the log line that says why one failed. */
export interface DownloadProgress {
  bytes: number;
  elapsedMs: number;
  /** Since the last chunk arrived (or since the start). */
  idleMs: number;
}

export interface DownloadBody {
  body: ReadableStream<Uint8Array>;
  /** Fails the download with `message` (the producer said it failed). */
  fail(message: string): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
}

/**
 * The response body for a download: passes the producer's chunks on, and fails (never ends) when the producer
 * errors, stops sending for `stallMs`, or its panel closes — a producer that dies silently would otherwise leave
 * the download hanging forever (seen in Chromium 156 when the panel closes mid-stream).
 */
export function downloadBody(upstream: ReadableStream<Uint8Array>, options: DownloadBodyOptions = {}): DownloadBody {
  const stallMs = options.stallMs ?? STALL_MS;
  const clientCheckMs = options.clientCheckMs ?? CLIENT_CHECK_MS;
  const clientMisses = options.clientMisses ?? CLIENT_MISSES;
  const reader = upstream.getReader();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let done = false;
  let clientTimer: ReturnType<typeof setTimeout> | undefined;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  let rejectPending: ((error: Error) => void) | undefined;
  const startedAt = Date.now();
  let lastChunkAt = startedAt;
  let bytes = 0;
  const progress = (): DownloadProgress => ({ bytes, elapsedMs: Date.now() - startedAt, idleMs: Date.now() - lastChunkAt });

  const stopTimers = () => {
    if (clientTimer !== undefined) clearTimeout(clientTimer);
    if (stallTimer !== undefined) clearTimeout(stallTimer);
    clientTimer = stallTimer = undefined;
  };
  const fail = (message: string) => {
    if (done) return;
    done = true;
    stopTimers();
    const error = new Error(message);
    rejectPending?.(error);
    try {
      controller.error(error);
    } catch {
      // already errored
    }
    void reader.cancel(error).catch(() => undefined);
    options.onFailed?.(message, progress());
  };
  // One check at a time, the next one a period after the last answered (a slow answer never piles up checks);
  // only `clientMisses` misses in a row fail the download, and a check that throws proves nothing either way.
  const watchClient = (isClientAlive: () => Promise<boolean>) => {
    let misses = 0;
    const check = async () => {
      try {
        misses = (await isClientAlive()) ? 0 : misses + 1;
      } catch {
        // unknown: neither a miss nor a sighting
      }
      if (done) return;
      if (misses >= clientMisses) fail('the panel that started the export was closed');
      else clientTimer = setTimeout(() => void check(), clientCheckMs);
    };
    clientTimer = setTimeout(() => void check(), clientCheckMs);
  };

  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        if (options.isClientAlive) watchClient(options.isClientAlive);
      },
      async pull(c) {
        if (done) return;
        const stalled = new Promise<never>((_, reject) => {
          rejectPending = reject;
          stallTimer = setTimeout(() => reject(new Error(`the export sent nothing for ${Math.round(stallMs / 1000)} s`)), stallMs);
        });
        try {
          const next = await Promise.race([reader.read(), stalled]);
          if (done) return;
          if (next.done) {
            done = true;
            stopTimers();
            c.close();
            options.onFinished?.();
          } else {
            bytes += next.value.byteLength;
            lastChunkAt = Date.now();
            c.enqueue(next.value);
          }
        } catch (error) {
          fail(messageOf(error));
        } finally {
          if (stallTimer !== undefined) clearTimeout(stallTimer);
          stallTimer = undefined;
          rejectPending = undefined;
        }
      },
      cancel(reason) {
        // The user cancelled the download in the browser: tell the producer.
        if (done) return;
        done = true;
        stopTimers();
        void reader.cancel(reason).catch(() => undefined);
        options.onFailed?.('the download was cancelled', progress());
      },
    },
    { highWaterMark: 0 },
  );
  return { body, fail };
}

// ---------------------------------------------------------------------------------------------------------------
// The handler the background installs.

interface PendingExport {
  port: MessagePort;
  clientId: string;
  offer?: { fileName: string; mimeType: string; stream: ReadableStream<Uint8Array> };
  expiry: ReturnType<typeof setTimeout>;
}

/** What the handler needs from a ServiceWorkerGlobalScope (a fake in unit tests). */
export interface ExportStreamHost {
  origin: string;
  addEventListener(type: 'message', listener: (event: { data: unknown; ports: readonly MessagePort[]; source: { id?: string } | null }) => void): void;
  addEventListener(
    type: 'fetch',
    listener: (event: { request: { url: string; method: string }; respondWith(response: Response | Promise<Response>): void }) => void,
  ): void;
  addEventListener(type: 'install', listener: (event: { addRoutes?: (rules: unknown) => Promise<void>; waitUntil(p: Promise<unknown>): void }) => void): void;
  /** Whether a client (the registering panel) still exists. */
  clientExists(id: string): Promise<boolean>;
}

export interface ExportStreamHandlerOptions {
  tokenTtlMs?: number;
  stallMs?: number;
  clientCheckMs?: number;
  clientMisses?: number;
  log?: (error: unknown) => void;
}

/**
 * Installs the service worker's side: registrations from the panel, offers from its export worker, and the fetch
 * that turns an offer into a download. Call synchronously while the worker script is first evaluated.
 */
export function installExportStreamHandler(host: ExportStreamHost, options: ExportStreamHandlerOptions = {}): void {
  const ttlMs = options.tokenTtlMs ?? TOKEN_TTL_MS;
  const pending = new Map<string, PendingExport>();

  const forget = (token: string): PendingExport | undefined => {
    const entry = pending.get(token);
    if (!entry) return undefined;
    pending.delete(token);
    clearTimeout(entry.expiry);
    return entry;
  };
  const post = (port: MessagePort, message: ExportPipeMessage) => {
    try {
      port.postMessage(message);
    } catch (error) {
      options.log?.(error);
    }
  };

  host.addEventListener('install', (event) => {
    // Only export URLs go through the fetch handler; every other extension resource is loaded as if there were
    // none (ServiceWorker static routing, Chrome 123+), so the panel's own files never wait for this worker.
    // URLPattern is not in TypeScript's DOM library yet.
    const Pattern = (globalThis as { URLPattern?: new (init: { pathname: string }) => unknown }).URLPattern;
    if (typeof event.addRoutes !== 'function' || !Pattern) return;
    event.waitUntil(
      event
        .addRoutes([
          { condition: { urlPattern: new Pattern({ pathname: `${EXPORT_STREAM_PATH}*` }) }, source: 'fetch-event' },
          { condition: { urlPattern: new Pattern({ pathname: '/*' }) }, source: 'network' },
        ])
        .catch((error: unknown) => options.log?.(error)),
    );
  });

  host.addEventListener('message', (event) => {
    if (!isExportStreamRegister(event.data)) return;
    const port = event.ports[0];
    const clientId = event.source?.id;
    if (!port || !clientId || pending.has(event.data.token)) return;
    const token = event.data.token;
    const expire = () => {
      const expired = forget(token);
      if (!expired) return;
      void expired.offer?.stream.cancel('the download did not start').catch(() => undefined);
      post(expired.port, { type: 'failed', message: `the download did not start within ${Math.round(ttlMs / 1000)} s` });
    };
    const entry: PendingExport = { port, clientId, expiry: setTimeout(expire, ttlMs) };
    pending.set(token, entry);
    port.onmessage = (message: MessageEvent<ExportProducerMessage>) => {
      const data = message.data;
      if (data?.type === 'offer' && pending.get(token) === entry && !entry.offer && data.stream instanceof ReadableStream) {
        entry.offer = { fileName: String(data.fileName), mimeType: String(data.mimeType), stream: data.stream };
        clearTimeout(entry.expiry);
        entry.expiry = setTimeout(expire, ttlMs);
        post(port, { type: 'ready' });
      } else if (data?.type === 'abort' && forget(token) === entry) {
        void entry.offer?.stream.cancel(data.message).catch(() => undefined);
        post(port, { type: 'failed', message: String(data.message) });
      }
    };
    post(port, { type: 'registered' });
  });

  host.addEventListener('fetch', (event) => {
    const token = exportTokenOf(event.request.url, host.origin);
    if (token === null) return; // not ours: the browser loads it as usual
    const entry = pending.get(token);
    if (event.request.method !== 'GET' || !entry?.offer) {
      event.respondWith(new Response('This export link was used or has expired.', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } }));
      return;
    }
    forget(token); // one time only
    const { port, offer, clientId } = entry;
    const download = downloadBody(offer.stream, {
      stallMs: options.stallMs,
      clientCheckMs: options.clientCheckMs,
      clientMisses: options.clientMisses,
      isClientAlive: () => host.clientExists(clientId),
      onFinished: () => post(port, { type: 'finished' }),
      onFailed: (message, { bytes, elapsedMs, idleMs }) => {
        const where = `after ${bytes} bytes in ${(elapsedMs / 1000).toFixed(1)} s, the last ${(idleMs / 1000).toFixed(1)} s ago`;
        options.log?.(new Error(`export download ${offer.fileName} failed ${where}: ${message}`));
        post(port, { type: 'failed', message });
      },
    });
    // After the fetch, an abort from the producer (cancel, store failure) fails the download it feeds.
    port.onmessage = (message: MessageEvent<ExportProducerMessage>) => {
      if (message.data?.type === 'abort') download.fail(String(message.data.message));
    };
    event.respondWith(
      new Response(download.body, {
        headers: {
          'Content-Type': offer.mimeType,
          'Content-Disposition': contentDisposition(offer.fileName),
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        },
      }),
    );
    post(port, { type: 'started' });
  });
}

/** The real service worker as an ExportStreamHost, or null where the background is not one (Firefox). */
export function serviceWorkerHost(scope: typeof globalThis): ExportStreamHost | null {
  const global = scope as unknown as {
    ServiceWorkerGlobalScope?: new () => unknown;
    location: Location;
    clients: { get(id: string): Promise<unknown> };
    addEventListener(type: string, listener: (event: never) => void): void;
  };
  if (typeof global.ServiceWorkerGlobalScope !== 'function' || !(scope instanceof global.ServiceWorkerGlobalScope)) return null;
  return {
    origin: global.location.origin,
    addEventListener: (type: string, listener: (event: never) => void) => global.addEventListener(type, listener),
    clientExists: async (id) => (await global.clients.get(id)) !== undefined,
  } as ExportStreamHost;
}
