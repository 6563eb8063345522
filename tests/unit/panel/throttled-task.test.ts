import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ThrottledTask } from '@/lib/panel/throttled-task';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('ThrottledTask', () => {
  it('runs once per delay however often it is asked', async () => {
    const task = vi.fn(async () => undefined);
    const throttled = new ThrottledTask(task, 150);
    for (let i = 0; i < 10; i++) throttled.schedule();
    await vi.advanceTimersByTimeAsync(149);
    expect(task).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(1);
    throttled.schedule();
    await vi.advanceTimersByTimeAsync(150);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('never runs twice at once: a request during a run makes one more run after it', async () => {
    let finish: () => void = () => undefined;
    let running = 0;
    let overlapped = false;
    const task = vi.fn(
      () =>
        new Promise<void>((resolve) => {
          running++;
          if (running > 1) overlapped = true;
          finish = () => {
            running--;
            resolve();
          };
        }),
    );
    const throttled = new ThrottledTask(task, 100);
    throttled.schedule();
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(1);
    // Asked twice while the first run is still going: its timer fires, finds a run going, and asks again later.
    throttled.schedule();
    await vi.advanceTimersByTimeAsync(100);
    throttled.schedule();
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(100);
    expect(task).toHaveBeenCalledTimes(2);
    finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(2);
    expect(overlapped).toBe(false);
  });

  it('cancel drops a scheduled run', async () => {
    const task = vi.fn(async () => undefined);
    const throttled = new ThrottledTask(task, 50);
    throttled.schedule();
    throttled.cancel();
    await vi.advanceTimersByTimeAsync(500);
    expect(task).not.toHaveBeenCalled();
  });
});
