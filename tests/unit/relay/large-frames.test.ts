import { describe, expect, it } from 'vitest';
import { LargeFrames } from '@/lib/relay/large-frames';
import { LARGE_SLICE } from '@/lib/shared/packed-batch';
import type { PageFrameEvent } from '@/lib/shared/protocol';

function setup() {
  let tasks: Array<() => void> = [];
  const handedBack: ArrayBuffer[] = [];
  const large = new LargeFrames((next) => void tasks.push(next), (buffer) => void handedBack.push(buffer));
  const runTasks = () => {
    let rounds = 0;
    while (tasks.length > 0) {
      const due = tasks;
      tasks = [];
      for (const task of due) task();
      rounds++;
    }
    return rounds;
  };
  return { large, handedBack, runTasks };
}
const frame = (data: string | ArrayBuffer, byteLength?: number): PageFrameEvent => ({ k: 'frame', socketId: 's', seq: 1, time: 1, dir: 'receive', data, byteLength, origin: 'page', status: 'sent' });

describe('LargeFrames', () => {
  it('builds a binary frame\'s Blob a slice per task from its own bytes, then hands its buffer back', async () => {
    const t = setup();
    const bytes = Uint8Array.from({ length: 2 * LARGE_SLICE + 10 }, (_, i) => i & 255);
    const buffer = new ArrayBuffer(bytes.byteLength + 100);
    new Uint8Array(buffer).set(bytes);
    const event = frame(buffer, bytes.byteLength);
    const job = t.large.begin(event);
    expect(t.large.begin(event)).toBe(job); // begun once
    expect(t.large.has(event)).toBe(true);
    let done: Blob | undefined;
    job.done = (blob) => (done = blob);
    expect(t.runTasks()).toBeGreaterThan(1);
    expect(done).toBe(job.blob);
    expect(new Uint8Array(await job.blob!.arrayBuffer())).toEqual(bytes);
    expect(t.handedBack).toEqual([buffer]);
    t.large.forget(event);
    expect(t.large.has(event)).toBe(false);
  });

  it('joins a large text\'s pieces once all have come, whether they came before or after the wait', async () => {
    const t = setup();
    t.large.acceptPiece(new Blob(['ab']));
    t.large.acceptPiece('not a Blob');
    const joined: Blob[] = [];
    t.large.waitForPieces(2, (blob) => joined.push(blob));
    expect(joined).toEqual([]);
    t.large.acceptPiece(new Blob(['cd']));
    t.large.acceptPiece(new Blob(['next']));
    expect(joined).toHaveLength(1);
    expect(await joined[0].text()).toBe('abcd');
    t.large.waitForPieces(1, (blob) => joined.push(blob));
    expect(await joined[1].text()).toBe('next');
  });
});
