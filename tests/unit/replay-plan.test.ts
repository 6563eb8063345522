import { describe, expect, it } from 'vitest';
import { MAX_STEP_DELAY_MS, planReplay, plannedDurationMs, timedWaitMs, validateTiming, type ReplaySource } from '../../lib/shared/replay-plan';

const frames: ReplaySource[] = [0, 100, 350, 360].map((t, i) => ({ time: 1000 + t, data: { encoding: 'text', payload: `m${i}` } }));

describe('planReplay', () => {
  it('keeps original gaps, first step right after open', () => {
    expect(planReplay(frames, { mode: 'original' }).map((s) => s.delayMs)).toEqual([0, 100, 250, 10]);
  });
  it('scales gaps', () => {
    expect(planReplay(frames, { mode: 'scaled', factor: 2 }).map((s) => s.delayMs)).toEqual([0, 50, 125, 5]);
    expect(planReplay(frames, { mode: 'scaled', factor: 0.5 }).map((s) => s.delayMs)).toEqual([0, 200, 500, 20]);
  });
  it('uses a fixed delay or none', () => {
    expect(planReplay(frames, { mode: 'fixed', delayMs: 30 }).map((s) => s.delayMs)).toEqual([0, 30, 30, 30]);
    expect(planReplay(frames, { mode: 'fast' }).map((s) => s.delayMs)).toEqual([0, 0, 0, 0]);
  });
  it('orders by time and keeps payloads', () => {
    const steps = planReplay([frames[2], frames[0], frames[1]], { mode: 'original' });
    expect(steps.map((s) => s.data.payload)).toEqual(['m0', 'm1', 'm2']);
  });
  it('caps very long gaps', () => {
    const steps = planReplay([frames[0], { ...frames[1], time: frames[0].time + 3_600_000 }], { mode: 'original' });
    expect(steps[1].delayMs).toBe(MAX_STEP_DELAY_MS);
  });
  it('rejects bad timing', () => {
    expect(validateTiming({ mode: 'scaled', factor: 0 })).toMatch(/above 0/);
    expect(validateTiming({ mode: 'fixed', delayMs: -1 })).toMatch(/0 ms or more/);
    expect(() => planReplay(frames, { mode: 'scaled', factor: Number.NaN })).toThrow(RangeError);
  });
  it('sums the planned duration; an empty selection is an empty plan', () => {
    expect(plannedDurationMs(planReplay(frames, { mode: 'original' }))).toBe(360);
    expect(planReplay([], { mode: 'fast' })).toEqual([]);
  });
});

describe('timedWaitMs', () => {
  it('keeps, scales, replaces or drops a recorded span', () => {
    expect(timedWaitMs(300, 3, { mode: 'original' })).toBe(300);
    expect(timedWaitMs(300, 3, { mode: 'scaled', factor: 4 })).toBe(75);
    expect(timedWaitMs(300, 3, { mode: 'fixed', delayMs: 20 })).toBe(60);
    expect(timedWaitMs(300, 3, { mode: 'fast' })).toBe(0);
  });
});
