/**
 * The messages of session import/export and of the streamed export download, and the streamed export's URL and
 * token format: what the panel, its I/O worker and the service worker say to each other.
 *
 * Hops and their transports (all structured clone):
 *   panel      ⇄ I/O worker      Worker.postMessage (IoWorkerRequest / IoWorkerResponse): a File, a Blob and a
 *                                MessagePort travel as they are (lib/panel/session-io-client.ts,
 *                                lib/io/session-io-worker.ts)
 *   panel      → service worker  navigator.serviceWorker (ExportStreamRegister, with a MessagePort, then
 *                                ExportStreamKeepAlive), namespace-tagged
 *   I/O worker ⇄ service worker  the port the panel registered (ExportProducerMessage / ExportPipeMessage); the
 *                                offer transfers a ReadableStream, so bytes go from the I/O worker to the download
 *                                directly (lib/io/export-stream-producer.ts, lib/worker/export-stream.ts)
 */
import type { FrameFilter } from '../filters';
import { randomId } from '../random-id';
import { NAMESPACE } from './vocabulary';

// ---------------------------------------------------------------------------------------------------------------
// Panel ⇄ I/O worker

/** The two session file formats: `.wsi.json` and HAR. */
export type SessionFileFormat = 'wsi' | 'har';
export type ExportFormat = SessionFileFormat;

/** A row's key in the store, as the panel knows it. */
export interface RowKey {
  connectionId: string;
  seq: number;
}

/** What part of a session an export holds, as plain data. */
export type PlainExportScope =
  | { kind: 'session'; sessionId: string }
  | { kind: 'connection'; sessionId: string; connectionId: string }
  /** A selection or a filtered view given as the keys of its rows. */
  | { kind: 'selection' | 'filtered'; sessionId: string; keys: RowKey[] };

/** Export scopes that can cross to a worker: a filtered view travels as its filter, not as a function. */
export type WorkerExportScope =
  | PlainExportScope
  | {
      kind: 'filtered';
      sessionId: string;
      connectionIds?: string[];
      filter: FrameFilter;
      /** The decoded-fields query, with the decoder the panel used per connection (decodedRowMatcher). */
      decoded?: { query: string; decoderIds: Record<string, string> };
      /** Only rows from `from` to `to` (epoch ms, inclusive): the range picked on the timeline. */
      timeRange?: { from: number; to: number };
    };

export interface ImportResult {
  sessionId: string;
  connectionIds: string[];
  rows: number;
  format: SessionFileFormat;
  warnings: string[];
}

export type IoWorkerRequest =
  | { type: 'import'; file: File; maxBytes?: number }
  /** `includeSecrets`: write Cookie, Set-Cookie and Authorization header values as they are (hidden by default). */
  | { type: 'export'; scope: WorkerExportScope; format: ExportFormat; includeSecrets?: boolean }
  /** A streamed export: `port` is registered with the service worker (lib/worker/export-stream.ts). */
  | { type: 'export-stream'; scope: WorkerExportScope; format: ExportFormat; port: MessagePort; includeSecrets?: boolean }
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

// ---------------------------------------------------------------------------------------------------------------
// The streamed export. Panel → service worker travels on navigator.serviceWorker (structured clone, with a
// MessagePort); everything after that on the port between the export worker and the service worker.

/** Panel → service worker: reserve `token`; the transferred port is where the export worker talks. */
export interface ExportStreamRegister {
  ns: typeof NAMESPACE;
  type: 'export-stream-register';
  token: string;
}

/** Panel → service worker while its download streams: only an event, to keep the worker from idling out. */
export interface ExportStreamKeepAlive {
  ns: typeof NAMESPACE;
  type: 'export-stream-keepalive';
}

/** Export worker → service worker. */
export type ExportProducerMessage =
  | { type: 'offer'; fileName: string; mimeType: string; stream: ReadableStream<Uint8Array> }
  /** The export failed or was cancelled before or while it was downloaded. */
  | { type: 'abort'; message: string };

/** Service worker → panel (once) and then → export worker. */
export type ExportPipeMessage =
  | { type: 'registered' }
  /** The offer is stored: the token can be fetched now. */
  | { type: 'ready' }
  /** The fetch was answered: the browser's download has begun. */
  | { type: 'started' }
  /** Every byte went into the download. */
  | { type: 'finished' }
  | { type: 'failed'; message: string };

export function isExportStreamRegister(value: unknown): value is ExportStreamRegister {
  const m = value as Partial<ExportStreamRegister> | null;
  return typeof m === 'object' && m !== null && m.ns === NAMESPACE && m.type === 'export-stream-register' && isExportToken(m.token);
}

// ---------------------------------------------------------------------------------------------------------------
// Tokens and URLs

/** Path prefix of streamed export URLs on the extension's origin. */
export const EXPORT_STREAM_PATH = '/export-stream/';

export function newExportToken(): string {
  return randomId();
}

const TOKEN_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isExportToken(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_PATTERN.test(value);
}

/** The URL the panel's hidden iframe navigates to. */
export function exportStreamUrl(origin: string, token: string): string {
  return `${origin}${EXPORT_STREAM_PATH}${token}`;
}

/** The token of a streamed export URL on `origin`, or null when the URL is something else. */
export function exportTokenOf(url: string, origin: string): string | null {
  let parsed: URL;
  let ours: URL;
  try {
    parsed = new URL(url);
    ours = new URL(origin);
  } catch {
    return null;
  }
  // Scheme and host, not URL.origin: that is "null" for chrome-extension: URLs outside Chrome.
  if (parsed.protocol !== ours.protocol || parsed.host !== ours.host || !parsed.pathname.startsWith(EXPORT_STREAM_PATH)) return null;
  const token = parsed.pathname.slice(EXPORT_STREAM_PATH.length);
  return isExportToken(token) ? token : null;
}
