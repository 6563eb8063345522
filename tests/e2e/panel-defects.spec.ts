/**
 * The panel defects of issue #23 ("Defects found"), each checked in real Chromium with the panel opened as a tab
 * (panel.html?tabId=<n>) against a live page and a real ws server: the replay target follows the chosen frames,
 * invalid JSON is never sent silently, every held frame can be forwarded or dropped at once, turning "Pause all"
 * off lets go of what it held, dialogs behave as dialogs, and accessible names do not run together.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect, framesOf, openLoggingPage, waitForStore, type TestServer } from './fixtures';

async function openPanel(context: BrowserContext, extensionId: string, tabId: number): Promise<Page> {
  const panel = await context.newPage();
  await panel.goto(`chrome-extension://${extensionId}/panel.html?tabId=${tabId}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

const got = (page: Page) => page.evaluate(() => (window as any).got as unknown[][]);
const sendFromPage = (page: Page, items: string[]) => page.evaluate((list) => list.forEach((item) => (window as any).ws.send(item)), items);
const serverTexts = (server: TestServer) => server.received.map((m) => m.data.toString());

test('replay: the target URL follows the connection the chosen messages came from, and asks when they come from several', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/echo?first');
  await page.evaluate((origin) => new Promise((resolve) => {
    (window as any).ws2 = new WebSocket(`${origin}/echo?second`);
    (window as any).ws2.onopen = resolve;
  }), server.wsOrigin);
  await sendFromPage(page, ['one-a']);
  await page.evaluate(() => ['two-a', 'two-b'].forEach((m) => (window as any).ws2.send(m)));
  await waitForStore(sw, (s) => s.frames.filter((f) => f.dir === 'send').length === 3);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await expect(panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /All connections/ })).toHaveAttribute('aria-selected', 'true');

  // Only connection #2's messages shown: the target is #2's URL, not #1's.
  await panel.getByRole('searchbox', { name: 'Filter messages' }).fill('two-');
  await panel.getByRole('button', { name: 'Replay…' }).click();
  const dialog = panel.getByRole('dialog', { name: 'Replay messages' });
  await dialog.getByRole('radio', { name: /Sent messages shown in the list/ }).check();
  const url = dialog.getByRole('textbox', { name: 'URL' });
  await expect(url).toHaveValue(`${server.wsOrigin}/echo?second`);
  await expect(dialog.getByRole('combobox', { name: 'Target connection' })).toHaveCount(0);

  // Messages of both connections shown: the dialog asks which one to replay to.
  await panel.getByRole('searchbox', { name: 'Filter messages' }).fill('');
  const target = dialog.getByRole('combobox', { name: 'Target connection' });
  await expect(target).toBeVisible();
  await expect(dialog.getByRole('alert')).toHaveText('These messages come from 2 connections: choose which one to replay to.');
  await expect(dialog.getByRole('button', { name: 'Start replay' })).toBeDisabled();
  await target.selectOption({ label: `#1 ${server.wsOrigin}/echo?first` });
  await expect(url).toHaveValue(`${server.wsOrigin}/echo?first`);
  await expect(dialog.getByRole('button', { name: 'Start replay' })).toBeEnabled();
  await dialog.getByRole('combobox', { name: 'Timing' }).selectOption('fast');
  await dialog.getByRole('button', { name: 'Start replay' }).click();
  await expect(dialog.getByRole('status', { name: 'Replay status' })).toHaveText('Replay done: 3 of 3 sent', { timeout: 20_000 });

  // The replay connection's name keeps its parts apart, and its duration never reads negative.
  const replay = panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /^#3, replay, ws:\/\// });
  await expect(replay).toHaveCount(1);
  for (let i = 0; i < 4; i++) {
    expect(await replay.textContent()).not.toMatch(/-\d+(\.\d+)? (ms|s)\b/);
    await panel.waitForTimeout(300);
  }
});

test('invalid JSON is only sent after a deliberate "Send as text anyway", in the composer and the resend editor', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /\/echo/ }).click();
  await panel.getByText('Compose on connection #1').click();
  const composer = panel.getByRole('region', { name: 'Composer' });
  await composer.getByRole('textbox', { name: 'Message to compose' }).fill('{"broken": ');
  await expect(composer.getByRole('alert')).toContainText('Invalid JSON');
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect(composer.getByRole('alert').filter({ hasText: /^Not sent: Invalid JSON/ })).toBeVisible();
  await panel.waitForTimeout(300);
  expect(server.received).toEqual([]);
  await composer.getByRole('checkbox', { name: 'Send as text anyway' }).check();
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['{"broken": ']);

  // The row it made: a clean name, the mark apart from the payload.
  const row = panel.getByRole('row', { name: /sent by inspector: \{"broken":$/ });
  await expect(row).toHaveCount(1);
  await row.click();
  const details = panel.getByRole('region', { name: 'Message details' });
  await details.getByRole('button', { name: 'Edit & resend' }).click();
  const editor = details.getByRole('region', { name: 'Edit and resend' });
  await editor.getByRole('textbox', { name: 'Message to send' }).fill('[1, 2');
  await editor.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(editor.getByRole('alert').filter({ hasText: /^Not sent: Invalid JSON/ })).toBeVisible();
  await panel.waitForTimeout(300);
  expect(serverTexts(server)).toEqual(['{"broken": ']);
  await editor.getByRole('checkbox', { name: 'Send as text anyway' }).check();
  await editor.getByRole('button', { name: 'Send', exact: true }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['{"broken": ', '[1, 2']);
});

test('held frames: each socket and direction with its count, forwarded or dropped all at once with what queued behind', async ({ page, server, sw, context, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('button', { name: 'Pause all' }).click();
  await expect(panel.getByRole('button', { name: 'Pause all' })).toHaveAttribute('aria-pressed', 'true');
  await page.waitForTimeout(300); // the rules travel on to the page
  await sendFromPage(page, ['q1', 'q2', 'q3']);
  const held = panel.getByRole('region', { name: 'Held frames' });
  const outgoing = held.getByRole('group', { name: /^Held outgoing on connection #1: 1 frame$/ });
  await expect(outgoing.getByRole('article')).toHaveCount(1);

  // An edit that is not valid JSON is not forwarded silently either.
  const hold = outgoing.getByRole('article', { name: 'Held outgoing frame on connection #1' });
  await hold.getByRole('textbox', { name: 'Held frame payload' }).fill('{"q1": ');
  await hold.getByRole('button', { name: 'Forward' }).click();
  await expect(held.getByRole('alert').filter({ hasText: /^Not forwarded: Invalid JSON/ })).toBeVisible();
  await hold.getByRole('textbox', { name: 'Held frame payload' }).fill('q1');

  await held.getByRole('button', { name: 'Forward all held outgoing on connection #1' }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['q1', 'q2', 'q3']);
  // The echoes are held in turn (Pause all holds both ways): drop them all, and the page gets none.
  await expect(held.getByRole('group', { name: /^Held incoming on connection #1/ })).toBeVisible();
  await held.getByRole('button', { name: 'Drop all held incoming on connection #1' }).click();
  await expect(held).toHaveCount(0);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'receive').length === 3);
  expect(framesOf(store, connectionId).filter((f) => f.dir === 'receive').map((f) => [f.text, f.status])).toEqual([
    ['q1', 'blocked'], ['q2', 'blocked'], ['q3', 'blocked'],
  ]);
  expect(await got(page)).toEqual([]);
});

test('turning "Pause all" off lets go of what it holds; "Stop pausing, keep held" keeps them', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const pause = panel.getByRole('button', { name: 'Pause all' });
  const held = panel.getByRole('region', { name: 'Held frames' });
  await pause.click();
  await page.waitForTimeout(300);
  await sendFromPage(page, ['r1', 'r2']);
  await expect(held.getByRole('article', { name: /outgoing/ })).toHaveCount(1);
  await pause.click();
  await expect(pause).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => serverTexts(server)).toEqual(['r1', 'r2']);
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toEqual(['r1', 'r2']);
  await expect(held).toHaveCount(0);

  await pause.click();
  await page.waitForTimeout(300);
  await sendFromPage(page, ['k1']);
  await expect(held.getByRole('article', { name: /outgoing/ })).toHaveCount(1);
  await panel.getByRole('button', { name: 'Stop pausing, keep held' }).click();
  await expect(pause).toHaveAttribute('aria-pressed', 'false');
  await page.waitForTimeout(500);
  expect(serverTexts(server)).toEqual(['r1', 'r2']);
  await held.getByRole('article', { name: /outgoing/ }).getByRole('button', { name: 'Forward' }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['r1', 'r2', 'k1']);
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toEqual(['r1', 'r2', 'k1']);
});

test('dialogs: one at a time, below the filter bar; Escape closes them and focus goes back', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const rulesButton = panel.getByRole('button', { name: /^Rules/ });
  const replayButton = panel.getByRole('button', { name: 'Replay…' });
  const rules = panel.getByRole('dialog', { name: 'Intercept rules' });
  const replay = panel.getByRole('dialog', { name: 'Replay messages' });

  await rulesButton.click();
  await expect(rules).toBeVisible();
  const filterBar = await panel.getByRole('search', { name: 'Message filters' }).boundingBox();
  expect((await rules.boundingBox())!.y).toBeGreaterThanOrEqual(filterBar!.y + filterBar!.height);
  await panel.keyboard.press('Escape');
  await expect(rules).toBeHidden();
  await expect(rulesButton).toBeFocused();

  await rulesButton.click();
  await replayButton.click();
  await expect(replay).toBeVisible();
  await expect(rules).toBeHidden();
  await expect(rulesButton).toHaveAttribute('aria-expanded', 'false');
  expect((await replay.boundingBox())!.y).toBeGreaterThanOrEqual(filterBar!.y + filterBar!.height);
  await replay.getByRole('textbox', { name: 'URL' }).click();
  await panel.keyboard.press('Escape');
  await expect(replay).toBeHidden();
  await expect(replayButton).toBeFocused();
  await expect(replayButton).toHaveAttribute('aria-expanded', 'false');
});
