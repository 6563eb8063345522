/**
 * `npm start`'s headless path, run as a user without a display would: scripts/start.mjs drives the bundled demo
 * in Chromium with the built extension, opens the panel, saves a screenshot and exports the session with the
 * panel's Export control. The export is read back with the same parser Import and the replayer use.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test, expect } from '@playwright/test';
import { EXTENSION_DIR } from './fixtures';
import { readSessionText } from '../../lib/io/formats/detect';

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/start.mjs', ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Width and height from a PNG's IHDR chunk (after the 8-byte signature and the chunk's length and type). */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

test('npm start without a display: drives the demo, saves a panel screenshot and an exported session', async () => {
  // Measured ~40 s with the 2 cores heavily shared (load average ~38); the cap leaves room for that.
  test.setTimeout(180_000);
  const outDir = mkdtempSync(join(tmpdir(), 'wsi-demo-out-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, WXT_OUT_DIR: dirname(EXTENSION_DIR) };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const result = await run(['--no-build', '--out-dir', outDir, '--seconds', '2'], env);
    expect(result.code, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('No display found');
    expect(result.stdout).toContain(`Panel screenshot:  ${join(outDir, 'panel.png')}`);
    expect(result.stdout).toContain(`Exported session:  ${join(outDir, 'session.wsi.json')}`);
    expect(result.stdout).toContain('Load unpacked');

    expect(pngSize(readFileSync(join(outDir, 'panel.png')))).toEqual({ width: 1280, height: 800 });

    const text = readFileSync(join(outDir, 'session.wsi.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ format: 'websocket-inspector', version: 1, scope: 'session' });
    const session = readSessionText(text); // the full validation Import runs; throws naming the problem
    const path = (url: string) => new URL(url).pathname;
    const frames = (url: string) => session.connections.filter((c) => path(c.url) === url).flatMap((c) => c.rows.filter((r) => r.kind === 'frame'));

    // Frames from several connections, of every kind the demo makes.
    const withFrames = new Set(session.connections.filter((c) => c.rows.some((r) => r.kind === 'frame')).map((c) => path(c.url)));
    expect([...withFrames].sort()).toEqual(['/chat', '/ticker/binary', '/ticker/json', '/ticker/news', '/ticker/text']);
    const chats = session.connections.filter((c) => path(c.url) === '/chat');
    expect(chats.map((c) => [c.protocols, c.protocol])).toEqual([
      [['chat.v1'], 'chat.v1'],
      [['chat.v1'], 'chat.v1'],
    ]);
    const chatFrames = frames('/chat');
    expect(chatFrames.filter((f) => f.dir === 'send').map((f) => JSON.parse(f.data!).type)).toEqual(expect.arrayContaining(['hello', 'typing', 'message']));
    expect(chatFrames.some((f) => f.dir === 'receive' && f.data!.includes('<img src=x onerror=alert(1)>'))).toBe(true);
    const binary = frames('/ticker/binary');
    expect(binary.length).toBeGreaterThan(0);
    expect(binary.every((f) => f.opcode === 2 && f.encoding === 'base64' && Buffer.from(f.data!, 'base64').length === 18)).toBe(true);
    expect(frames('/ticker/text').every((f) => f.opcode === 1 && /^[A-Z]+ \d+\.\d\d [+-]\d+\.\d\d%$/.test(f.data!))).toBe(true);
    expect(frames('/ticker/json').find((f) => f.dir === 'send')?.data).toBe('{"type":"subscribe","symbols":["ACME","GLOBX","WONKA"]}');
    // The news feed was closed by the server with a code and reason, and the page reconnected.
    const news = session.connections.filter((c) => path(c.url) === '/ticker/news');
    expect(news.length).toBeGreaterThan(1);
    expect(news[0]).toMatchObject({ state: 'closed', closeCode: 4000, closeReason: 'feed rotated, please reconnect' });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test('npm start says how to get Chromium when it is missing', async () => {
  const result = await run(['--no-build'], { ...process.env, CHROMIUM_PATH: '/nonexistent/chromium' });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('Chromium not found at /nonexistent/chromium');
  expect(result.stderr).toContain('apt-get install -y chromium');
  expect(result.stderr).toContain('CHROMIUM_PATH');
});
