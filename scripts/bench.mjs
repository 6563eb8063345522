#!/usr/bin/env node
/**
 * `npm run bench`: builds WebSocket Inspector into .output-bench, starts a `ws` server on 127.0.0.1 and
 * measures in Debian Chromium (see docs/benchmarks.md for what each section measures and the targets).
 *
 *   node scripts/bench.mjs [--rounds N] [--quick] [--floor] [--no-build] [--only page,big,capture,panel,analysis]
 *                          [--workloads ping-pong,text-stream,binary-stream,large-binary] [--extension name=<unpacked dir>]…
 *
 * `--only analysis` runs in Node alone (no build, no browser): pairing and stats over a million generated frames.
 *
 * Prints a table on stdout (progress goes to stderr) and writes bench-results/<timestamp>.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM } from '../bench/lib/browser.mjs';
import { startBenchServer } from '../bench/lib/server.mjs';
import { alternate, medianOf, pageWorkloads, runBigFrames, runPageWorkload } from '../bench/lib/page-overhead.mjs';
import { runBurst } from '../bench/lib/capture.mjs';
import { runPanelBench } from '../bench/lib/panel.mjs';
import { fmtBytes, fmtMs, median, table, verdict } from '../bench/lib/stats.mjs';

const OUT_DIR = '.output-bench';
const SECTIONS = ['page', 'big', 'capture', 'panel', 'analysis'];
const TARGETS = { ratio: 1.05, lagMs: 2000, addedTaskMs: 50, firstRowsMs: 1000, filterMs: 200, heapBytes: 300 * 1024 * 1024 };

function usage(message) {
  if (message) console.error(`bench: ${message}`);
  console.error('usage: node scripts/bench.mjs [--rounds N] [--quick] [--floor] [--no-build] [--only page,big,capture,panel,analysis] [--workloads ping-pong,…] [--extension name=<unpacked dir>]…');
  process.exit(2);
}

function gitDescribe() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  if (head.status !== 0) return 'unknown (not a git checkout)';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' with uncommitted changes' : ''}`;
}

/**
 * What any capture that wraps the page's WebSocket must add, done by the page itself (`--floor`): one more
 * message listener that reads the data, and one plain wrapper call per send. No recording, no messaging.
 */
const LISTENER_FLOOR_SCRIPT = `(() => {
  const NativeWebSocket = WebSocket;
  const nativeSend = NativeWebSocket.prototype.send;
  NativeWebSocket.prototype.send = function send(data) { return nativeSend.call(this, data); };
  window.WebSocket = class WebSocket extends NativeWebSocket {
    constructor(...args) { super(...args); this.addEventListener('message', (e) => e.data); }
  };
})();`;

function parseArgs(argv) {
  const options = { rounds: undefined, quick: false, build: true, only: SECTIONS, extensions: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') options.quick = true;
    else if (arg === '--floor') options.floor = true;
    else if (arg === '--no-build') options.build = false;
    else if (arg === '--rounds') {
      options.rounds = Number(value());
      if (!Number.isInteger(options.rounds) || options.rounds < 1) usage('--rounds must be a positive integer');
    } else if (arg === '--only') {
      options.only = value().split(',').map((s) => s.trim());
      for (const s of options.only) if (!SECTIONS.includes(s)) usage(`unknown section "${s}" (sections: ${SECTIONS.join(', ')})`);
    } else if (arg === '--workloads') {
      // Section 1 only: a side-by-side run of one or two workloads, e.g. an experiment on binary frames.
      const known = pageWorkloads(false).map((w) => w.id);
      options.workloads = value().split(',').map((s) => s.trim());
      for (const w of options.workloads) if (!known.includes(w)) usage(`unknown workload "${w}" (workloads: ${known.join(', ')})`);
    } else if (arg === '--extension') {
      const spec = value();
      const eq = spec.indexOf('=');
      if (eq <= 0) usage(`--extension wants name=<unpacked dir>, got "${spec}"`);
      const name = spec.slice(0, eq);
      const dir = resolve(spec.slice(eq + 1));
      if (!existsSync(resolve(dir, 'manifest.json'))) usage(`--extension ${name}: no manifest.json in ${dir}`);
      if (name === 'none' || name === 'websocket-inspector' || options.extensions.some((e) => e.name === name)) usage(`--extension name "${name}" is taken`);
      // Another build of WebSocket Inspector (e.g. an experiment) gets the same capture checks as ours.
      const manifest = JSON.parse(readFileSync(resolve(dir, 'manifest.json'), 'utf8'));
      options.extensions.push({ name, dir, ours: manifest.name === 'WebSocket Inspector' });
    } else usage(`unknown argument "${arg}"`);
  }
  options.rounds ??= options.quick ? 2 : 5;
  return options;
}

function machine() {
  const chromium = spawnSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).stdout.trim();
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model,
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    loadAverageAtStart: loadavg(),
    chromium,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

const log = (...args) => console.error('[bench]', ...args);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  // Section 6 (analysis) runs in Node: a run of it alone needs no build, no browser and no server.
  const needsBrowser = options.only.some((s) => s !== 'analysis');
  if (options.build && needsBrowser) {
    log(`building into ${OUT_DIR}/`);
    const build = spawnSync('npx', ['wxt', 'build'], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, WXT_OUT_DIR: OUT_DIR } });
    if (build.status !== 0) throw new Error('the build failed');
  }
  const ourDir = resolve(OUT_DIR, 'chrome-mv3');
  if (needsBrowser && !existsSync(resolve(ourDir, 'manifest.json'))) throw new Error(`${ourDir} has no build: run without --no-build`);

  const none = { name: 'none' };
  const ours = { name: 'websocket-inspector', dir: ourDir, ours: true };
  const others = options.extensions;
  // The floor (--floor, section 1 only): no extension, but the page itself adds what any capture that wraps
  // WebSocket must add, one more message listener (reading the data) and one wrapper call per send.
  const floor = { name: 'floor', initScript: LISTENER_FLOOR_SCRIPT };
  const variants = [none, ours, ...others];
  const pageVariants = options.floor ? [none, ours, floor, ...others] : variants;
  const results = {
    startedAt: startedAt.toISOString(),
    command: `node scripts/bench.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    // What was measured: the commit the build came from, and whether the tree had changes on top of it.
    commit: gitDescribe(),
    machine: machine(),
    options: { ...options, extensions: others },
    targets: TARGETS,
  };
  log(`${results.machine.nproc} cores, ${fmtBytes(results.machine.memoryBytes)}, ${results.machine.chromium}; ${options.rounds} rounds${options.quick ? ', quick' : ''}; build of ${results.commit}`);

  const server = needsBrowser ? await startBenchServer() : null;
  const tables = [];
  try {
    // --- 1. page overhead ----------------------------------------------------------------------------------
    if (options.only.includes('page')) {
      results.pageOverhead = [];
      for (const workload of pageWorkloads(options.quick).filter((w) => !options.workloads || options.workloads.includes(w.id))) {
        log(`page overhead: ${workload.label}`);
        const runs = await alternate(pageVariants, options.rounds, (v) => runPageWorkload(server, v, workload), (round, v, r) =>
          log(`  round ${round + 1} ${v.name}: ${fmtMs(r.ms)}, main-thread CPU ${fmtMs(r.cpuMs)} (${fmtMs(r.cpuDrainedMs)} until stored)${r.captured ? `; stored ${r.captured.sent}+${r.captured.received} frames, ${fmtMs(r.storedAfterMs)} after the page finished` : ''}`),
        );
        const med = (key) => Object.fromEntries(pageVariants.map((v) => [v.name, medianOf(runs[v.name], key)]));
        const ratio = (m) => Object.fromEntries(pageVariants.filter((v) => v !== none).map((v) => [v.name, m[v.name] / m.none]));
        const medianMs = med('ms');
        const medianCpuMs = med('cpuDrainedMs');
        results.pageOverhead.push({
          ...workload,
          runs,
          medianMs,
          ratio: ratio(medianMs),
          medianCpuMs,
          cpuRatio: ratio(medianCpuMs),
          targetMet: medianMs[ours.name] / medianMs.none <= TARGETS.ratio,
        });
      }
      const others = pageVariants.slice(1);
      tables.push([
        '1. Page overhead (median time in the page after the socket opened; ratio = with / without)\n' +
          '   CPU = the page renderer\'s main-thread CPU time from the start until the extension had stored everything' +
          (options.floor ? '\n   floor = no extension; the page adds one message listener reading e.data and one wrapper around send' : ''),
        table(
          ['workload', 'without', ...others.flatMap((v) => [v.name, 'ratio']), `target ≤ ${TARGETS.ratio}`, 'CPU without', ...others.flatMap((v) => [`CPU ${v.name}`, 'ratio'])],
          results.pageOverhead.map((w) => [
            w.label,
            fmtMs(w.medianMs.none),
            ...others.flatMap((v) => [fmtMs(w.medianMs[v.name]), w.ratio[v.name].toFixed(2)]),
            verdict(w.targetMet),
            fmtMs(w.medianCpuMs.none),
            ...others.flatMap((v) => [fmtMs(w.medianCpuMs[v.name]), w.cpuRatio[v.name].toFixed(2)]),
          ]),
        ),
      ]);
    }

    // --- 3. big frames ---------------------------------------------------------------------------------------
    if (options.only.includes('big')) {
      const size = options.quick ? 4 << 20 : 16 << 20;
      log(`big frames: one text and one binary frame of ${fmtBytes(size)}, sent and echoed`);
      const runs = await alternate(variants, options.rounds, (v) => runBigFrames(server, v, size), (round, v, r) =>
        log(`  round ${round + 1} ${v.name}: longest added task ${fmtMs(r.addedLongestMs)} (${r.addedTasks} added tasks, ${fmtMs(r.addedTotalMs)} in all, ${r.addedOver50} over 50 ms); longest task of any kind ${fmtMs(r.longestTaskMs)} (${r.longTaskCount} long tasks), echoes ${fmtMs(r.textMs)} / ${fmtMs(r.binaryMs)}, CPU ${fmtMs(r.cpuDrainedMs)}${r.storedAfterMs !== undefined ? `, stored ${fmtMs(r.storedAfterMs)} after` : ''}`),
      );
      const m = (name, key) => medianOf(runs[name], key);
      const summary = Object.fromEntries(
        variants.map((v) => [
          v.name,
          {
            addedLongestMs: m(v.name, 'addedLongestMs'),
            addedTotalMs: m(v.name, 'addedTotalMs'),
            addedOver50: m(v.name, 'addedOver50'),
            longestTaskMs: m(v.name, 'longestTaskMs'),
            longTaskTotalMs: m(v.name, 'longTaskTotalMs'),
            textMs: m(v.name, 'textMs'),
            binaryMs: m(v.name, 'binaryMs'),
            cpuMs: m(v.name, 'cpuDrainedMs'),
          },
        ]),
      );
      const added = Object.fromEntries(variants.slice(1).map((v) => [v.name, summary[v.name].addedLongestMs]));
      results.bigFrames = { size, runs, median: summary, addedLongestTaskMs: added, targetMet: added[ours.name] <= TARGETS.addedTaskMs };
      tables.push([
        `3. Big frames (one ${fmtBytes(size)} text + one binary frame, each sent and echoed; medians)\n` +
          '   added = main-thread tasks the extension added, from a trace (bench/lib/task-attribution.mjs)',
        table(
          ['variant', 'longest added task', `target ≤ ${TARGETS.addedTaskMs} ms`, 'added tasks, total', 'added tasks > 50 ms', 'longest task (any)', 'long tasks total', 'text echo', 'binary echo', 'main-thread CPU'],
          variants.map((v) => [
            v.name,
            fmtMs(summary[v.name].addedLongestMs),
            v === ours ? verdict(results.bigFrames.targetMet) : '',
            fmtMs(summary[v.name].addedTotalMs),
            String(summary[v.name].addedOver50),
            fmtMs(summary[v.name].longestTaskMs),
            fmtMs(summary[v.name].longTaskTotalMs),
            fmtMs(summary[v.name].textMs),
            fmtMs(summary[v.name].binaryMs),
            fmtMs(summary[v.name].cpuMs),
          ]),
        ),
      ]);
    }

    // --- 2 and 5. capture completeness, lag, storage footprint ----------------------------------------------
    if (options.only.includes('capture')) {
      const n = options.quick ? 10_000 : 100_000;
      log(`capture: server burst of ${n} text frames of 64 B`);
      const runs = [];
      for (let round = 0; round < options.rounds; round++) {
        const r = await runBurst(server, ours, n, `burst=${round}`);
        runs.push(r);
        log(`  round ${round + 1}: ${r.storedFrames}/${n} stored${r.complete ? '' : ' (INCOMPLETE)'}, lag ${fmtMs(r.lagMs)}, page received all in ${fmtMs(r.pageReceiveMs)}, ${r.bytesPerFrameRunning.toFixed(0)} B/frame on disk`);
      }
      const complete = runs.every((r) => r.complete);
      const lag = median(runs.map((r) => r.lagMs));
      results.capture = { n, frameSize: 64, runs, complete, medianLagMs: lag, maxLagMs: Math.max(...runs.map((r) => r.lagMs)), targetMet: complete && lag <= TARGETS.lagMs };
      results.storage = {
        frameSize: 64,
        frames: n,
        bytesPerFrameRunning: median(runs.map((r) => r.bytesPerFrameRunning)),
        bytesPerFrameClosed: median(runs.map((r) => r.bytesPerFrameClosed)),
      };
      tables.push([
        `2. Capture completeness and lag (server burst of ${n} × 64 B text; ${options.rounds} runs)`,
        table(
          ['stored', 'lag median', 'lag max', 'page received all in', 'target 100 %, ≤ 2 s'],
          [[`${runs.map((r) => r.storedFrames).join(', ')} of ${n}${complete ? ' (100 %)' : ' (INCOMPLETE)'}`, fmtMs(lag), fmtMs(results.capture.maxLagMs), fmtMs(median(runs.map((r) => r.pageReceiveMs))), verdict(results.capture.targetMet)]],
        ),
      ]);
      tables.push([
        '5. Storage footprint (extension IndexedDB folder growth / frames; 64 B text frames)',
        table(
          ['browser running', 'after browser closed', 'payload'],
          [[`${results.storage.bytesPerFrameRunning.toFixed(0)} B/frame`, `${results.storage.bytesPerFrameClosed.toFixed(0)} B/frame`, '64 B/frame']],
        ),
      ]);
    }

    // --- 4. panel at scale ---------------------------------------------------------------------------------
    if (options.only.includes('panel')) {
      const frames = options.quick ? 100_000 : 1_000_000;
      log(`panel: a stored session of ${frames} frames`);
      results.panel = await runPanelBench(ours, frames, options.quick ? 1 : Math.min(options.rounds, 3), log);
      tables.push(['4. Panel at scale', results.panel.table]);
    }

    // --- 6. pairing and stats at scale (Node) --------------------------------------------------------------
    if (options.only.includes('analysis')) {
      const frames = options.quick ? 100_000 : 1_000_000;
      log(`analysis: pairing and stats over ${frames} generated frames, in pages of ${ANALYSIS_PAGE_ROWS}`);
      results.analysis = await runAnalysisBench(frames, options.quick ? 1 : Math.min(options.rounds, 3));
      tables.push([`6. Pairing and stats at scale (Node ${process.version}, ${frames.toLocaleString('en')} frames, generated in pages of ${ANALYSIS_PAGE_ROWS})`, results.analysis.table]);
    }
  } finally {
    await server?.close();
  }

  results.finishedAt = new Date().toISOString();
  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');

  console.log(`WebSocket Inspector benchmarks — ${results.machine.nproc} cores, ${fmtBytes(results.machine.memoryBytes)} RAM, ${results.machine.chromium}`);
  console.log(`${results.command}; ${options.rounds} rounds; build of ${results.commit}; load average at start ${results.machine.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);
  for (const [title, body] of tables) console.log(`\n${title}\n${body}`);
  console.log(`\nraw results: ${file}`);
}

// --- 6. pairing and stats at scale ------------------------------------------------------------------------------

const ANALYSIS_PAGE_ROWS = 2_000;

/**
 * Section 6: lib/analysis's SessionAnalysis (pairing, latency, stats, heartbeats in one pass) over a million
 * frames, fed in pages of 2,000 FrameRecords as the panel pages rows from IndexedDB. The rows are generated in
 * Node, so the figure is the analysis alone; reading those pages from IndexedDB is section 4's. Two sessions:
 * - json-rpc: requests and their results alternating (one in 500 answered by a `{"type":"ping"}` instead, so
 *   1,000 requests wait and time out); 500,000 pairs;
 * - feed: section 4's feed (small JSON, no ids), read as generic JSON: types, sizes, gaps, heartbeats.
 * Each page's payloads are made before its push() and dropped after, so memory holds one page, as in the panel.
 * The same pages also go through TimelineBuckets (the traffic timeline's buckets, timed apart).
 */
async function runAnalysisBench(frames, rounds) {
  const dir = mkdtempSync(join(tmpdir(), 'wsi-bench-analysis-'));
  try {
    const { build } = await import('rolldown');
    await build({ input: 'lib/analysis/index.ts', platform: 'node', logLevel: 'warn', output: { file: join(dir, 'analysis.mjs'), format: 'esm' } });
    const { SessionAnalysis } = await import(pathToFileURL(join(dir, 'analysis.mjs')).href);
    await build({ input: 'lib/analysis/timeline-buckets.ts', platform: 'node', logLevel: 'warn', output: { file: join(dir, 'timeline.mjs'), format: 'esm' } });
    const { TimelineBuckets } = await import(pathToFileURL(join(dir, 'timeline.mjs')).href);
    const startedAt = Date.now();
    const spacingMs = 0.05;
    const methods = ['getQuote', 'subscribe', 'getTrades'];
    const sessions = {
      'json-rpc': (i) => {
        const id = i >> 1;
        if (i % 2 === 0) return ['send', `{"jsonrpc":"2.0","method":"${methods[id % 3]}","params":{"sym":"S${id % 500}"},"id":${id}}`];
        if (i % 1000 === 999) return ['receive', '{"type":"ping"}'];
        return ['receive', `{"jsonrpc":"2.0","result":{"px":${(100 + (id % 977) / 10).toFixed(1)},"qty":${id % 91}},"id":${id}}`];
      },
      feed: (i) => {
        const type = i % 100 === 0 ? 'trade' : i % 2 === 0 ? 'subscribe' : 'quote';
        return [i % 2 === 1 ? 'receive' : 'send', `{"type":"${type}","id":${i},"sym":"S${i % 500}","px":${(100 + (i % 977) / 10).toFixed(1)},"qty":${i % 91}}`];
      },
    };
    const decoders = { 'json-rpc': 'json-rpc', feed: 'json' };
    const runs = [];
    for (let round = 0; round < rounds; round++) {
      for (const [name, message] of Object.entries(sessions)) {
        global.gc?.();
        const heapBefore = process.memoryUsage().heapUsed;
        const analysis = new SessionAnalysis({ decoderIds: { c1: decoders[name] } });
        let analysisMs = 0;
        const timeline = new TimelineBuckets();
        let timelineMs = 0;
        for (let first = 0; first < frames; first += ANALYSIS_PAGE_ROWS) {
          const page = [];
          for (let i = first; i < Math.min(frames, first + ANALYSIS_PAGE_ROWS); i++) {
            const [dir, data] = message(i);
            page.push({ sessionId: 's1', connectionId: 'c1', pos: i, cpos: i, seq: i + 1, time: startedAt + i * spacingMs, kind: 'frame', dir, opcode: 1, data, size: data.length, origin: 'page', status: 'sent' });
          }
          const t0 = performance.now();
          analysis.push(page);
          const t1 = performance.now();
          analysisMs += t1 - t0;
          timeline.push(page);
          timelineMs += performance.now() - t1;
        }
        const t0 = performance.now();
        analysis.finish();
        const result = analysis.result();
        const t1 = performance.now();
        analysisMs += t1 - t0;
        const buckets = timeline.result();
        timelineMs += performance.now() - t1;
        const heapAfter = process.memoryUsage().heapUsed;
        const run = { session: name, round, frames, ms: analysisMs, framesPerSecond: frames / (analysisMs / 1000), pairs: result.session.pairs, unanswered: result.session.unanswered, heartbeatFrames: result.session.heartbeatFrames, heapGrowthBytes: heapAfter - heapBefore, p50: result.connections[0].latency.overall.p50, timelineMs, timelineBuckets: buckets.all.times.length, timelineBucketMs: buckets.bucketMs };
        runs.push(run);
        log(`  ${name} round ${round + 1}: ${fmtMs(run.ms)} (${Math.round(run.framesPerSecond).toLocaleString('en')} frames/s), ${run.pairs} pairs, ${run.unanswered} unanswered, ${run.heartbeatFrames} heartbeat frames; timeline ${fmtMs(timelineMs)} (${run.timelineBuckets} buckets of ${run.timelineBucketMs} ms)`);
      }
    }
    const rows = Object.keys(sessions).map((name) => {
      const mine = runs.filter((r) => r.session === name);
      const ms = median(mine.map((r) => r.ms));
      const last = mine[mine.length - 1];
      return [name, fmtMs(ms), `${Math.round(frames / (ms / 1000)).toLocaleString('en')}`, String(last.pairs), String(last.unanswered), String(last.heartbeatFrames), fmtMs(median(mine.map((r) => r.timelineMs)))];
    });
    return { frames, pageRows: ANALYSIS_PAGE_ROWS, rounds, runs, table: table(['session', 'pairing + stats (median)', 'frames/s', 'pairs', 'unanswered', 'heartbeat frames', 'timeline buckets (median)'], rows) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`bench: ${error?.stack ?? error}`);
  process.exit(1);
});
