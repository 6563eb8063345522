/**
 * The panel's side of lib/session-io-worker.ts: one worker per job, terminated when the job ends, with progress
 * callbacks. Request and response types live here so the worker and the panel agree on them.
 */
import type { FrameFilter } from './filters';
import type { ExportFormat, ExportScope, ImportResult } from './session-io';

/** Export scopes that can cross to a worker: a filtered view travels as its filter, not as a function. */
export type WorkerExportScope =
  | Exclude<ExportScope, { predicate: unknown }>
  | { kind: 'filtered'; sessionId: string; connectionIds?: string[]; filter: FrameFilter };

export type IoWorkerRequest =
  | { type: 'import'; file: File; maxBytes?: number }
  | { type: 'export'; scope: WorkerExportScope; format: ExportFormat };

export type IoWorkerResponse =
  | { type: 'progress'; done: number; total?: number }
  | { type: 'imported'; result: ImportResult }
  | { type: 'exported'; blob: Blob; fileName: string; rows: number; connections: number }
  | { type: 'error'; message: string };

export interface IoJobOptions {
  onProgress?: (done: number, total?: number) => void;
  signal?: AbortSignal;
}

function runJob(request: IoWorkerRequest, options: IoJobOptions): Promise<IoWorkerResponse> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./session-io-worker.ts', import.meta.url), { type: 'module' });
    const stop = () => worker.terminate();
    options.signal?.addEventListener('abort', () => {
      stop();
      reject(new Error('cancelled'));
    });
    worker.onmessage = (event: MessageEvent<IoWorkerResponse>) => {
      const message = event.data;
      if (message.type === 'progress') {
        options.onProgress?.(message.done, message.total);
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
    worker.postMessage(request);
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
