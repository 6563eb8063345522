/**
 * The panel's imports and exports, each run as a job in an I/O worker (lib/panel/io-worker-job.ts runs
 * lib/io/session-io-worker.ts) with progress callbacks; what the components call.
 *
 * Exports are downloaded streamed where the background is a service worker (Chrome:
 * lib/panel/export-stream-client.ts), so the download starts with the first bytes; elsewhere (Firefox) the worker
 * builds a Blob that is downloaded whole.
 */
import type { ExportFormat, ImportResult, WorkerExportScope } from '../shared/protocol/io';
import { registerExportStream, streamExportToDownload } from './export-stream-client';
import { runJob, type IoJobOptions } from './io-worker-job';

// The messages live in the protocol (the worker must not import the panel); re-exported for the components.
export type { IoWorkerRequest, IoWorkerResponse, WorkerExportScope } from '../shared/protocol/io';
export type { IoJobOptions } from './io-worker-job';
export { registerExportStream } from './export-stream-client';

export async function importInWorker(file: File, options: IoJobOptions = {}): Promise<ImportResult> {
  const response = await runJob({ type: 'import', file }, options);
  if (response.type !== 'imported') throw new Error('unexpected answer from the import worker');
  return response.result;
}

export async function exportInWorker(scope: WorkerExportScope, format: ExportFormat, options: IoJobOptions & { includeSecrets?: boolean } = {}): Promise<{ blob: Blob; fileName: string; rows: number }> {
  const response = await runJob({ type: 'export', scope, format, includeSecrets: options.includeSecrets }, options);
  if (response.type !== 'exported') throw new Error('unexpected answer from the export worker');
  return response;
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
  /** Write Cookie, Set-Cookie and Authorization header values as they are (hidden by default). */
  includeSecrets?: boolean;
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
  const streamed = await streamExportToDownload(reserved, scope, format, options);
  return { ...streamed, streamed: true };
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
