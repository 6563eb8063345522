import { describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs bench module without types
import { attributeTasks } from '../../bench/lib/task-attribution.mjs';

const PAGE = 'http://127.0.0.1:4000';
const EXT = 'chrome-extension://abcdefghijklmnop/content-scripts/relay.js';
const meta = (pid: number, tid: number, name: string) => ({ ph: 'M', name: 'thread_name', pid, tid, ts: 0, args: { name } });
const task = (ts: number, dur: number, pid = 1, tid = 1) => ({ ph: 'X', name: 'ThreadControllerImpl::RunTask', pid, tid, ts, dur });
const call = (ts: number, dur: number, url: string, pid = 1, tid = 1) => ({ ph: 'X', name: 'FunctionCall', pid, tid, ts, dur, args: { data: { url } } });

describe('attributeTasks', () => {
  const base = [meta(1, 1, 'CrRendererMain'), meta(2, 1, 'CrRendererMain')];

  it('counts a task in which only extension scripts ran as wholly added, native work included', () => {
    const r = attributeTasks([...base, call(10, 5, `${PAGE}/workloads.js`), task(0, 20), task(100, 80_000), call(110, 30_000, EXT)], PAGE);
    expect(r.addedTasks).toBe(1);
    expect(r.longestAddedMs).toBe(80);
    expect(r.addedOver50).toBe(1);
  });

  it('counts only the extension calls of a task that also ran page code', () => {
    const r = attributeTasks([...base, task(0, 100_000), call(10, 20_000, EXT), call(30_000, 60_000, `${PAGE}/workloads.js`)], PAGE);
    expect(r.longestAddedMs).toBe(20);
    expect(r.addedTotalMs).toBe(20);
    expect(r.addedOver50).toBe(0);
  });

  it('adds nothing without extension calls, and ignores calls nested in a top-level one', () => {
    const nested = [task(0, 100_000), call(10, 90_000, `${PAGE}/workloads.js`), call(20, 50_000, EXT)];
    expect(attributeTasks([...base, ...nested], PAGE).addedTasks).toBe(0);
    expect(attributeTasks([...base, task(0, 70_000), call(10, 100, `${PAGE}/a.js`)], PAGE).longestAddedMs).toBe(0);
  });

  it('only reads the page renderer: the extension service worker runs elsewhere', () => {
    const r = attributeTasks([...base, call(1, 1, `${PAGE}/workloads.js`), task(0, 90_000, 2), call(5, 80_000, EXT, 2)], PAGE);
    expect(r.addedTasks).toBe(0);
    expect(attributeTasks([...base, task(0, 90_000), call(5, 80_000, EXT)], PAGE).tasks).toBe(0); // no page call: no page thread
  });
});
