/**
 * Sections 1 and 3: what an extension costs the page. Each run is a fresh Chromium profile with one variant
 * (no extension, WebSocket Inspector, or another unpacked extension); variants alternate within each round
 * (A B A B …). Timing happens inside the page (bench/pages/workloads.js); after each WebSocket Inspector run
 * the store is checked to hold every frame the page sent and received, so a "with" figure is never one where
 * capture silently did nothing.
 */
import { launchVariant, waitForStored } from './browser.mjs';
import { attributeTasks, startTrace } from './task-attribution.mjs';
import { median } from './stats.mjs';

/** The page workloads of section 1 at full size; `--quick` divides the counts by 10. */
export function pageWorkloads(quick) {
  const q = quick ? 10 : 1;
  return [
    { id: 'ping-pong', label: `${5000 / q} ping-pong round trips, 64 B text`, fn: 'pingPong', n: 5000 / q, size: 64 },
    { id: 'text-stream', label: `${50_000 / q} text messages of 64 B, streamed`, fn: 'stream', n: 50_000 / q, size: 64, binary: false },
    { id: 'binary-stream', label: `${20_000 / q} binary messages of 1 KiB, streamed`, fn: 'stream', n: 20_000 / q, size: 1024, binary: true },
    { id: 'large-binary', label: `${200 / q} binary messages of 256 KiB, streamed`, fn: 'stream', n: 200 / q, size: 256 * 1024, binary: true },
  ];
}

let runCounter = 0;

/** Quiet time after the page loads and after the warm-up, so browser start-up work stays out of the window. */
const SETTLE_MS = 750;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withBrowser(server, variant, body) {
  const browser = await launchVariant(variant);
  try {
    await browser.page.goto(`${server.origin}/workloads.html`);
    if (!variant.dir && browser.extensionContexts() !== 0) throw new Error('the "no extension" browser has an extension context');
    await sleep(SETTLE_MS);
    return await body(browser);
  } finally {
    await browser.close();
  }
}

/** CPU time (ms) of the page renderer's main thread and of its whole process, from the DevTools protocol. */
async function cpuTimes(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name) => (metrics.find((m) => m.name === name)?.value ?? NaN) * 1000;
  return { thread: get('ThreadTime'), process: get('ProcessTime') };
}

/**
 * Runs `fn(url, …args)` in the page once at a smaller size on its own socket (a warm-up: compiles the page's
 * code and the extension's hot paths, as in any page that has been running a while), waits until WebSocket
 * Inspector has stored it, settles, then runs it at full size. Returns the page's result for that run plus the
 * renderer's CPU time: during the page's window, and until the extension had stored everything (`drained`).
 * CPU time barely depends on what else the machine runs, so it is the figure to compare on a busy machine.
 */
async function measuredRun(server, browser, variant, { fn, args, warmArgs, expect, trace = false }) {
  const tag = `run=${++runCounter}`;
  const warmUrl = `${server.wsOrigin}/echo?${tag}-warm`;
  await browser.page.evaluate(({ fn, args }) => window.bench[fn](...args), { fn, args: [warmUrl, ...warmArgs] });
  if (variant.ours) await waitForStored(browser.sw, { urlSuffix: `${tag}-warm`, ...expect(warmArgs) });
  const cdp = await browser.page.context().newCDPSession(browser.page);
  await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
  await sleep(SETTLE_MS);
  const url = `${server.wsOrigin}/echo?${tag}`;
  const tracing = trace ? await startTrace(cdp) : undefined;
  const before = await cpuTimes(cdp);
  const result = await browser.page.evaluate(({ fn, args }) => window.bench[fn](...args), { fn, args: [url, ...args] });
  const after = await cpuTimes(cdp);
  const doneAt = Date.now();
  let stored;
  if (variant.ours) {
    stored = await waitForStored(browser.sw, { urlSuffix: tag, ...expect(args), timeoutMs: 300_000 });
    result.storedAfterMs = stored.storedAt - doneAt;
  }
  await sleep(300);
  const drained = await cpuTimes(cdp);
  result.cpuMs = after.thread - before.thread;
  result.cpuDrainedMs = drained.thread - before.thread;
  result.processCpuDrainedMs = drained.process - before.process;
  if (tracing) result.extensionTasks = attributeTasks(await tracing.stop(), server.origin);
  return { result, stored: stored?.connection };
}

/** One run of one page workload in one variant; returns { ms, cpuMs, cpuDrainedMs, captured? }. */
export async function runPageWorkload(server, variant, workload) {
  return withBrowser(server, variant, async (browser) => {
    const args = workload.fn === 'pingPong' ? [workload.n, workload.size] : [workload.n, workload.size, workload.binary];
    const warmArgs = [Math.max(1, Math.round(workload.n / 10)), ...args.slice(1)];
    const expect = (a) => ({ sent: a[0], received: a[0] });
    const { result, stored } = await measuredRun(server, browser, variant, { fn: workload.fn, args, warmArgs, expect });
    if (stored) {
      result.captured = { sent: stored.sentCount, received: stored.receivedCount };
      if (stored.sentCount !== workload.n || stored.receivedCount !== workload.n) {
        throw new Error(`${workload.id}: stored ${JSON.stringify(result.captured)}, expected ${workload.n} each way`);
      }
    }
    return result;
  });
}

/**
 * Section 3: one text and one binary frame of `size` bytes, each sent and echoed. The target figure is the longest
 * main-thread task the extension added (a trace of the window, attributed by lib/task-attribution.mjs). Also the
 * longest task of any kind (Long Tasks API), read once the extension has finished with the frames: for WebSocket
 * Inspector when they are stored (then a further second), for others and without an extension after a fixed
 * settle time. The window starts after a warm-up with frames of a sixteenth of the size.
 */
export async function runBigFrames(server, variant, size) {
  return withBrowser(server, variant, async (browser) => {
    const expect = () => ({ sent: 2, received: 2 });
    const { result: echo, stored } = await measuredRun(server, browser, variant, { fn: 'bigFrames', args: [size], warmArgs: [size >> 4], expect, trace: true });
    if (stored && (stored.sentBytes !== 2 * size || stored.receivedBytes !== 2 * size)) {
      throw new Error(`big frames: stored ${stored.sentBytes} B sent and ${stored.receivedBytes} B received, expected ${2 * size} each`);
    }
    await sleep(variant.ours ? 700 : 2700);
    const tasks = await browser.page.evaluate((start) => window.bench.longTasksSince(start), echo.windowStart);
    return {
      textMs: echo.textMs,
      binaryMs: echo.binaryMs,
      storedAfterMs: echo.storedAfterMs,
      cpuDrainedMs: echo.cpuDrainedMs,
      longestTaskMs: tasks.reduce((m, t) => Math.max(m, t.duration), 0),
      longTaskCount: tasks.length,
      longTaskTotalMs: tasks.reduce((s, t) => s + t.duration, 0),
      // The tasks the extension added (lib/task-attribution.mjs): the figure the target is about.
      addedLongestMs: echo.extensionTasks.longestAddedMs,
      addedTotalMs: echo.extensionTasks.addedTotalMs,
      addedTasks: echo.extensionTasks.addedTasks,
      addedOver50: echo.extensionTasks.addedOver50,
      addedLongest: echo.extensionTasks.longest,
    };
  });
}

/**
 * Runs `measure(variant)` for every variant, `rounds` times, variants alternating within each round.
 * Returns { [variant.name]: [result, …] }.
 */
export async function alternate(variants, rounds, measure, log) {
  const runs = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants) {
      const result = await measure(variant);
      runs[variant.name].push(result);
      log?.(round, variant, result);
    }
  }
  return runs;
}

export function medianOf(runs, key) {
  return median(runs.map((r) => r[key]));
}
