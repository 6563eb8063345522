/**
 * Settings in one place (issue #23): each setting is stored, shows its default, and is what the code that uses it
 * reads: the grid's time format (with the toolbar's toggle), the theme, the retention caps the store enforces, the
 * hold timeout holds use. Real Chromium with the built extension, the panel as a tab, a real ws server.
 */
import type { Locator, Worker } from '@playwright/test';
import { test, expect, waitForStore, openLoggingPage } from './fixtures';
import { echoPage, openPanel, openSettings, rowWith, sendFromPage, storedSetting } from './panel-helpers';


/** The retention record in the extension's database, read in the service worker (what the store enforces). */
const storedRetention = (sw: Worker) =>
  sw.evaluate(async () => {
    const open = indexedDB.open('websocket-inspector');
    open.onupgradeneeded = () => open.transaction?.abort();
    const db: IDBDatabase = await new Promise((res, rej) => {
      open.onsuccess = () => res(open.result);
      open.onerror = () => rej(open.error);
    });
    const req = db.transaction('settings').objectStore('settings').get('retention');
    const value = await new Promise((res, rej) => {
      req.onsuccess = () => res(req.result);
      req.onerror = () => rej(req.error);
    });
    db.close();
    return value;
  });

const CLOCK = /^\d\d:\d\d:\d\d\.\d{3}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const EPOCH = /^1\d{12}$/;
const RELATIVE = /^\+\d+\.\d{3} s$/;
/** The row's time cell, whatever the column order: the one cell whose whole text is a time in `format`. */
const timeCell = (row: Locator, format: RegExp) => row.getByRole('gridcell').filter({ hasText: format });

test('time format: the grid’s times follow the setting, survive a reload, and agree with the toolbar’s toggle', async ({ page, server, context, ext, sw }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  await sendFromPage(page, ['timed']);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const row = rowWith(panel, 'timed').first();
  await expect(timeCell(row, CLOCK)).toHaveCount(1);
  await expect(timeCell(row, ISO)).toHaveCount(0);

  const dialog = await openSettings(panel);
  await expect(dialog.getByRole('radio', { name: /^Clock.*\(default\)$/ })).toBeChecked();
  await dialog.getByRole('radio', { name: /^ISO 8601/ }).check();
  await expect(timeCell(row, ISO)).toHaveCount(1);
  await expect(timeCell(row, CLOCK)).toHaveCount(0);
  await dialog.getByRole('radio', { name: /^Milliseconds since 1970/ }).check();
  await expect(timeCell(row, EPOCH)).toHaveCount(1);
  await dialog.getByRole('radio', { name: /^ISO 8601/ }).check();
  await dialog.getByRole('button', { name: 'Close settings' }).click();
  await expect.poll(async () => ((await storedSetting(panel, 'panelPreferences')) as { timeMode?: string } | undefined)?.timeMode).toBe('iso');

  await panel.reload();
  await expect(timeCell(rowWith(panel, 'timed').first(), ISO)).toHaveCount(1);
  // The toolbar's toggle and the setting are one value.
  const toggle = panel.getByRole('toolbar', { name: 'Capture' }).getByRole('button', { name: 'Relative time' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(timeCell(rowWith(panel, 'timed').first(), RELATIVE)).toHaveCount(1);
  const again = await openSettings(panel);
  await expect(again.getByRole('radio', { name: /^Relative to the connection/ })).toBeChecked();
  await again.getByRole('radio', { name: /^Clock/ }).check();
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await expect(timeCell(rowWith(panel, 'timed').first(), CLOCK)).toHaveCount(1);
});

test('theme override: dark wins over a light system, is stored, and "Follow DevTools" returns to the system', async ({ context, ext }) => {
  const panel = await context.newPage();
  await panel.emulateMedia({ colorScheme: 'light' });
  await panel.goto(`chrome-extension://${ext.extensionId}/panel.html`);
  await expect(panel.locator('html')).toHaveAttribute('data-theme', 'light');
  const dialog = await openSettings(panel);
  const theme = dialog.getByRole('combobox', { name: 'Theme' });
  await expect(theme).toHaveValue('devtools');
  await expect(theme.getByRole('option', { name: 'Follow DevTools (default)' })).toHaveCount(1);
  await theme.selectOption('dark');
  await expect(panel.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await panel.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(32, 33, 36)');
  await expect.poll(() => storedSetting(panel, 'themeOverride')).toBe('dark');
  await panel.reload();
  await expect(panel.locator('html')).toHaveAttribute('data-theme', 'dark');
  const again = await openSettings(panel);
  await again.getByRole('combobox', { name: 'Theme' }).selectOption('devtools');
  await expect(panel.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('retention: invalid caps are refused; max sessions 2 is what the store enforces (a third session evicts the oldest)', async ({ page, server, context, ext, sw }) => {
  test.slow(); // retention runs 10 s after the first write
  const panel = await openPanel(context, ext.extensionId, null);
  const dialog = await openSettings(panel);
  const maxSessions = dialog.getByRole('textbox', { name: 'Max sessions' });
  await expect(maxSessions).toHaveValue('100');
  await expect(maxSessions).toHaveAccessibleDescription('default 100');
  await expect(dialog.getByRole('textbox', { name: 'Max total size (MiB)' })).toHaveValue('1024');
  await expect(dialog.getByRole('textbox', { name: 'Max size per session (MiB)' })).toHaveValue('256');

  await maxSessions.fill('two');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Not saved: Max sessions must be a whole number from 1 to 100,000.');
  await maxSessions.fill('2');
  await dialog.getByRole('textbox', { name: 'Max size per session (MiB)' }).fill('2000');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Not saved: Max size per session cannot be more than the max total size.');
  expect(await storedRetention(sw)).toBeUndefined(); // nothing invalid was saved
  await dialog.getByRole('textbox', { name: 'Max size per session (MiB)' }).fill('256');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('Saved.');
  expect(await storedRetention(sw)).toEqual({ maxSessions: 2, maxBytes: 1024 ** 3, maxSessionBytes: 256 * 1024 ** 2 });

  // Three page loads, each a session with a message: the oldest goes, the page's own stays.
  for (const name of ['first', 'second', 'third']) {
    await echoPage(page, server, `/${name}.html`);
    await sendFromPage(page, [name]);
    await waitForStore(sw, (s) => s.sessions.some((x) => String(x.pageUrl).endsWith(`/${name}.html`) && x.frameCount >= 2));
  }
  const store = await waitForStore(sw, (s) => s.sessions.length === 2, 40_000);
  expect(store.sessions.map((s) => new URL(String(s.pageUrl)).pathname).sort()).toEqual(['/second.html', '/third.html']);

  await dialog.getByRole('button', { name: 'Reset to defaults' }).click();
  await expect(maxSessions).toHaveValue('100');
  await expect.poll(() => storedRetention(sw)).toEqual({ maxSessions: 100, maxBytes: 1024 ** 3, maxSessionBytes: 256 * 1024 ** 2 });
});

test('hold timeout: set in Settings, shown by the rules view, and used by holds', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const dialog = await openSettings(panel);
  const timeout = dialog.getByRole('textbox', { name: 'Hold timeout (seconds)' });
  await expect(timeout).toHaveValue('30');
  await expect(timeout).toHaveAccessibleDescription('default 30');
  await timeout.fill('0');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Not saved: The hold timeout must be a number of seconds from 0.1 to 3600.');
  await timeout.fill('0.5');
  await dialog.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(dialog.getByRole('status')).toHaveText('Saved.');
  await dialog.getByRole('button', { name: 'Close settings' }).click();

  await panel.getByRole('button', { name: /^Rules/ }).click();
  const rules = panel.getByRole('dialog', { name: 'Intercept rules' });
  await expect(rules.getByRole('spinbutton', { name: 'Hold timeout (seconds)' })).toHaveValue('0.5');
  await rules.getByRole('button', { name: 'Close rules' }).click();

  await panel.getByRole('button', { name: 'Pause all' }).click();
  await page.waitForTimeout(300);
  await sendFromPage(page, ['patient']);
  await expect.poll(() => server.received.map((m) => m.data.toString())).toEqual(['patient']);
  const store = await waitForStore(sw, (s) => s.frames.filter((f) => f.note === 'released after the hold timeout').length === 2);
  expect(store.frames.filter((f) => f.note === 'released after the hold timeout').map((f) => [f.dir, f.text])).toEqual([['send', 'patient'], ['receive', 'patient']]);

  // A fresh panel reads it back from the background.
  await panel.reload();
  const reopened = await openSettings(panel);
  await expect(reopened.getByRole('textbox', { name: 'Hold timeout (seconds)' })).toHaveValue('0.5');
});
