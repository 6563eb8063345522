/**
 * Comparing two messages (#13 "Diff"), in real Chromium with the panel opened as a tab against a live page and a
 * real ws server: marked in the row menu, compared with another row; JSON by paths, text by lines, and the
 * "previous of its kind" shortcut. The dialog is the host's (Escape closes it, focus goes back to the row).
 */
import type { Page } from '@playwright/test';
import { test, expect, openLoggingPage, waitForStore } from './fixtures';
import { openPanel, rowWith, sendFromPage } from './panel-helpers';

const menu = (panel: Page) => panel.getByRole('menu', { name: 'Message actions' });
const item = (panel: Page, name: string | RegExp) => menu(panel).getByRole('menuitem', { name });
const markItem = (panel: Page) => menu(panel).getByRole('menuitemcheckbox', { name: 'Mark for compare' });
const dialog = (panel: Page) => panel.getByRole('dialog', { name: 'Compare messages' });

async function pick(panel: Page, row: string | RegExp, action: (p: Page) => ReturnType<typeof item>): Promise<void> {
  await rowWith(panel, row).first().click({ button: 'right' });
  await action(panel).click();
}

test('diff: mark a JSON message, compare with another: changed, added and removed paths, then side-by-side rows', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/quiet');
  await sendFromPage(page, [
    '{"user":{"name":"Ada","id":7},"tags":["a"],"old":true}',
    '{"user":{"name":"Grace","id":7},"tags":["a","b"],"new":1}',
    'first line\nsame line\nthird',
    'first line\nsame line\nTHIRD\nfourth',
  ]);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 4);
  const panel = await openPanel(context, ext.extensionId, tabId);

  // Nothing marked yet: Compare says why.
  await rowWith(panel, '"Grace"').click({ button: 'right' });
  await expect(item(panel, 'Compare with marked')).toHaveAccessibleDescription('Mark a message for compare first');
  await markItem(panel).click();
  await rowWith(panel, '"Grace"').click({ button: 'right' });
  await expect(markItem(panel)).toHaveAttribute('aria-checked', 'true');
  await expect(item(panel, /^Compare with marked/)).toHaveAccessibleDescription('This is the marked message');
  await panel.keyboard.press('Escape');

  // Mark the first one instead (left), compare the second (right) with it.
  await pick(panel, '"Ada"', markItem);
  await pick(panel, '"Grace"', (p) => item(p, /^Compare with marked \(#1 message \d+\)$/));
  const diff = dialog(panel);
  await expect(diff).toBeVisible();
  await expect(diff.getByRole('status', { name: 'Diff summary' })).toHaveText('4 changed paths: 1 changed, 2 added, 1 removed.');
  const paths = diff.getByRole('table', { name: 'Changed paths' });
  await expect(paths.getByRole('row', { name: /\$\.user\.name changed "Ada" "Grace"/ })).toBeVisible();
  expect((await paths.getByRole('rowheader').allTextContents()).sort()).toEqual(['$.new', '$.old', '$.tags[1]', '$.user.name']);
  await expect(paths.getByRole('row', { name: /\$\.old removed true/ })).toBeVisible();
  await expect(paths.getByRole('row', { name: /\$\.new added\s+1/ })).toBeVisible();
  // Side by side: the pretty-printed lines, the changed name on both sides of one row.
  const lines = diff.getByRole('table', { name: 'Side-by-side diff' });
  await expect(lines.getByRole('row', { name: 'changed' }).filter({ hasText: '"name": "Ada"' })).toContainText('"name": "Grace"');
  await expect(diff.getByText(/Compared as/).locator('xpath=following-sibling::dd[1]')).toHaveText('JSON');

  // Escape closes it; focus goes back to the row the menu was on.
  await panel.keyboard.press('Escape');
  await expect(diff).toBeHidden();
  await expect(rowWith(panel, '"Grace"')).toBeFocused();

  // Two text messages: a line diff.
  await pick(panel, /fourth/, markItem);
  await pick(panel, /third$/, (p) => item(p, /^Compare with marked/));
  await expect(dialog(panel).getByRole('status', { name: 'Diff summary' })).toHaveText('2 lines differ.');
  const textLines = dialog(panel).getByRole('table', { name: 'Side-by-side diff' });
  // The marked one (with THIRD) is on the left this time.
  await expect(textLines.getByRole('row', { name: 'changed' })).toHaveText(/3\s*THIRD\s*3\s*third/);
  await expect(textLines.getByRole('row', { name: 'removed' })).toHaveText(/4\s*fourth/);
  await expect(textLines.getByRole('row')).toHaveCount(5); // header + 4 lines
});

test('diff: "Compare with previous of its kind" compares with the previous message of that kind sent on the connection', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/quiet');
  await sendFromPage(page, ['{"type":"move","x":1}', '{"type":"chat","text":"hi"}', '{"type":"move","x":2}']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 3);
  const panel = await openPanel(context, ext.extensionId, tabId);

  await pick(panel, '"x":2', (p) => item(p, 'Compare with previous of its kind'));
  const diff = dialog(panel);
  await expect(diff.getByRole('status', { name: 'Diff summary' })).toHaveText('1 changed paths: 1 changed, 0 added, 0 removed.');
  await expect(diff.getByRole('table', { name: 'Changed paths' }).getByRole('row', { name: /\$\.x changed 1 2/ })).toBeVisible();

  // The first move has no earlier one: a notice, no dialog.
  await panel.keyboard.press('Escape');
  await pick(panel, '"x":1', (p) => item(p, 'Compare with previous of its kind'));
  await expect(panel.getByRole('status').filter({ hasText: /No earlier .* message sent on this connection/ })).toBeVisible();
  await expect(dialog(panel)).toBeHidden();
});

test('diff: two large binary messages are compared as hex dumps (off the main thread), a page of lines at a time', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw, '/quiet');
  // 48 KiB each (96 KiB together: past the size diffed in place); the second differs in its byte 0x8000.
  await page.evaluate(() => {
    const a = new Uint8Array(48 * 1024).map((_, i) => i & 0xff);
    const b = a.slice();
    b[0x8000] = 0xee;
    (window as any).ws.send(a);
    (window as any).ws.send(b);
  });
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 2);
  const panel = await openPanel(context, ext.extensionId, tabId);

  await pick(panel, 'Binary', markItem);
  await rowWith(panel, 'Binary').nth(1).click({ button: 'right' });
  await item(panel, /^Compare with marked/).click();
  const diff = dialog(panel);
  await expect(diff.getByRole('status', { name: 'Diff summary' })).toHaveText('1 lines differ.');
  await expect(diff.getByText(/Compared as/).locator('xpath=following-sibling::dd[1]')).toHaveText('Binary (hex dump)');
  const lines = diff.getByRole('table', { name: 'Side-by-side diff' });
  // Line 0x800 (offset 0x8000) changed: 00 → ee on the right.
  await expect(lines.getByRole('row', { name: 'changed' })).toHaveCount(0); // beyond the first page of 1000 lines
  await diff.getByRole('button', { name: 'Show 1000 more lines' }).click();
  await diff.getByRole('button', { name: /^Show \d+ more lines$/ }).click();
  const changed = lines.getByRole('row', { name: 'changed' });
  await expect(changed).toHaveText(/00008000\s+00 01 02.*00008000\s+ee 01 02/);
  await expect(lines.getByRole('row')).toHaveCount(1 + 3000);
  await expect(diff.getByText('Showing 3000 of 3072 lines.')).toBeVisible();
});
