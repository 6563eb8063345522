/**
 * Copied code, run as a user would run it, against a real `ws` server on 127.0.0.1 that records every frame:
 * the Node script with `node` (`ws` resolved through NODE_PATH), the Python script with Debian's
 * /usr/bin/python3 and its python3-websockets package (.ci/run installs it; missing, this test FAILS rather
 * than skips), and the wscat command through `sh -c` with node_modules/.bin on PATH. Each must send the same
 * frames, in order, byte for byte, with the subprotocols, and print what it received.
 *
 * websocat cannot be installed here (not on npm nor in Debian's archive), so its command runs through `sh -c`
 * with a stand-in `websocat` on PATH that records its arguments and input: that checks the shell quoting and
 * the line encoding (t:/b: prefixes, base64), not websocat itself.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { copyAsCode, type CodeFrame } from '../../lib/analysis/copy-as-code';

const root = resolve(__dirname, '../..');
let dir: string;
let http: Server;
let wss: WebSocketServer;
let port: number;
const received = new Map<string, Array<{ binary: boolean; hex: string }>>();
const protocolsByPath = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wsi-code-'));
  http = createServer((_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({ server: http, handleProtocols: (protocols) => protocols.values().next().value ?? false });
  wss.on('connection', (socket, req) => {
    const path = req.url ?? '/';
    // Python's websockets joins them with ', ', ws with ',': the same header value.
    protocolsByPath.set(path, String(req.headers['sec-websocket-protocol'] ?? '').replace(/,\s*/g, ','));
    const list = received.get(path) ?? [];
    received.set(path, list);
    socket.on('message', (data, isBinary) => {
      const buffer = Buffer.from(data as Buffer);
      list.push({ binary: isBinary, hex: buffer.toString('hex') });
      // One reply per connection, so the test can see the code prints what it receives.
      if (list.length === 1) socket.send(`reply to ${path}`);
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as { port: number }).port;
});

afterAll(async () => {
  for (const client of wss.clients) client.terminate();
  wss.close();
  http.closeAllConnections();
  await new Promise<void>((r) => http.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

/** Text a shell, a JS parser and a Python parser each treat specially, and what a hostile page might send. */
const ADVERSARIAL = `He said "hi" & it's $(echo pwned) \`id\` $HOME \\n \\ back'slash'\nline 2\r\nline 3\ttab %s %% 😀 é 中文 \u202e rtl \u2028 sep \u0007 bell \u{E0041} tag`;
const FRAMES: CodeFrame[] = [
  { opcode: 1, text: '{"op":"join","room":42}' },
  { opcode: 1, text: ADVERSARIAL },
  { opcode: 2, bytes: Uint8Array.from({ length: 256 }, (_, i) => i) },
  { opcode: 1, text: '-x --help' },
  { opcode: 1, text: '' },
  { opcode: 1, text: 'nul\0inside' },
  { opcode: 2, bytes: new Uint8Array(0) },
];
const expected = (frames: CodeFrame[]) => frames.map((f) => ({ binary: f.opcode === 2, hex: Buffer.from(f.opcode === 1 ? f.text : f.bytes).toString('hex') }));
const target = (path: string) => ({ url: `ws://127.0.0.1:${port}${path}`, protocols: ['chat.v2', "it's-v1"] });

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('copied code runs and sends the recorded frames', { timeout: 30_000 }, () => {
  it('Node (ws): every frame, in order, byte for byte, with the subprotocols', async () => {
    const file = join(dir, 'replay.cjs');
    writeFileSync(file, copyAsCode('node', target('/node'), FRAMES, { waitMs: 300 }).code);
    const result = await run(process.execPath, [file], { NODE_PATH: join(root, 'node_modules') });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(received.get('/node')).toEqual(expected(FRAMES));
    expect(protocolsByPath.get('/node')).toBe("chat.v2,it's-v1");
    expect(result.stdout).toContain('reply to /node\n');
    expect(result.stdout).toContain('closed 1000');
  });

  it('Python (websockets, Debian python3): every frame, in order, byte for byte, with the subprotocols', async () => {
    try {
      execFileSync('/usr/bin/python3', ['-c', 'import websockets'], { stdio: 'pipe' });
    } catch {
      throw new Error("/usr/bin/python3 cannot import websockets: install Debian's python3-websockets (apt-get install python3-websockets; .ci/run does)");
    }
    const file = join(dir, 'replay.py');
    writeFileSync(file, copyAsCode('python', target('/python'), FRAMES, { waitMs: 300 }).code);
    const result = await run('/usr/bin/python3', [file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(received.get('/python')).toEqual(expected(FRAMES));
    expect(protocolsByPath.get('/python')).toBe("chat.v2,it's-v1");
    expect(result.stdout).toContain('reply to /python\n');
  });

  it('wscat through sh -c: the text frames it can send, in order, byte for byte; binary and NUL left out with a comment', async () => {
    const copied = copyAsCode('wscat', target('/wscat'), FRAMES, { waitMs: 300 });
    expect(copied.complete).toBe(false);
    expect(copied.code).toContain('# frame 3 is left out: wscat cannot send binary frames');
    expect(copied.code).toContain('# frame 6 is left out: wscat cannot send a NUL character');
    const result = await run('/bin/sh', ['-c', copied.code], { PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}` });
    expect(result.code).toBe(0);
    expect(received.get('/wscat')).toEqual(expected(FRAMES.filter((f) => f.opcode === 1 && !f.text.includes('\0'))));
    expect(protocolsByPath.get('/wscat')).toBe("chat.v2,it's-v1");
    expect(result.stdout).toContain('reply to /wscat');
  });

  it('websocat (a stand-in records what sh passes it): the words and input lines decode to the frames', async () => {
    const bin = mkdtempSync(join(dir, 'bin-'));
    const stub = join(bin, 'websocat');
    // Arguments NUL-separated (no argument can hold a NUL), input copied as is.
    writeFileSync(stub, `#!/bin/sh\nfor a in "$@"; do printf '%s\\0' "$a"; done > "${bin}/args"\ncat > "${bin}/input"\n`);
    chmodSync(stub, 0o755);
    const copied = copyAsCode('websocat', target('/websocat'), FRAMES, { waitMs: 100 });
    expect(copied.complete).toBe(false);
    expect(copied.code).toContain('# frame 2 is left out: websocat cannot send a text frame with a line break');
    expect(copied.code).toContain('# frame 6 is left out: websocat cannot send a NUL character');
    const result = await run('/bin/sh', ['-c', copied.code], { PATH: `${bin}:${process.env.PATH}` });
    expect(result.code).toBe(0);
    const args = readFileSync(join(bin, 'args'), 'utf8').split('\0').slice(0, -1);
    expect(args).toEqual(['--linemode-strip-newlines', '--text-prefix', 't:', '--binary-prefix', 'b:', '--base64', '--protocol', "chat.v2, it's-v1", target('/websocat').url]);
    const lines = readFileSync(join(bin, 'input'), 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const decoded = lines.map((line) => (line.startsWith('b:') ? { binary: true, hex: Buffer.from(line.slice(2), 'base64').toString('hex') } : { binary: false, hex: Buffer.from(line.slice(2)).toString('hex') }));
    expect(lines.every((l) => /^[tb]:/.test(l))).toBe(true);
    expect(decoded).toEqual(expected(FRAMES.filter((f) => f.opcode === 2 || !/[\n\r\0]/.test(f.text))));
  });
});
