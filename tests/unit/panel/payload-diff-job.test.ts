import { describe, expect, it } from 'vitest';
import { diffPayloads } from '@/lib/analysis/payload-diff';
import { INLINE_DIFF_BYTES, diffOffThread, runsInline, type DiffWorkerRequest, type DiffWorkerResponse } from '@/lib/panel/payload-diff-job';

/** A Worker stand-in that runs the worker's one job in this thread (as payload-diff-worker.ts does). */
function fakeWorker(log: string[]) {
  return () => {
    const worker = {
      onmessage: null as ((e: MessageEvent<DiffWorkerResponse>) => void) | null,
      onerror: null,
      terminate: () => log.push('terminated'),
      postMessage(request: DiffWorkerRequest) {
        log.push('posted');
        const diff = diffPayloads(request.before, request.after);
        setTimeout(() => worker.onmessage?.({ data: { ok: true, diff } } as MessageEvent<DiffWorkerResponse>));
      },
    };
    return worker as unknown as Worker;
  };
}

describe('payload-diff-job', () => {
  it('diffs small payloads in place', async () => {
    const log: string[] = [];
    const diff = await diffOffThread('{"a":1}', '{"a":2}', undefined, fakeWorker(log));
    expect(diff.json?.changes.map((c) => c.path)).toEqual(['$.a']);
    expect(log).toEqual([]);
  });

  it('sends large payloads to a worker and terminates it when it answers', async () => {
    const big = 'x'.repeat(INLINE_DIFF_BYTES);
    expect(runsInline(big, '')).toBe(true);
    expect(runsInline(big, 'y')).toBe(false);
    const log: string[] = [];
    const diff = await diffOffThread(big, `${big}\ny`, undefined, fakeWorker(log));
    expect(diff.mode).toBe('text');
    expect(diff.rows.at(-1)).toMatchObject({ kind: 'added', right: { text: 'y' } });
    expect(log).toEqual(['posted', 'terminated']);
  });

  it('an abort terminates the worker and rejects', async () => {
    const log: string[] = [];
    const abort = new AbortController();
    const pending = diffOffThread(new Uint8Array(INLINE_DIFF_BYTES), new Uint8Array(10), abort.signal, fakeWorker(log));
    abort.abort();
    await expect(pending).rejects.toThrow('cancelled');
    expect(log).toContain('terminated');
  });
});
