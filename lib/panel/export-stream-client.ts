/**
 * The panel's half of a streamed export download (Chrome; the whole exchange is described in
 * lib/worker/export-stream.ts): reserve a token with the extension's service worker, hand the port to the export
 * job, navigate a hidden iframe to the token's URL once the offer is ready, and keep the service worker awake
 * while the download streams.
 */
import { NAMESPACE } from '../shared/protocol';
import {
  exportStreamUrl,
  newExportToken,
  type ExportFormat,
  type ExportPipeMessage,
  type ExportStreamKeepAlive,
  type ExportStreamRegister,
  type WorkerExportScope,
} from '../shared/protocol/io';
import { runJob, type IoJobOptions } from './io-worker-job';

/**
 * How often the panel pokes the service worker while a download streams: Chrome stops an extension service worker
 * that received no event for 30 s, and an open response body is not documented to count as one.
 */
export const KEEPALIVE_MS = 20_000;
/** How long the download's frame stays after a streamed export ended. */
const FRAME_LINGER_MS = 60_000;

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

/** A streamed download reserved with the service worker. */
export interface ReservedExportStream {
  token: string;
  /** Where the export worker offers its bytes (transferred to it). */
  port: MessagePort;
  serviceWorker: ServiceWorker;
}

/**
 * Reserves a streamed download with the extension's service worker: a fresh token, and the port the export worker
 * will offer its bytes on. Null where there is no such service worker (Firefox's background is an event page) or
 * it does not answer: the caller then exports a Blob.
 */
export async function registerExportStream(timeoutMs = 3000): Promise<ReservedExportStream | null> {
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

/** Navigates a hidden iframe to a streamed export's URL: the service worker answers it with the download. */
function navigateToDownload(token: string): () => void {
  const frame = document.createElement('iframe');
  frame.hidden = true;
  frame.title = 'Export download';
  frame.src = exportStreamUrl(location.origin, token);
  document.body.append(frame);
  return () => frame.remove();
}

export interface StreamedExportOptions extends IoJobOptions {
  /** Write Cookie, Set-Cookie and Authorization header values as they are (hidden by default). */
  includeSecrets?: boolean;
  /** The browser's download has begun (before the export is done). */
  onStarted?: (fileName: string) => void;
}

/**
 * Runs a streamed export into the download `reserved`: resolves when every byte is in the download; rejects when
 * the export or the download failed (the download is then failed, never left truncated).
 */
export async function streamExportToDownload(
  reserved: ReservedExportStream,
  scope: WorkerExportScope,
  format: ExportFormat,
  options: StreamedExportOptions = {},
): Promise<{ fileName: string; rows: number }> {
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
      { type: 'export-stream', scope, format, port: reserved.port, includeSecrets: options.includeSecrets },
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
    return { fileName: answer.fileName, rows: answer.rows };
  } finally {
    clearInterval(keepAlive);
    removeFrame?.();
  }
}
