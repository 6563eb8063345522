/**
 * One import or export job in its own I/O worker (lib/io/session-io-worker.ts): the worker is started for the job
 * and terminated when it ends, so a job that fails or is cancelled leaves nothing behind. Progress and the
 * messages between the start and the answer go to callbacks; the answer (or an error) settles the promise.
 */
import type { IoWorkerRequest, IoWorkerResponse } from '../shared/protocol/io';

export interface IoJobOptions {
  onProgress?: (done: number, total?: number) => void;
  signal?: AbortSignal;
}

export interface JobOptions extends IoJobOptions {
  transfer?: Transferable[];
  /** Messages between the start and the answer (other than progress). */
  onMessage?: (message: IoWorkerResponse) => void;
  /** Cancel by asking the worker (it answers 'error' once its download has failed) instead of terminating it. */
  cancelByMessage?: boolean;
}

const INTERMEDIATE = new Set<IoWorkerResponse['type']>(['progress', 'stream-ready', 'stream-started']);
/** How long a cancelled streamed export may take to fail its download before the worker is terminated anyway. */
export const CANCEL_GRACE_MS = 3000;

/** Runs `request` in a fresh I/O worker; resolves with its answer, rejects with its error or on cancel. */
export function runJob(request: IoWorkerRequest, options: JobOptions): Promise<IoWorkerResponse> {
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
