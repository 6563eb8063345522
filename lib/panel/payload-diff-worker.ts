/**
 * The diff dialog's worker (started by payload-diff-job.ts for large payloads): one diffPayloads call, answered
 * with plain data (structured clone), then the job terminates it.
 */
import { diffPayloads } from '../analysis/payload-diff';
import type { DiffWorkerRequest, DiffWorkerResponse } from './payload-diff-job';

self.onmessage = (event: MessageEvent<DiffWorkerRequest>) => {
  let answer: DiffWorkerResponse;
  try {
    answer = { ok: true, diff: diffPayloads(event.data.before, event.data.after) };
  } catch (error) {
    answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  (self as unknown as Worker).postMessage(answer);
};
