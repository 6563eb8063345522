#!/usr/bin/env node
/**
 * What one runtime-port post costs a content script on this machine, by message size and payload kind: the
 * synchronous part of `port.postMessage` on the page's thread (serializing and handing the message to the
 * browser), with the structured-clone serialization our manifest asks for. The relay posts every capture batch
 * this way, so this is the per-batch price the page pays.
 *
 *   node bench/port-probe.mjs [--sizes 1000,32000,64000,66000,128000] [--kinds string,arraybuffer,blob] [--group 8]
 *
 * Posts go in groups of `--group`, back to back (8 by default: performance.now() in a content script is
 * coarsened to 0.1 ms, too coarse for one short post), one group every 30 ms, 25 groups per size; the table gives
 * the median and 90th percentile per post. It uses its own small extension (bench/port-probe/), not ours.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { launchVariant } from './lib/browser.mjs';
import { table } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : fallback;
};
const plan = {
  kinds: option('--kinds', 'string,arraybuffer,blob').split(','),
  sizes: option('--sizes', '1000,16000,32000,60000,64000,66000,128000,512000').split(',').map(Number),
  groups: 25,
  group: Number(option('--group', '8')),
  gapMs: 30,
};

const server = createServer((_, res) => res.end('<!doctype html><title>port probe</title><body></body>', 'utf8'));
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const browser = await launchVariant({ name: 'port-probe', dir: resolve(import.meta.dirname, 'port-probe') });
try {
  const { page } = browser;
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.evaluate((detail) => dispatchEvent(new CustomEvent('port-probe', { detail })), JSON.stringify(plan));
  await page.waitForFunction(() => document.body.dataset.result, null, { timeout: 600_000 });
  const rows = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  console.log(`runtime-port post, ${plan.group} back to back per group, ${plan.groups} groups per size\n`);
  console.log(table(['payload', 'bytes', 'median ms / post', 'p90 ms / post'], rows.map((r) => [r.kind, String(r.size), r.medianMs.toFixed(3), r.p90Ms.toFixed(3)])));
} finally {
  await browser.close();
  server.close();
}
