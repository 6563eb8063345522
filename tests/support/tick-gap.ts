/**
 * How the export benchmarks see a page freeze: the longest gap between 16 ms ticks of its main thread (Firefox
 * has no long-task entries). Both functions run inside the page: pass them to `evaluate` (they use nothing from
 * outside).
 */

/** Starts the meter, or restarts it from 0 if it runs already. */
export function startTickGapMeter(): void {
  const w = window as unknown as { tickGap?: { longest: number } };
  if (w.tickGap) {
    w.tickGap.longest = 0;
    return;
  }
  const meter = { longest: 0 };
  w.tickGap = meter;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    meter.longest = Math.max(meter.longest, now - last);
    last = now;
  }, 16);
}

/** The longest gap, in milliseconds, since the meter (re)started. */
export function longestTickGap(): number {
  return (window as unknown as { tickGap?: { longest: number } }).tickGap?.longest ?? NaN;
}
