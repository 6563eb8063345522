/**
 * Copy as code from the panel (#13 "Done when"): in real Chromium with the panel opened as a tab, the code copied
 * from the dialog (read back from the clipboard) is run as is against a local ws server: the Node script with the
 * repo's `ws`, the Python script with Debian's python3-websockets, the wscat command from node_modules/.bin with
 * `sh -c`; the server must receive the frames the page sent, in order, with the same subprotocol.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { test, expect, openLoggingPage, waitForStore, type TestServer } from './fixtures';
import { openPanel, rowWith, sendFromPage } from './panel-helpers';

const run = promisify(execFile);
const clipboard = (panel: Page) => panel.evaluate(() => navigator.clipboard.readText());
const dialog = (panel: Page) => panel.getByRole('dialog', { name: 'Copy as code' });
const menu = (panel: Page) => panel.getByRole('menu', { name: 'Message actions' });

/** The page's frames, text and binary, with what shells and string literals must quote. */
const TEXTS = ['{"op":"hello","n":1}', `it's "quoted" $HOME \`id\` \\n héllo ☃ 😀`, '-starts-with-dash'];
const BINARY = [0x00, 0x01, 0xfe, 0xff];

/** Copies one format's code from the open dialog; returns what the clipboard holds. */
async function copyFormat(panel: Page, label: string): Promise<string> {
  await panel.evaluate(() => navigator.clipboard.writeText(''));
  await dialog(panel).getByRole('button', { name: `Copy ${label}` }).click();
  await expect(panel.getByRole('status').filter({ hasText: `Copied the ${label}.` })).toBeVisible();
  await expect.poll(() => clipboard(panel)).not.toBe('');
  return clipboard(panel);
}

/** Runs `code` saved as `file`; resolves with what the server received from it (its own connection). */
async function runAgainst(server: TestServer, before: number, file: string, code: string, command: (path: string) => [string, string[]]) {
  const dir = mkdtempSync(join(tmpdir(), 'wsi-code-'));
  const path = join(dir, file);
  writeFileSync(path, code);
  const [bin, args] = command(path);
  const env = { ...process.env, NODE_PATH: resolve('node_modules'), PATH: `${resolve('node_modules/.bin')}:${process.env.PATH}` };
  await run(bin, args, { env, timeout: 30_000 });
  return server.received.slice(before).map((m) => (m.isBinary ? [...m.data] : m.data.toString()));
}

function offeredProtocols(server: TestServer): Array<string | undefined> {
  const seen: Array<string | undefined> = [];
  server.wss.on('connection', (_socket, req) => seen.push(req.headers['sec-websocket-protocol']));
  return seen;
}

test('copy a connection as code: the Node, Python and wscat code copied from the panel send the same frames, in order', async ({ page, server, sw, context, ext }) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const url = server.page('/proto.html', `<!doctype html><script>
    window.ws = new WebSocket('${server.wsOrigin}/quiet', ['chat.v1']);
    window.opened = new Promise((r) => ws.onopen = r);
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).opened);
  await sendFromPage(page, [...TEXTS, BINARY]);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 4);
  const tabId = (await waitForStore(sw, (s) => s.sessions.length > 0)).sessions[0].tabId!;
  const sent = server.received.map((m) => (m.isBinary ? [...m.data] : m.data.toString()));
  expect(sent).toEqual([...TEXTS, BINARY]);
  const protocols = offeredProtocols(server);
  const panel = await openPanel(context, ext.extensionId, tabId);

  // All connections selected: nothing to copy yet.
  const copyButton = panel.getByRole('toolbar', { name: 'Connection actions' }).getByRole('button', { name: 'Copy as code…' });
  await expect(copyButton).toBeDisabled();
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option').filter({ hasText: '/quiet' }).click();
  await copyButton.click();
  await expect(dialog(panel).getByRole('status', { name: 'What is copied' })).toHaveText(`4 frames: the messages connection #1 sent, to ${server.wsOrigin}/quiet.`);
  await expect(dialog(panel).getByRole('heading')).toHaveText([
    'Copy as code',
    'websocat command',
    'wscat command',
    'JavaScript (browser)',
    'JavaScript (Node, ws)',
    'Python (websockets)',
    'ws-inspector replay command',
  ]);
  await expect(dialog(panel).getByRole('list', { name: 'Notes on the wscat command' })).toContainText('Frame 4 is left out: wscat cannot send binary frames.');
  // The code is shown as text, selectable.
  await expect(dialog(panel).getByLabel('JavaScript (Node, ws) code')).toContainText("require('ws')");

  let before = server.received.length;
  const node = await copyFormat(panel, 'JavaScript (Node, ws)');
  expect(await runAgainst(server, before, 'replay.cjs', node, (p) => ['node', [p]])).toEqual([...TEXTS, BINARY]);

  before = server.received.length;
  const python = await copyFormat(panel, 'Python (websockets)');
  expect(await runAgainst(server, before, 'replay.py', python, (p) => ['/usr/bin/python3', [p]])).toEqual([...TEXTS, BINARY]);

  before = server.received.length;
  const wscat = await copyFormat(panel, 'wscat command');
  expect(await runAgainst(server, before, 'wscat.sh', wscat, (p) => ['sh', [p]])).toEqual(TEXTS);

  // Each asked for the page's subprotocol.
  expect(protocols).toEqual(['chat.v1', 'chat.v1', 'chat.v1']);
});

test('copy messages as code from the row menu: one message, or the sent messages from the marked one to here', async ({ page, server, sw, context, ext }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const { tabId } = await openLoggingPage(page, server, sw, '/echo');
  await sendFromPage(page, ['one', 'two', 'three', 'four']);
  // Echoed: 4 sent and 4 received frames.
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 8);
  const panel = await openPanel(context, ext.extensionId, tabId);
  // A sent frame comes before its echo.
  const sentRow = (text: string) => rowWith(panel, text).first();

  await sentRow('three').click({ button: 'right' });
  await menu(panel).getByRole('menuitem', { name: 'Copy sent messages from marked to here as code…' }).focus();
  await expect(menu(panel).getByRole('menuitem', { name: 'Copy sent messages from marked to here as code…' })).toHaveAccessibleDescription(
    'Mark the first or last message for compare first',
  );
  await menu(panel).getByRole('menuitem', { name: 'Copy as code…' }).click();
  await expect(dialog(panel).getByRole('status', { name: 'What is copied' })).toHaveText(/^1 frame: message \d+ of #1, to /);
  await panel.keyboard.press('Escape');

  await sentRow('two').click({ button: 'right' });
  await menu(panel).getByRole('menuitemcheckbox', { name: 'Mark for compare' }).click();
  await sentRow('four').click({ button: 'right' });
  await menu(panel).getByRole('menuitem', { name: 'Copy sent messages from marked to here as code…' }).click();
  await expect(dialog(panel).getByRole('status', { name: 'What is copied' })).toHaveText(/^3 frames: the messages #1 sent from \d+ to \d+, to /);
  const before = server.received.length;
  const node = await copyFormat(panel, 'JavaScript (Node, ws)');
  // The echoes in between are not sent again: only the page's frames from "two" to "four".
  expect(await runAgainst(server, before, 'replay.cjs', node, (p) => ['node', [p]])).toEqual(['two', 'three', 'four']);
});
