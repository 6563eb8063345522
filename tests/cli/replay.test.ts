/**
 * The command-line replayer as a user runs it: the built CLI spawned as a child process against a real `ws`
 * server on 127.0.0.1. Timing checks use generous lower bounds only (the machine is shared and slow).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

const root = resolve(__dirname, '../..');
const bin = join(root, 'bin/ws-inspector.mjs');
let dir: string;
let http: Server;
let wss: WebSocketServer;
let port: number;

interface Received {
  path: string;
  data: Buffer;
  isBinary: boolean;
  at: number;
  protocols: string;
}
let received: Received[] = [];

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'cli/build.mjs')], { cwd: root });
  dir = mkdtempSync(join(tmpdir(), 'wsi-cli-'));
  http = createServer((_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({
    server: http,
    verifyClient: (info, done) => (info.req.url === '/forbidden' ? done(false, 403, 'Forbidden') : done(true)),
    handleProtocols: (protocols) => protocols.values().next().value ?? false,
  });
  wss.on('connection', (socket, req) => {
    const path = req.url ?? '/';
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '');
    socket.on('message', (data, isBinary) => {
      const buffer = Buffer.from(data as Buffer);
      received.push({ path, data: buffer, isBinary, at: performance.now(), protocols });
      if (path === '/echo') socket.send(buffer, { binary: isBinary });
      if (path === '/upper') socket.send(isBinary ? Buffer.from(buffer).reverse() : buffer.toString('utf8').toUpperCase(), { binary: isBinary });
      if (path === '/close-after-1') socket.close(4000, 'enough');
      // A reply with fields that change on every run, as real servers send: a timestamp and an id.
      if (path === '/stamp') socket.send(JSON.stringify({ ts: Date.now(), id: Math.random().toString(36).slice(2), echo: buffer.toString('utf8'), items: [{ at: performance.now() }] }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as { port: number }).port;
}, 60_000);

afterAll(async () => {
  for (const client of wss.clients) client.terminate();
  wss.close();
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const T = 1795629600000.25;

/** A recording of an echo conversation: three frames sent 390 ms apart, each echoed 5 ms later. */
function recording(url: string) {
  const sends: Array<[number, 1 | 2, string]> = [
    [10, 1, '{"n":1,"msg":"héllo"}'],
    [400, 2, Buffer.from([0, 1, 2, 255, 128]).toString('base64')],
    [790, 1, 'third'],
  ];
  const rows: unknown[] = [{ seq: 1, time: T, kind: 'open', protocol: 'chat', extensions: '' }];
  let seq = 1;
  for (const [dt, opcode, data] of sends) {
    const frame = { opcode, encoding: opcode === 1 ? 'text' : 'base64', data, origin: 'page', status: 'sent' };
    rows.push({ seq: ++seq, time: T + dt, kind: 'frame', dir: 'send', ...frame });
    rows.push({ seq: ++seq, time: T + dt + 5, kind: 'frame', dir: 'receive', ...frame });
  }
  // Neither of these crossed the network: the replayer must skip them.
  rows.push({ seq: ++seq, time: T + 800, kind: 'frame', dir: 'send', opcode: 1, encoding: 'text', data: 'refused', status: 'refused' });
  rows.push({ seq: ++seq, time: T + 801, kind: 'frame', dir: 'receive', opcode: 1, encoding: 'text', data: 'simulated', origin: 'simulated' });
  rows.push({ seq: ++seq, time: T + 900, kind: 'close', code: 1000, reason: '', wasClean: true });
  return {
    format: 'websocket-inspector',
    version: 1,
    session: { pageUrl: 'https://app.test/', title: 'App', startedAt: T },
    connections: [{ url, protocols: ['chat', 'other'], protocol: 'chat', extensions: '', startedAt: T - 3, state: 'closed', errored: false, rows }],
  };
}

function writeRecording(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

const ws = (path: string) => `ws://127.0.0.1:${port}${path}`;
const fromPath = (path: string) => received.filter((r) => r.path === path);

describe('ws-inspector replay', { timeout: 30_000 }, () => {
  it('sends the recorded frames in order, byte for byte, with the recorded subprotocols, and prints the replies', async () => {
    received = [];
    const file = writeRecording('echo.wsi.json', recording(ws('/echo')));
    const result = await runCli(['replay', file, '--timing', 'none', '--wait', '300']);
    expect(result.stderr).not.toMatch(/\r/); // no progress bar when stderr is not a terminal
    expect(result.code).toBe(0);
    const got = fromPath('/echo');
    expect(got.map((r) => [r.isBinary, r.data.toString('hex')])).toEqual([
      [false, Buffer.from('{"n":1,"msg":"héllo"}').toString('hex')],
      [true, '000102ff80'],
      [false, Buffer.from('third').toString('hex')],
    ]);
    expect(got[0].protocols).toBe('chat,other');
    expect(result.stdout).toContain('"msg": "héllo"'); // JSON pretty-printed
    expect(result.stdout).toContain('00000000  00 01 02 ff 80'); // binary as hex
    expect(result.stdout).toContain('\n  third\n');
    expect(result.stderr).toContain('sent 3 frames, received 3');
  });

  it('keeps the recorded gaps with --timing original', async () => {
    received = [];
    const file = writeRecording('timed.wsi.json', recording(ws('/echo')));
    const result = await runCli(['replay', file, '--wait', '200']);
    expect(result.code).toBe(0);
    const at = fromPath('/echo').map((r) => r.at);
    expect(at).toHaveLength(3);
    // Recorded gaps are 390 ms; timers never fire early, so the lower bound is safe on a busy machine.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(300);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(300);
  });

  it('uses a fixed gap with --timing <ms>', async () => {
    received = [];
    const file = writeRecording('fixed.wsi.json', recording(ws('/echo')));
    const result = await runCli(['replay', file, '--timing', '250', '--wait', '200']);
    expect(result.code).toBe(0);
    const at = fromPath('/echo').map((r) => r.at);
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(200);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(200);
  });

  it('--expect passes when the server answers as recorded', async () => {
    const file = writeRecording('expect-ok.wsi.json', recording(ws('/echo')));
    const result = await runCli(['replay', file, '--timing', 'none', '--expect', '--quiet']);
    expect(result.stdout).toBe('--expect: OK, all 3 replies match the recording\n');
    expect(result.code).toBe(0);
  });

  it('--expect fails with a readable diff and exit code 1 when the replies differ', async () => {
    const file = writeRecording('expect-bad.wsi.json', recording(ws('/echo')));
    const result = await runCli(['replay', file, '--url', ws('/upper'), '--timing', 'none', '--expect', '--quiet']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('--expect: FAIL\n3 of 3 replies differ from the recording (expected 3, got 3):');
    // JSON replies are compared as JSON: the report names the paths.
    expect(result.stdout).toContain('reply 1 differs (4 JSON paths differ):\n      removed $.n: was 1\n      removed $.msg: was "héllo"\n      added   $.N: 1\n      added   $.MSG: "HÉLLO"\n');
    expect(result.stdout).toContain('    expected text 22 B: "{\\"n\\":1,\\"msg\\":\\"héllo\\"}"');
    expect(result.stdout).toContain('    actual   text 22 B: "{\\"N\\":1,\\"MSG\\":\\"HÉLLO\\"}"');
    expect(result.stdout).toContain('reply 2 differs (first difference at byte 0 (0x0)):');
    expect(result.stdout).toContain('reply 3 differs (first difference at character 1):');
    expect(result.stdout).toContain('    actual   binary 5 B: 80 ff 02 01 00');
  });

  it('replays a HAR saved by Chrome DevTools, choosing the connection by URL', async () => {
    received = [];
    const fixture = join(root, 'tests/fixtures/chrome-websocket.har');
    const result = await runCli(['replay', fixture, '--connection', 'chat', '--url', ws('/echo'), '--timing', 'none', '--expect', '--quiet']);
    // The Chrome recording's replies came from a chat server, not an echo: --expect must say so.
    expect(result.code).toBe(1);
    const got = fromPath('/echo');
    expect(got.map((r) => [r.isBinary, r.data.toString('hex')])).toEqual([
      [false, Buffer.from('{"op":"join","room":42}').toString('hex')],
      [false, ''],
      [true, 'deadbeef'],
    ]);
    expect(got[0].protocols).toBe('chat.v2,chat.v1');
  });
});

/** One JSON request, and the reply the recording has: its ts, id and items[0].at will differ on every run. */
function stampRecording(url: string) {
  const request = { seq: 2, time: T + 10, kind: 'frame', dir: 'send', opcode: 1, encoding: 'text', data: '{"op":"ping"}', origin: 'page', status: 'sent' };
  const reply = JSON.stringify({ ts: 1795629600010, id: 'k3j4', echo: '{"op":"ping"}', items: [{ at: 12.5 }] });
  const rows = [{ seq: 1, time: T, kind: 'open', protocol: '', extensions: '' }, request, { ...request, seq: 3, time: T + 15, dir: 'receive', data: reply }];
  return { format: 'websocket-inspector', version: 1, session: { pageUrl: 'https://app.test/', title: 'App', startedAt: T }, connections: [{ url, protocols: [], protocol: '', extensions: '', startedAt: T, state: 'closed', errored: false, rows }] };
}

describe('ws-inspector replay --expect --ignore', { timeout: 30_000 }, () => {
  it('fails on fields that change every run, naming their JSON paths', async () => {
    const file = writeRecording('stamp.wsi.json', stampRecording(ws('/stamp')));
    const result = await runCli(['replay', file, '--timing', 'none', '--expect', '--quiet']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('1 of 1 replies differ from the recording (expected 1, got 1):\n  reply 1 differs (3 JSON paths differ):\n      changed $.ts: 1795629600010 → ');
    expect(result.stdout).toContain('      changed $.id: "k3j4" → "');
    expect(result.stdout).toContain('      changed $.items[0].at: 12.5 → ');
    expect(result.stdout).not.toContain('$.echo');
  });

  it('names only what is left once some paths are ignored', async () => {
    const file = writeRecording('stamp-ts.wsi.json', stampRecording(ws('/stamp')));
    const result = await runCli(['replay', file, '--timing', 'none', '--expect', '--quiet', '--ignore', '$.ts']);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('(expected 1, got 1; ignoring $.ts):\n  reply 1 differs (2 JSON paths differ):\n      changed $.id: "k3j4" → "');
    expect(result.stdout).not.toContain('$.ts:');
  });

  it('passes when every changing path is ignored (repeatable, with * for any index)', async () => {
    const file = writeRecording('stamp-all.wsi.json', stampRecording(ws('/stamp')));
    const result = await runCli(['replay', file, '--timing', 'none', '--expect', '--quiet', '--ignore', '$.ts', '--ignore', '$["id"]', '--ignore', '$.items[*].at']);
    expect(result.stdout).toBe('--expect: OK, all 1 replies match the recording (ignoring $.ts, $["id"], $.items[*].at)\n');
    expect(result.code).toBe(0);
  });

  it('an ignored path does not hide a change elsewhere', async () => {
    const file = writeRecording('stamp-echo.wsi.json', stampRecording(ws('/echo')));
    const result = await runCli(['replay', file, '--timing', 'none', '--expect', '--quiet', '--ignore', '$.ts', '--ignore', '$.id', '--ignore', '$.items']);
    // /echo answers with the request itself: the recorded reply's echo field is gone, op is new.
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('      removed $.echo: was "{\\"op\\":\\"ping\\"}"\n      added   $.op: "ping"\n');
  });

  it('exit 2 for a path it cannot read, or --ignore without --expect', async () => {
    const file = writeRecording('stamp-bad.wsi.json', stampRecording(ws('/stamp')));
    const bad = await runCli(['replay', file, '--expect', '--ignore', 'ts']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ignore "ts": a JSON path starts with $');
    const alone = await runCli(['replay', file, '--ignore', '$.ts']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--ignore only applies with --expect');
  });
});

describe('ws-inspector replay: failures and exit codes', { timeout: 30_000 }, () => {
  it('exit 4 when the server cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const file = writeRecording('dead.wsi.json', recording(`ws://127.0.0.1:${deadPort}/echo`));
    const result = await runCli(['replay', file]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain(`cannot reach ws://127.0.0.1:${deadPort}/echo: ECONNREFUSED`);
  });

  it('exit 5 when the handshake is refused', async () => {
    const file = writeRecording('forbidden.wsi.json', recording(ws('/forbidden')));
    const result = await runCli(['replay', file]);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain(`handshake failed: ${ws('/forbidden')} answered HTTP 403 Forbidden instead of 101 Switching Protocols`);
  });

  it('exit 6 when the server closes before every frame was sent', async () => {
    const file = writeRecording('early-close.wsi.json', recording(ws('/close-after-1')));
    const result = await runCli(['replay', file, '--timing', '300']);
    expect(result.code).toBe(6);
    expect(result.stderr).toContain('the server closed the connection (code 4000, "enough") after 1 of 3 frames');
  });

  it('exit 3 for a file it cannot read or that is not a valid recording, saying where', async () => {
    const missing = await runCli(['replay', join(dir, 'nope.har')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain(`cannot read ${join(dir, 'nope.har')}: no such file`);

    const text = JSON.stringify(recording(ws('/echo')));
    const truncated = await runCli(['replay', writeRecording('cut.wsi.json', text.slice(0, 200))]);
    expect(truncated.code).toBe(3);
    expect(truncated.stderr).toMatch(/cut\.wsi\.json: the file is truncated/);

    const bad = recording(ws('/echo'));
    delete (bad.connections[0].rows[2] as { dir?: string }).dir;
    const missingField = await runCli(['replay', writeRecording('nodir.wsi.json', bad)]);
    expect(missingField.code).toBe(3);
    expect(missingField.stderr).toContain("nodir.wsi.json: connections[0].rows[2]: missing 'dir'");
  });

  it('exit 2 for bad arguments', async () => {
    const file = writeRecording('args.wsi.json', recording(ws('/echo')));
    const timing = await runCli(['replay', file, '--timing', 'fast']);
    expect(timing.code).toBe(2);
    expect(timing.stderr).toContain('--timing "fast": expected original, none or a number of milliseconds');
    const connection = await runCli(['replay', file, '--connection', '9']);
    expect(connection.code).toBe(2);
    expect(connection.stderr).toContain('--connection 9: the file has 1 connection:');
    expect((await runCli(['replay'])).code).toBe(2);
    expect((await runCli(['replay', file, '--bogus'])).code).toBe(2);
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('--ignore <json-path>');
    // Both commands are listed, each with its usage.
    expect(help.stdout).toMatch(/^ {2}replay {3}/m);
    expect(help.stdout).toMatch(/^ {2}stats {4}/m);
    expect(help.stdout).toContain('Usage: ws-inspector stats');
  });
});
