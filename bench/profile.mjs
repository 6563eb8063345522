#!/usr/bin/env node
/**
 * Where the page's time goes with WebSocket Inspector loaded: builds the extension unminified (see
 * bench/wxt.profile.config.ts), runs one page workload after a warm-up with the V8 CPU profiler on the page's
 * renderer (the MAIN-world hook and the isolated relay run on the same thread, so both show), keeps profiling
 * until the store holds every frame, and prints self time by function and by script.
 *
 *   node bench/profile.mjs [workload] [--n N] [--size BYTES] [--no-build] [--none] [--dir <unpacked extension>]
 *   --dir profiles another build (e.g. an experiment); unless its manifest is named "WebSocket Inspector", the
 *   profile stops when the page is done instead of waiting for the store.
 *   workload: ping-pong | text-stream | binary-stream (default) | large-binary | big-frames | burst
 *
 * Writes the raw profile to bench-results/profile-<workload>-<timestamp>.cpuprofile (open it in DevTools).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { launchVariant, waitForStored } from './lib/browser.mjs';
import { startBenchServer } from './lib/server.mjs';
import { table } from './lib/stats.mjs';

const OUT = '.output-bench/profile';
const WORKLOADS = {
  'ping-pong': { fn: 'pingPong', n: 5000, size: 64 },
  'text-stream': { fn: 'stream', n: 50_000, size: 64, binary: false },
  'binary-stream': { fn: 'stream', n: 20_000, size: 1024, binary: true },
  'large-binary': { fn: 'stream', n: 200, size: 256 * 1024, binary: true },
  'big-frames': { fn: 'bigFrames', n: 2, size: 16 << 20 },
  burst: { fn: 'burst', n: 100_000, size: 64 },
};

const argv = process.argv.slice(2);
const name = argv.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'binary-stream';
const workload = { ...WORKLOADS[name] };
if (!WORKLOADS[name]) {
  console.error(`unknown workload "${name}"; one of: ${Object.keys(WORKLOADS).join(', ')}`);
  process.exit(2);
}
const flag = (f) => {
  const i = argv.indexOf(f);
  return i >= 0 ? Number(argv[i + 1]) : undefined;
};
workload.n = flag('--n') ?? workload.n;
workload.size = flag('--size') ?? workload.size;
const withoutExtension = argv.includes('--none');
const dirAt = argv.indexOf('--dir');
const otherDir = dirAt >= 0 ? resolve(argv[dirAt + 1]) : undefined;

if (!argv.includes('--no-build') && !withoutExtension && !otherDir) {
  const build = spawnSync('npx', ['wxt', 'build', '-c', 'bench/wxt.profile.config.ts'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, WXT_OUT_DIR: OUT } });
  if (build.status !== 0) throw new Error('build failed');
}

function argsFor(url, w) {
  if (w.fn === 'pingPong') return [url, w.n, w.size];
  if (w.fn === 'stream') return [url, w.n, w.size, w.binary];
  if (w.fn === 'bigFrames') return [url, w.size];
  return [url, w.n];
}

const server = await startBenchServer();
const otherIsOurs = otherDir ? JSON.parse(readFileSync(resolve(otherDir, 'manifest.json'), 'utf8')).name === 'WebSocket Inspector' : true;
const variant = withoutExtension
  ? { name: 'none' }
  : otherDir
    ? { name: basename(otherDir), dir: otherDir, ours: otherIsOurs }
    : { name: 'websocket-inspector', dir: resolve(OUT, 'chrome-mv3'), ours: true };
const browser = await launchVariant(variant);
try {
  const page = browser.page;
  await page.goto(`${server.origin}/workloads.html`);
  const path = workload.fn === 'burst' ? 'burst' : 'echo';
  const urlFor = (tag, w) => (w.fn === 'burst' ? `${server.wsOrigin}/burst?n=${w.n}&size=${w.size}&${tag}` : `${server.wsOrigin}/${path}?${tag}`);
  const expected = (w) => (w.fn === 'burst' ? { received: w.n } : w.fn === 'bigFrames' ? { sent: 2, received: 2 } : { sent: w.n, received: w.n });
  const warm = { ...workload, n: Math.max(1, Math.round(workload.n / 10)), size: workload.fn === 'bigFrames' ? workload.size >> 4 : workload.size };
  await page.evaluate(({ fn, args }) => window.bench[fn](...args), { fn: workload.fn, args: argsFor(urlFor('warm', warm), warm) });
  if (browser.sw && variant.ours) await waitForStored(browser.sw, { urlSuffix: 'warm', ...expected(warm) });
  await new Promise((r) => setTimeout(r, 500));

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
  const t0 = Date.now();
  const result = await page.evaluate(({ fn, args }) => window.bench[fn](...args), { fn: workload.fn, args: argsFor(urlFor('measured', workload), workload) });
  const pageDone = Date.now() - t0;
  if (browser.sw && variant.ours) await waitForStored(browser.sw, { urlSuffix: 'measured', ...expected(workload), timeoutMs: 300_000 });
  const storedAfter = Date.now() - t0;
  const { profile } = await cdp.send('Profiler.stop');

  mkdirSync('bench-results', { recursive: true });
  const file = `bench-results/profile-${name}${withoutExtension ? '-none' : ''}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));

  // Self time per node, from the samples.
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const scriptOf = (url) => (url ? basename(url.split('?')[0]) : '');
  const byFunction = new Map();
  const byScript = new Map();
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const script = scriptOf(url) || (functionName.startsWith('(') ? functionName : '(native)');
    const key = `${functionName || '(anonymous)'}  ${script}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
    byScript.set(script, (byScript.get(script) ?? 0) + ms);
  }
  const busy = [...byScript].filter(([s]) => s !== '(idle)').reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`${name}${withoutExtension ? ' (no extension)' : otherDir ? ` (${variant.name})` : ''}: ${JSON.stringify(workload)}`);
  console.log(`page result ${JSON.stringify(result)}; page done after ${pageDone} ms, stored after ${storedAfter} ms; busy ${busy.toFixed(0)} ms on the page's thread\n`);
  console.log(table(['script', 'self ms', 'share of busy'], [...byScript].sort((a, b) => b[1] - a[1]).map(([s, ms]) => [s, ms.toFixed(1), s === '(idle)' ? '' : `${((ms / busy) * 100).toFixed(1)} %`])));
  console.log();
  console.log(table(['function  script:line', 'self ms'], [...byFunction].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, ms]) => [k, ms.toFixed(1)])));
  console.log(`\nprofile: ${file}`);
} finally {
  await browser.close();
  await server.close();
}
