/**
 * Which of the page's main-thread tasks an extension added, from a Chrome trace (DevTools protocol `Tracing`,
 * categories TRACE_CATEGORIES).
 *
 * Why not the Long Tasks API alone: a long task does not say whose it is. With 16 MiB frames the page's own
 * tasks (receiving a 16 MiB message) last seconds, so "longest task with minus longest task without" says
 * nothing about the extension's tasks, which can be long too and simply not the longest.
 *
 * In the trace, every main-thread task is a `ThreadControllerImpl::RunTask` event, and every call from the
 * browser into JavaScript is a `FunctionCall` event naming the called function's script. An extension's content
 * scripts are chrome-extension:// (or moz-extension://) URLs. A task counts as the extension's:
 * - whole, when only extension scripts were called in it (a message on the relay's port, a relay timer: the
 *   task exists only because of the extension, so its native work, e.g. deserializing the message, is ours too);
 * - in part, when page code was called in the same task (one event dispatched to both the hook's listener and
 *   the page's): only the time of the extension's own calls.
 * The MAIN-world hook's work inside the page's own calls (a wrapped `send`) has no call of its own in the trace
 * and is not counted here; section 1's CPU ratios cover it.
 */

export const TRACE_CATEGORIES = ['toplevel', 'devtools.timeline', 'disabled-by-default-devtools.timeline'];

const TASK = 'ThreadControllerImpl::RunTask';
const isExtensionUrl = (url) => /^(chrome|moz)-extension:\/\//.test(url);

/**
 * @param {Array<{name: string, ph: string, pid: number, tid: number, ts: number, dur?: number, args?: any}>} events
 * @param {string} pageOrigin the page's origin: finds the page's renderer main thread
 * @returns {{ tasks: number, addedTasks: number, longestAddedMs: number, addedTotalMs: number, addedOver50: number,
 *   longest: Array<{ ms: number, whole: boolean, calls: string[], inside: string[] }> }} `longest`: the three longest
 *   added tasks, each with the extension's calls in it (script file and function), to say whose they are, and the
 *   longest other trace events in it (garbage collection, for one), to say what they did
 */
export function attributeTasks(events, pageOrigin) {
  const threadNames = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args?.name);
  // The page's main thread: the renderer main thread on which the page's own scripts were called.
  const pageCall = events.find(
    (e) => e.name === 'FunctionCall' && String(e.args?.data?.url ?? '').startsWith(pageOrigin) && threadNames.get(`${e.pid}:${e.tid}`) === 'CrRendererMain',
  );
  const empty = { tasks: 0, addedTasks: 0, longestAddedMs: 0, addedTotalMs: 0, addedOver50: 0, longest: [] };
  if (!pageCall) return empty;
  const onMain = (e) => e.pid === pageCall.pid && e.tid === pageCall.tid && e.ph === 'X';
  const tasks = events.filter((e) => onMain(e) && e.name === TASK).sort((a, b) => a.ts - b.ts);
  const calls = events.filter((e) => onMain(e) && e.name === 'FunctionCall').sort((a, b) => a.ts - b.ts);
  // Everything else on the thread (GC, parsing, message deserialization…), to say what a long task spent its time on.
  const other = events.filter((e) => onMain(e) && e.name !== 'FunctionCall' && e.name !== TASK && (e.dur ?? 0) >= 1000);

  const result = { ...empty, longest: [], tasks: tasks.length };
  const callName = (call) => `${String(call.args?.data?.url ?? '').replace(/^.*\//, '')}:${call.args?.data?.functionName || '(anonymous)'}`;
  let c = 0;
  for (const task of tasks) {
    const end = task.ts + (task.dur ?? 0);
    while (c < calls.length && calls[c].ts < task.ts) c++;
    let ours = 0;
    let page = 0;
    let outerEnd = -Infinity; // only top-level calls: a nested call's time is inside its caller's
    const ourCalls = [];
    for (let i = c; i < calls.length && calls[i].ts < end; i++) {
      const call = calls[i];
      if (call.ts < outerEnd) continue;
      outerEnd = call.ts + (call.dur ?? 0);
      if (isExtensionUrl(String(call.args?.data?.url ?? ''))) {
        ours += call.dur ?? 0;
        ourCalls.push(`${callName(call)} ${((call.dur ?? 0) / 1000).toFixed(1)} ms`);
      } else page += call.dur ?? 0;
    }
    if (ours === 0) continue;
    const addedMs = (page === 0 ? (task.dur ?? 0) : ours) / 1000;
    result.addedTasks++;
    result.addedTotalMs += addedMs;
    result.longestAddedMs = Math.max(result.longestAddedMs, addedMs);
    if (addedMs > 50) result.addedOver50++;
    const inside = other
      .filter((e) => e.ts >= task.ts && e.ts < end)
      .sort((a, b) => (b.dur ?? 0) - (a.dur ?? 0))
      .slice(0, 4)
      .map((e) => `${e.name} ${((e.dur ?? 0) / 1000).toFixed(1)} ms`);
    result.longest.push({ ms: addedMs, whole: page === 0, calls: ourCalls, inside });
    result.longest.sort((a, b) => b.ms - a.ms);
    result.longest.length = Math.min(result.longest.length, 3);
  }
  return result;
}

/** Starts tracing on a CDP session; `stop()` ends it and resolves with every event. */
export async function startTrace(cdp) {
  const events = [];
  const onData = (e) => events.push(...e.value);
  cdp.on('Tracing.dataCollected', onData);
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: TRACE_CATEGORIES, recordMode: 'recordAsMuchAsPossible' }, transferMode: 'ReportEvents' });
  return {
    async stop() {
      const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.end');
      await complete;
      cdp.off('Tracing.dataCollected', onData);
      return events;
    },
  };
}
