/**
 * The replay-timing plan: when each step of a replay goes under a timing choice. The panel turns selected frames
 * into replay steps (payload + delay before sending; the page hook only waits `delayMs` before each step), and the
 * command-line replayer (cli/replay-script.ts) times a recorded connection's sends from its open, both by
 * timedWaitMs. Pure, so the timing maths is unit-tested.
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
 * How long after a reference point a step goes under `timing`: `spanMs` is the recorded time between the two (not
 * negative), `steps` the number of steps from the reference to this one. The panel's replay waits this from step
 * to step (one step, the gap since the previous frame); the command-line replayer from the connection's open.
 */
export function timedWaitMs(spanMs: number, steps: number, timing: ReplayTiming): number {
  switch (timing.mode) {
    case 'original':
      return spanMs;
    case 'scaled':
      return spanMs / timing.factor;
    case 'fixed':
      return steps * timing.delayMs;
    case 'fast':
      return 0;
  }
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
    const delayMs = i > 0 ? timedWaitMs(Math.max(0, frame.time - ordered[i - 1].time), 1, timing) : 0;
    return { data: frame.data, delayMs: Math.round(Math.min(MAX_STEP_DELAY_MS, delayMs)) };
  });
}

/** Total planned wait, for the dialog's estimate. */
export function plannedDurationMs(steps: readonly ReplayStep<unknown>[]): number {
  return steps.reduce((sum, s) => sum + s.delayMs, 0);
}
