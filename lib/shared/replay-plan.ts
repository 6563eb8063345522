/**
 * Turns selected frames and a timing choice into replay steps (payload + delay before sending). Pure, so the
 * timing maths is unit-tested; the page hook only waits `delayMs` before each step.
 */
import type { EncodedPayload, ReplayStep } from './protocol';

export type ReplayTiming =
  | { mode: 'original' }
  /** Original gaps divided by `factor` (2 = twice as fast). */
  | { mode: 'scaled'; factor: number }
  | { mode: 'fixed'; delayMs: number }
  | { mode: 'fast' };

export interface ReplaySource {
  time: number;
  data: EncodedPayload;
}

/** Longest wait between two steps: a gap of hours in a capture should not stall a replay forever. */
export const MAX_STEP_DELAY_MS = 60_000;

/** Checks a timing choice; returns the problem in words, or undefined. */
export function validateTiming(timing: ReplayTiming): string | undefined {
  if (timing.mode === 'scaled' && !(Number.isFinite(timing.factor) && timing.factor > 0)) return 'The speed factor must be a number above 0.';
  if (timing.mode === 'fixed' && !(Number.isFinite(timing.delayMs) && timing.delayMs >= 0)) return 'The delay must be 0 ms or more.';
  return undefined;
}

/**
 * Steps in time order. The first step goes right after the connection opens; each next one waits the chosen
 * gap (original gaps are measured between the frames' capture times, capped at MAX_STEP_DELAY_MS).
 */
export function planReplay(frames: readonly ReplaySource[], timing: ReplayTiming): ReplayStep<EncodedPayload>[] {
  const problem = validateTiming(timing);
  if (problem) throw new RangeError(problem);
  const ordered = [...frames].sort((a, b) => a.time - b.time);
  return ordered.map((frame, i) => {
    let delayMs = 0;
    if (i > 0) {
      const gap = Math.max(0, frame.time - ordered[i - 1].time);
      if (timing.mode === 'original') delayMs = gap;
      else if (timing.mode === 'scaled') delayMs = gap / timing.factor;
      else if (timing.mode === 'fixed') delayMs = timing.delayMs;
    }
    return { data: frame.data, delayMs: Math.round(Math.min(MAX_STEP_DELAY_MS, delayMs)) };
  });
}

/** Total planned wait, for the dialog's estimate. */
export function plannedDurationMs(steps: readonly ReplayStep<unknown>[]): number {
  return steps.reduce((sum, s) => sum + s.delayMs, 0);
}
