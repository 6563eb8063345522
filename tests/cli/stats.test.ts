/**
 * `ws-inspector stats` as a user runs it: the built CLI spawned as a child process on files recorded from real
 * conversations (tests/cli/stats-recorder.ts: a `ws` server on 127.0.0.1 with known reply delays) and on a HAR
 * saved by Chrome DevTools (tests/fixtures/chrome-websocket.har). Latency bounds are generous on the high side
 * (the machine is shared); the low side is exact, since a reply can never come before the server's delay.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOM_DELAY_MS, DELAYS, recordSession, recordSubscription, startRecordingServer, type RecordingServer } from './stats-recorder';

const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/ws-inspector.mjs');
let dir: string;
let server: RecordingServer;
let recorded: string;

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'cli/build.mjs')], { cwd: root });
  dir = mkdtempSync(join(tmpdir(), 'wsi-stats-'));
  server = await startRecordingServer();
  recorded = join(dir, 'rpc.wsi.json');
  writeFileSync(recorded, JSON.stringify(await recordSession(server.port)));
}, 60_000);

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

interface JsonLatency {
  label: string;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  min: number;
}

async function statsJson(args: string[]) {
  const result = await runCli(['stats', ...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

describe('ws-inspector stats', { timeout: 30_000 }, () => {
  it('measures JSON-RPC latencies by method that match the server delays, and counts the unanswered request', async () => {
    const out = await statsJson([recorded]);
    expect(out.format).toBe('wsi');
    const [rpc, custom] = out.connections;
    expect(rpc).toMatchObject({ index: 1, decoder: 'json-rpc', pairing: { pairs: 8, unanswered: 1, dropped: 0, outstanding: 0, unansweredByLabel: { never: 1 } } });
    const by = Object.fromEntries(rpc.latency.byLabel.map((l: JsonLatency) => [l.label, l]));
    expect(Object.keys(by).sort()).toEqual(['fail', 'fast', 'slow']);
    expect(by.fast.count).toBe(5);
    expect(by.slow.count).toBe(2);
    expect(by.fail.count).toBe(1);
    for (const [method, delay] of Object.entries(DELAYS)) {
      expect(by[method].min).toBeGreaterThanOrEqual(delay - 1);
      expect(by[method].max).toBeLessThan(delay + 150);
    }
    expect(rpc.latency.overall).toMatchObject({ count: 8, max: by.slow.max });
    // The server's {"type":"ping"} every 100 ms and the client's pongs are heartbeats.
    const beats = Object.fromEntries(rpc.heartbeats.map((h: { dir: string; label: string; count: number; intervalMs: number }) => [`${h.dir} ${h.label}`, h]));
    expect(beats['receive ping'].count).toBeGreaterThanOrEqual(5);
    expect(beats['send pong'].count).toBe(beats['receive ping'].count);
    expect(beats['receive ping'].intervalMs).toBeGreaterThanOrEqual(95);
    expect(rpc.heartbeatFrames).toBe(beats['receive ping'].count * 2);
    expect(rpc.traffic).toMatchObject({ sent: { frames: 9 + beats['send pong'].count }, received: { frames: 8 + beats['receive ping'].count }, opens: 1, closes: 1 });
    expect(rpc.traffic.topTypes[0].type).toMatch(/^(ping|pong)$/);
    expect(rpc.traffic.rates.framesPerSecond).toBeGreaterThan(0);
    // No ids the decoders know on the custom protocol: no pairs until paths are given.
    expect(custom).toMatchObject({ index: 2, pairing: { pairs: 0 } });
    expect(out.session).toMatchObject({ pairs: 8, unanswered: 1, frames: rpc.traffic.frames + custom.traffic.frames, opens: 2, closes: 2 });
  });

  it('prints a table per connection: counts, rates, types, heartbeats and latency percentiles by method', async () => {
    const result = await runCli(['stats', recorded]);
    expect(result.code).toBe(0);
    const text = result.stdout;
    expect(text).toContain(`${recorded}: 2 connections,`);
    expect(text).toMatch(/^#1 ws:\/\/127\.0\.0\.1:\d+\/rpc {2}\[JSON-RPC 2\.0\]$/m);
    expect(text).toMatch(/^ {2}frames {6}\d+ \([\d.]+ (B|kB)\) over [\d.]+ (ms|s): [\d.]+ frames\/s/m);
    expect(text).toMatch(/^ {4}received ping ×\d+ every (9[5-9]|1\d\d) ms$/m); // the server pings every 100 ms (timers may fire early by a little)
    expect(text).toMatch(/^ {2}latency\s+pairs\s+p50\s+p95\s+p99\s+max\s+unanswered$/m);
    expect(text).toMatch(/^ {2}all\s+8\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+\d+ ms\s+1$/m);
    expect(text).toMatch(/^ {4}fast\s+5\s+\d+ ms/m);
    expect(text).toMatch(/^ {4}never\s+0\s+–\s+–\s+–\s+–\s+1$/m);
    expect(text).toMatch(/^#2 ws:\/\/127\.0\.0\.1:\d+\/custom/m);
    expect(text).toContain('  latency     no request↔response pairs');
  });

  it('pairs a custom protocol by --request-id and --response-id, one --connection chosen by URL', async () => {
    const out = await statsJson([recorded, '--connection', 'custom', '--request-id', '$.id', '--response-id', '$.replyTo']);
    expect(out.connections).toHaveLength(1);
    const [custom] = out.connections;
    expect(custom).toMatchObject({ index: 2, pairing: { pairs: 3, unanswered: 0 } });
    expect(custom.latency.byLabel).toHaveLength(1);
    expect(custom.latency.byLabel[0]).toMatchObject({ label: 'quote', count: 3 });
    expect(custom.latency.byLabel[0].min).toBeGreaterThanOrEqual(CUSTOM_DELAY_MS - 1);
  });

  it('counts requests slower than --timeout as unanswered', async () => {
    const out = await statsJson([recorded, '--connection', '1', '--timeout', '100']);
    const [rpc] = out.connections;
    expect(rpc.pairing).toMatchObject({ pairs: 6, unanswered: 3, unansweredByLabel: { slow: 2, never: 1 } });
  });

  it('reads a HAR saved by Chrome DevTools, with --decoder choosing how to read it', async () => {
    const har = join(root, 'tests/fixtures/chrome-websocket.har');
    const out = await statsJson([har]);
    expect(out.format).toBe('har');
    expect(out.connections.length).toBeGreaterThanOrEqual(1);
    const total = out.connections.reduce((n: number, c: { traffic: { frames: number } }) => n + c.traffic.frames, 0);
    expect(total).toBe(out.session.frames);
    expect(out.session.frames).toBeGreaterThan(0);
    const forced = await statsJson([har, '--decoder', 'json']);
    expect(forced.connections.every((c: { decoder: string }) => c.decoder === 'json')).toBe(true);
  });

  it('ties a subscription\'s later items to it: counted as stream items, not as latencies', async () => {
    const file = join(dir, 'subscription.wsi.json');
    writeFileSync(file, JSON.stringify(await recordSubscription(server.port)));
    const json = await statsJson([file]);
    const pairing = json.connections[0].pairing;
    // subscribe ↔ first next is the pair (plus connection_init ↔ connection_ack); next 2, next 3 and complete are items.
    expect([pairing.pairs, pairing.streamItems, pairing.streams, pairing.unanswered]).toEqual([2, 3, 0, 0]);
    const table = await runCli(['stats', file]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('streams     3 later stream items tied to their requests (latency counts the first response)');
  });

  it('prints its help with --help', async () => {
    const result = await runCli(['stats', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: ws-inspector stats <file.wsi.json | file.har> [options]');
    expect(result.stdout).toContain('--request-id <json-path>');
  });

  it('exits 2 on bad arguments and 3 on a file it cannot read', async () => {
    const bad = join(dir, 'bad.wsi.json');
    writeFileSync(bad, '{"format": "websocket-inspector", "version": 1, "connections": [');
    const cases: Array<[string[], number, RegExp]> = [
      [[], 2, /expected one file, got 0/],
      [[recorded, '--bogus'], 2, /Unknown option '--bogus'/],
      [[recorded, '--connection', '9'], 2, /--connection 9: the file has 2 connections/],
      [[recorded, '--decoder', 'nope'], 2, /--decoder "nope": expected one of/],
      [[recorded, '--request-id', '$.id'], 2, /--request-id and --response-id go together/],
      [[recorded, '--request-id', 'id', '--response-id', '$.x'], 2, /a JSON path starts with \$/],
      [[recorded, '--timeout', 'soon'], 2, /--timeout "soon": expected a number of milliseconds/],
      [[join(dir, 'missing.wsi.json')], 3, /cannot read .*missing\.wsi\.json: no such file/],
      [[bad], 3, /bad\.wsi\.json: /],
    ];
    for (const [args, code, message] of cases) {
      const result = await runCli(['stats', ...args]);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });
});
