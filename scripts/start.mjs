#!/usr/bin/env node
/**
 * `npm start`: build the extension, start the demo app (demo/server.mjs) and open it in Debian's Chromium with
 * the extension loaded.
 *
 * - With a display: headed Chromium with DevTools open on the demo page; pick the "WebSockets" panel. Runs until
 *   the browser is closed or Ctrl-C.
 * - Without one (a server, CI): headless. Drives the demo (chat messages, a few seconds of ticker), opens the panel
 *   as a tab, selects a JSON message, saves a screenshot and an export made with the panel's Export control, prints
 *   a summary and exits 0.
 *
 * Flags: --no-build (use the build already in $WXT_OUT_DIR or .output), --headless (even with a display),
 * --out-dir <dir> (default demo-output), --seconds <n> (ticker time in the headless run, default 4),
 * --port <n> (demo server port, default a free one), --help.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { startDemoServer } from '../demo/server.mjs';

const USAGE = `Usage: npm start [-- options]   (or: node scripts/start.mjs [options])

Builds the extension, starts the demo app on 127.0.0.1 and opens it in Chromium with the extension loaded.

  --no-build       skip "wxt build" and use the build in $WXT_OUT_DIR (default .output)
  --headless       run the headless demo even when a display is available
  --out-dir <dir>  where the headless run writes panel.png and session.wsi.json (default demo-output)
  --seconds <n>    how long the headless run lets the ticker run (default 4)
  --port <n>       demo server port (default: a free one)
  --help           this text

Environment: CHROMIUM_PATH (default /usr/bin/chromium), WXT_OUT_DIR (default .output).`;

/** A failure the user can act on: printed without a stack trace. */
class StartError extends Error {}

function parseArgs(argv) {
  const options = { build: true, headless: false, outDir: 'demo-output', seconds: 4, port: 0, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined || next.startsWith('--')) throw new StartError(`${arg} needs a value.\n\n${USAGE}`);
      return next;
    };
    const number = (min) => {
      const raw = value();
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min) throw new StartError(`${arg} needs a whole number ≥ ${min}, got "${raw}".`);
      return n;
    };
    if (arg === '--no-build') options.build = false;
    else if (arg === '--headless') options.headless = true;
    else if (arg === '--out-dir') options.outDir = value();
    else if (arg === '--seconds') options.seconds = number(1);
    else if (arg === '--port') options.port = number(0);
    else if (arg === '--help' || arg === '-h') options.help = true;
    else throw new StartError(`Unknown option: ${arg}\n\n${USAGE}`);
  }
  return options;
}

const chromiumPath = () => process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const outputRoot = () => resolve(process.env.WXT_OUT_DIR || '.output');
const extensionDir = () => join(outputRoot(), 'chrome-mv3');
const hasDisplay = () => Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
const show = (path) => relative(process.cwd(), path) || path;

// The flags the e2e harness uses (tests/e2e/fixtures.ts), so the demo runs the extension the way the tests do.
function chromiumArgs(extDir) {
  return [
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    `--disable-extensions-except=${extDir}`,
    `--load-extension=${extDir}`,
  ];
}

function checkChromium() {
  const path = chromiumPath();
  if (!existsSync(path)) {
    throw new StartError(
      `Chromium not found at ${path}.\n` +
        `Install Debian's Chromium:  sudo apt-get install -y chromium\n` +
        `or point CHROMIUM_PATH at your Chromium or Chrome:  CHROMIUM_PATH=/path/to/chrome npm start`,
    );
  }
  return path;
}

function build() {
  console.log(`Building the extension (wxt build → ${show(outputRoot())}/chrome-mv3)…`);
  const result = spawnSync('npx', ['wxt', 'build'], { stdio: 'inherit', env: process.env });
  if (result.error) throw new StartError(`Could not run "npx wxt build": ${result.error.message}. Did "npm install" run?`);
  if (result.status !== 0) throw new StartError(`"wxt build" failed (exit code ${result.status}); see its output above.`);
}

function checkBuild() {
  const dir = extensionDir();
  if (!existsSync(join(dir, 'manifest.json'))) {
    throw new StartError(`No built extension in ${show(dir)} (no manifest.json). Run "npm start" without --no-build, or set WXT_OUT_DIR to a build.`);
  }
  return dir;
}

async function launch(executablePath, extDir, headless, extraArgs = []) {
  const { chromium } = await import('@playwright/test');
  const profile = mkdtempSync(join(tmpdir(), 'wsi-demo-profile-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless,
      viewport: headless ? { width: 1280, height: 800 } : null,
      args: [...chromiumArgs(extDir), ...extraArgs],
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw new StartError(`Chromium (${executablePath}) did not start: ${error.message.split('\n')[0]}\nCheck that it runs ("${executablePath} --version"), or set CHROMIUM_PATH.`);
  }
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 20_000 }));
  const close = async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, worker, extensionId: new URL(worker.url()).host, close };
}

function printByHand(demoUrl) {
  console.log(`
To use it on a machine with a display: run "npm start" there (DISPLAY or WAYLAND_DISPLAY set). Chromium opens
the demo with DevTools open; pick the "WebSockets" panel (it may sit behind the » overflow menu).

To load the extension by hand in your own Chrome or Chromium:
  1. npm run build
  2. open chrome://extensions, turn on Developer mode, "Load unpacked", choose ${show(extensionDir())}
  3. serve the demo: node demo/server.mjs 8080   and open http://127.0.0.1:8080/
  4. open DevTools (F12) → WebSockets
${demoUrl ? `(This run's demo server was ${demoUrl}; it stops when this command exits.)\n` : ''}`);
}

async function runHeaded(executablePath, extDir, server) {
  const browser = await launch(executablePath, extDir, false, ['--auto-open-devtools-for-tabs']);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(server.url);
  console.log(`
Chromium is open on the demo (${server.url}) with the extension loaded and DevTools open.
In DevTools, pick the "WebSockets" panel (maybe behind »). Type in the chat, watch the ticker.
Close the browser or press Ctrl-C here to stop.`);
  await new Promise((done) => {
    browser.context.on('close', done);
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await browser.close();
}

/** The page's tab id, as the background knows it: the active tab after bringing the page to the front. */
async function tabIdOf(page, worker) {
  await page.bringToFront();
  return worker.evaluate(async () => {
    const [tab] = await globalThis.chrome.tabs.query({ active: true, lastFocusedWindow: true });
    return tab?.id ?? null;
  });
}

/** What an exported .wsi.json holds, in numbers a person can check against the panel. */
function summarise(file) {
  const lines = [];
  let sent = 0;
  let received = 0;
  let text = 0;
  let binary = 0;
  for (const connection of file.connections) {
    const frames = connection.rows.filter((row) => row.kind === 'frame');
    const out = frames.filter((row) => row.dir === 'send').length;
    sent += out;
    received += frames.length - out;
    text += frames.filter((row) => row.opcode === 1).length;
    binary += frames.filter((row) => row.opcode === 2).length;
    const closed = connection.closeCode === undefined || connection.closeCode === null ? connection.state : `closed ${connection.closeCode} "${connection.closeReason ?? ''}"`;
    lines.push(`    ${connection.url}${connection.protocol ? ` [${connection.protocol}]` : ''}: ${out} sent, ${frames.length - out} received, ${closed}`);
  }
  return { sent, received, text, binary, lines };
}

async function runHeadless(executablePath, extDir, server, options) {
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const screenshotPath = join(outDir, 'panel.png');
  const sessionPath = join(outDir, 'session.wsi.json');
  rmSync(screenshotPath, { force: true });
  rmSync(sessionPath, { force: true });

  const browser = await launch(executablePath, extDir, true);
  let panel;
  try {
    const started = Date.now();
    const step = (text) => console.log(`  · [${((Date.now() - started) / 1000).toFixed(1)} s] ${text}`);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    step(`opening the demo at ${server.url}`);
    await page.goto(server.url);

    step('chatting: Ada and Bob type (typing indicator) and send messages');
    const say = async (user, text) => {
      const input = page.getByRole('textbox', { name: `Message as ${user}` });
      // A few real keystrokes start the typing indicator; fill() types the rest at once (keystrokes are slow).
      await input.pressSequentially(text.slice(0, 4), { delay: 20 });
      await input.fill(text);
      await page.getByRole('button', { name: `Send as ${user}` }).click();
      await page.getByRole('list', { name: `Messages seen by ${user}` }).getByText(text, { exact: true }).waitFor();
    };
    await page.getByText('online: Ada, Bob').first().waitFor();
    await say('Ada', 'Hi Bob! Is the ticker moving for you?');
    await say('Bob', 'It is. And this stays text: <img src=x onerror=alert(1)> <b>not bold</b>');

    step(`letting the ticker run for ${options.seconds} s (text, JSON and binary feeds; the news feed is rotated by the server)`);
    await page.waitForTimeout(options.seconds * 1000);
    // At least one server-side close with a code and reason, and the reconnect after it.
    await page.getByText('(connection 2)').or(page.getByText('reconnecting…')).first().waitFor({ timeout: 20_000 });

    const tabId = await tabIdOf(page, browser.worker);
    if (tabId === null) throw new StartError('Could not find the demo tab id in the extension service worker.');
    step(`opening the panel as a tab: chrome-extension://${browser.extensionId}/panel.html?tabId=${tabId}`);
    panel = await browser.context.newPage();
    await panel.goto(`chrome-extension://${browser.extensionId}/panel.html?tabId=${tabId}`);
    await panel.getByRole('status', { name: 'Connection to the extension' }).filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
    const grid = panel.getByRole('grid', { name: 'Messages' });
    const rows = grid.getByRole('row').filter({ has: panel.getByRole('gridcell') });
    await rows.first().waitFor({ timeout: 20_000 });

    // Ada's chat connection is quiet once the chat is over, so its rows hold still while we click (the "All
    // connections" view keeps moving with the ticker).
    step("selecting Ada's chat connection and Bob's JSON message in it, so the detail pane shows the JSON tree");
    await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /\/chat/ }).first().click();
    await rows.filter({ hasText: 'not bold' }).first().click();
    await panel.getByRole('region', { name: 'Message details' }).getByRole('tree', { name: 'JSON tree' }).waitFor({ timeout: 20_000 });
    await panel.screenshot({ path: screenshotPath });
    step(`screenshot saved`);

    step('exporting the whole session with the panel\'s Export control (.wsi.json)');
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    const exportOptions = panel.getByRole('group', { name: 'Export options' });
    await exportOptions.getByRole('radio', { name: 'Whole session' }).check();
    await exportOptions.getByRole('radio', { name: /\.wsi\.json/ }).check();
    const [download] = await Promise.all([panel.waitForEvent('download', { timeout: 30_000 }), exportOptions.getByRole('button', { name: 'Download' }).click()]);
    const failure = await download.failure();
    if (failure) throw new StartError(`The export download failed: ${failure}`);
    await download.saveAs(sessionPath);

    const file = JSON.parse(readFileSync(sessionPath, 'utf8'));
    const summary = summarise(file);
    console.log(`
Captured ${file.connections.length} connections and ${summary.sent + summary.received} frames (${summary.sent} sent, ${summary.received} received; ${summary.text} text, ${summary.binary} binary):
${summary.lines.join('\n')}

Panel screenshot:  ${screenshotPath}
Exported session:  ${sessionPath}

Open the export in the panel with Import, or replay Ada's chat against the demo server from the command line:
  node demo/server.mjs 8080 &
  npx ws-inspector replay ${show(sessionPath)} --url ws://127.0.0.1:8080/chat --connection chat --timing none`);
  } catch (error) {
    // What the panel showed when it went wrong is the best clue; a hung page cannot be captured, so do not wait long.
    if (panel) {
      const errorShot = join(outDir, 'panel-error.png');
      await panel.screenshot({ path: errorShot, timeout: 5_000 }).then(
        () => console.error(`The panel as it was when this failed: ${errorShot}`),
        () => console.error('The panel page did not respond to a screenshot either (its main thread may be busy).'),
      );
    }
    throw error;
  } finally {
    await browser.close();
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const executablePath = checkChromium();
  if (options.build) build();
  const extDir = checkBuild();
  const server = await startDemoServer({ port: options.port });
  try {
    console.log(`Demo app running at ${server.url}`);
    if (hasDisplay() && !options.headless) {
      await runHeaded(executablePath, extDir, server);
    } else {
      console.log(
        options.headless
          ? 'Headless run (--headless): driving the demo, then saving a panel screenshot and an exported session.'
          : 'No display found (DISPLAY and WAYLAND_DISPLAY are unset), so Chromium runs headless: driving the demo,\nthen saving a panel screenshot and an exported session.',
      );
      await runHeadless(executablePath, extDir, server, options);
      printByHand();
    }
  } finally {
    await server.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    if (error instanceof StartError) console.error(`\nnpm start: ${error.message}`);
    else console.error(`\nnpm start failed:`, error);
    process.exit(1);
  },
);
