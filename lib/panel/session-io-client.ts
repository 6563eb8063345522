/**
 * The panel's side of lib/io/session-io-worker.ts: one worker per job, terminated when the job ends, with progress
 * callbacks. Request and response types live here so the worker and the panel agree on them.
 *
 * Exports are downloaded streamed where the background is a service worker (Chrome: lib/io/export-stream.ts), so the
 * download starts with the first bytes; elsewhere (Firefox) the worker builds a Blob that is downloaded whole.
 */
import { NAMESPACE } from '../shared/protocol';
import { KEEPALIVE_MS, exportStreamUrl, newExportToken, type ExportPipeMessage, type ExportStreamKeepAlive, type ExportStreamRegister } from '../io/export-stream';
import type { FrameFilter } from '../shared/filters';
import type { ExportFormat, ExportScope, ImportResult } from '../io/session-io';

/** Export scopes that can cross to a worker: a filtered view travels as its filter, not as a function. */
export type WorkerExportScope =
  | Exclude<ExportScope, { predicate: unknown }>
  | {
      kind: 'filtered';
      sessionId: string;
      connectionIds?: string[];
      filter: FrameFilter;
      /** The decoded-fields query, with the decoder the panel used per connection (decodedRowMatcher). */
      decoded?: { query: string; decoderIds: Record<string, string> };
    };

export type IoWorkerRequest =
  | { type: 'import'; file: File; maxBytes?: number }
  | { type: 'export'; scope: WorkerExportScope; format: ExportFormat }
  /** A streamed export: `port` is registered with the service worker (lib/io/export-stream.ts). */
  | { type: 'export-stream'; scope: WorkerExportScope; format: ExportFormat; port: MessagePort }
  /** Cancels a streamed export (its download must fail, so the worker is not simply terminated). */
  | { type: 'cancel' };

export type IoWorkerResponse =
  | { type: 'progress'; done: number; total?: number }
  | { type: 'imported'; result: ImportResult }
  | { type: 'exported'; blob: Blob; fileName: string; rows: number; connections: number }
  | { type: 'stream-ready' }
  | { type: 'stream-started'; fileName: string }
  | { type: 'streamed'; fileName: string; rows: number; connections: number }
  | { type: 'error'; message: string };

export interface IoJobOptions {
  onProgress?: (done: number, total?: number) => void;
  signal?: AbortSignal;
}

interface JobOptions extends IoJobOptions {
  transfer?: Transferable[];
  /** Messages between the start and the answer (other than progress). */
  onMessage?: (message: IoWorkerResponse) => void;
  /** Cancel by asking the worker (it answers 'error' once its download has failed) instead of terminating it. */
  cancelByMessage?: boolean;
}

const INTERMEDIATE = new Set<IoWorkerResponse['type']>(['progress', 'stream-ready', 'stream-started']);
/** How long a cancelled streamed export may take to fail its download before the worker is terminated anyway. */
const CANCEL_GRACE_MS = 3000;

function runJob(request: IoWorkerRequest, options: JobOptions): Promise<IoWorkerResponse> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('../io/session-io-worker.ts', import.meta.url), { type: 'module' });
    const stop = () => worker.terminate();
    options.signal?.addEventListener('abort', () => {
      if (options.cancelByMessage) {
        worker.postMessage({ type: 'cancel' } satisfies IoWorkerRequest);
        setTimeout(() => {
          stop();
          reject(new Error('cancelled'));
        }, CANCEL_GRACE_MS);
        return;
      }
      stop();
      reject(new Error('cancelled'));
    });
    worker.onmessage = (event: MessageEvent<IoWorkerResponse>) => {
      const message = event.data;
      if (INTERMEDIATE.has(message.type)) {
        if (message.type === 'progress') options.onProgress?.(message.done, message.total);
        else options.onMessage?.(message);
        return;
      }
      stop();
      if (message.type === 'error') reject(new Error(message.message));
      else resolve(message);
    };
    worker.onerror = (event) => {
      stop();
      reject(new Error(`the import/export worker failed: ${event.message || 'unknown error'}`));
    };
    worker.postMessage(request, options.transfer ?? []);
  });
}

export async function importInWorker(file: File, options: IoJobOptions = {}): Promise<ImportResult> {
  const response = await runJob({ type: 'import', file }, options);
  if (response.type !== 'imported') throw new Error('unexpected answer from the import worker');
  return response.result;
}

export async function exportInWorker(scope: WorkerExportScope, format: ExportFormat, options: IoJobOptions = {}): Promise<{ blob: Blob; fileName: string; rows: number }> {
  const response = await runJob({ type: 'export', scope, format }, options);
  if (response.type !== 'exported') throw new Error('unexpected answer from the export worker');
  return response;
}

/** Whether this browser can move a ReadableStream to another context (needed to hand it to the service worker). */
function canTransferStreams(): boolean {
  try {
    const stream = new ReadableStream();
    structuredClone(stream, { transfer: [stream as unknown as Transferable] });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reserves a streamed download with the extension's service worker: a fresh token, and the port the export worker
 * will offer its bytes on. Null where there is no such service worker (Firefox's background is an event page) or
 * it does not answer: the caller then exports a Blob.
 */
export async function registerExportStream(timeoutMs = 3000): Promise<{ token: string; port: MessagePort; serviceWorker: ServiceWorker } | null> {
  const container = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker;
  if (!container || !canTransferStreams()) return null;
  const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs));
  let registration: ServiceWorkerRegistration | null | undefined;
  try {
    registration = await Promise.race([container.getRegistration(), timeout]);
  } catch {
    return null; // e.g. SecurityError where extension pages have no service workers
  }
  const target = registration?.active;
  if (!target) return null;
  const token = newExportToken();
  const channel = new MessageChannel();
  const answered = new Promise<boolean>((resolve) => {
    channel.port2.onmessage = (event: MessageEvent<ExportPipeMessage>) => resolve(event.data?.type === 'registered');
  });
  target.postMessage({ ns: NAMESPACE, type: 'export-stream-register', token } satisfies ExportStreamRegister, [channel.port1]);
  const registered = await Promise.race([answered, timeout]);
  channel.port2.onmessage = null;
  if (!registered) {
    channel.port2.close();
    return null;
  }
  return { token, port: channel.port2, serviceWorker: target };
}

/** How long the download's frame stays after a streamed export ended. */
const FRAME_LINGER_MS = 60_000;

/** Navigates a hidden iframe to a streamed export's URL: the service worker answers it with the download. */
function navigateToDownload(token: string): () => void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'Export download';
  frame.src = exportStreamUrl(location.origin, token);
  document.body.append(frame);
  return () => frame.remove();
}

export interface ExportDownload {
  fileName: string;
  rows: number;
  /** True when the download started with the first bytes (a streamed export). */
  streamed: boolean;
}

export interface ExportDownloadOptions extends IoJobOptions {
  /** The browser's download has begun (streamed exports: before the export is done). */
  onStarted?: (fileName: string) => void;
}

/**
 * Exports `scope` and downloads it: streamed where the service worker can serve it (the download starts at once),
 * otherwise built whole in the worker and downloaded as a Blob. Resolves when every byte is in the download;
 * rejects when the export or the download failed (a streamed download is then failed, never left truncated).
 */
export async function exportToDownload(scope: WorkerExportScope, format: ExportFormat, options: ExportDownloadOptions = {}): Promise<ExportDownload> {
  const reserved = await registerExportStream();
  if (!reserved) {
    const file = await exportInWorker(scope, format, options);
    downloadBlob(file.blob, file.fileName);
    options.onStarted?.(file.fileName);
    return { fileName: file.fileName, rows: file.rows, streamed: false };
  }
  let removeFrame: (() => void) | undefined;
  const keepAlive = setInterval(() => {
    try {
      reserved.serviceWorker.postMessage({ ns: NAMESPACE, type: 'export-stream-keepalive' } satisfies ExportStreamKeepAlive);
    } catch {
      // a redundant service worker: the download's own failure is what gets reported
    }
  }, KEEPALIVE_MS);
  try {
    const answer = await runJob(
      { type: 'export-stream', scope, format, port: reserved.port },
      {
        ...options,
        transfer: [reserved.port],
        cancelByMessage: true,
        onMessage: (message) => {
          if (message.type === 'stream-ready') removeFrame = navigateToDownload(reserved.token);
          else if (message.type === 'stream-started') options.onStarted?.(message.fileName);
        },
      },
    );
    if (answer.type !== 'streamed') throw new Error('unexpected answer from the export worker');
    // The frame that started the download stays a while after the last byte was passed on: the browser may still
    // be writing the file. (2 of 15 exports of 1M frames on a loaded machine ended "canceled" by the browser after
    // every byte had been passed on; whether removing the frame at once played a part is not known.)
    const remove = removeFrame;
    removeFrame = undefined;
    if (remove) setTimeout(remove, FRAME_LINGER_MS);
    return { fileName: answer.fileName, rows: answer.rows, streamed: true };
  } finally {
    clearInterval(keepAlive);
    removeFrame?.();
  }
}

/** Starts a download of a Blob under a file name (an object URL on a temporary link). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference once started; free ours a little later.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
