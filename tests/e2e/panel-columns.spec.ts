/**
 * The message grid's columns (issue #23 "Docked layouts"): shown, hidden and reset from the header's menu (by
 * right-click and by keyboard), resized by dragging a header edge or with arrows, and remembered across panel loads.
 */
import type { Page } from '@playwright/test';
import { test, expect, waitForStore } from './fixtures';
import { tabIdOf, openPanel, grid, rows, echoPage, sendFromPage, storedSetting } from './panel-helpers';

const header = (panel: Page) => grid(panel).getByRole('row', { name: /^Columns/ });
const columnsMenu = (panel: Page) => panel.getByRole('menu', { name: 'Columns' });
const headers = (panel: Page) => grid(panel).getByRole('columnheader');
/** The column headers' accessible names, in order. */
const headerNames = (panel: Page) => expect.poll(() => headers(panel).evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label'))));
const edge = (panel: Page, column: string) => grid(panel).getByRole('separator', { name: `Resize ${column} column` });

test('columns: hide one from the header menu, resize one by dragging and by keyboard, reload: both remembered; reset', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['hello columns']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 2);
  const tabId = await tabIdOf(page, sw);
  let panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rows(panel)).toHaveCount(3);
  await headerNames(panel).toEqual(['Direction', 'Conn', 'Time', 'Size', 'Type', 'Summary', 'Data']);

  // Right-click the header: every column, checked when shown; hiding Size drops its header and its cells.
  await headers(panel).filter({ hasText: 'Type' }).click({ button: 'right' });
  const size = columnsMenu(panel).getByRole('menuitemcheckbox', { name: 'Size' });
  await expect(size).toHaveAttribute('aria-checked', 'true');
  await size.click();
  await expect(columnsMenu(panel)).toHaveCount(0);
  await headerNames(panel).toEqual(['Direction', 'Conn', 'Time', 'Type', 'Summary', 'Data']);
  await expect(rows(panel).first().getByRole('gridcell')).toHaveCount(6);
  await expect(rows(panel).filter({ hasText: 'hello columns' }).first()).not.toContainText('13 B');

  // Drag the Time column's right edge 60 px wider.
  const time = headers(panel).filter({ hasText: 'Time' });
  const before = (await time.boundingBox())!.width;
  const handle = (await edge(panel, 'Time').boundingBox())!;
  await panel.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await panel.mouse.down();
  await panel.mouse.move(handle.x + handle.width / 2 + 30, handle.y + 5, { steps: 3 });
  await panel.mouse.move(handle.x + handle.width / 2 + 60, handle.y + 5, { steps: 3 });
  await panel.mouse.up();
  await expect(edge(panel, 'Time')).toHaveAttribute('aria-valuenow', '152');
  expect((await time.boundingBox())!.width).toBeCloseTo(before + 60, 0);
  // A row's Time cell follows its header.
  const timeCell = rows(panel).first().getByRole('gridcell').nth(2);
  expect((await timeCell.boundingBox())!.width).toBeCloseTo((await time.boundingBox())!.width, 0);

  // Keyboard: arrows on a focused edge.
  await edge(panel, 'Type').focus();
  await panel.keyboard.press('ArrowRight');
  await panel.keyboard.press('Shift+ArrowRight');
  await expect(edge(panel, 'Type')).toHaveAttribute('aria-valuenow', String(44 + 8 + 32));
  // Each key stores the widths; the last write must land before the panel closes (a page closed mid-write loses it).
  await expect.poll(async () => ((await storedSetting(panel, 'gridColumns')) as { widths?: Record<string, number> } | undefined)?.widths?.type).toBe(84);
  await panel.close();

  // A new panel shows the columns as left.
  panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rows(panel)).toHaveCount(3);
  await headerNames(panel).toEqual(['Direction', 'Conn', 'Time', 'Type', 'Summary', 'Data']);
  await expect(edge(panel, 'Time')).toHaveAttribute('aria-valuenow', '152');
  await expect(edge(panel, 'Type')).toHaveAttribute('aria-valuenow', '84');

  // By keyboard: Shift+F10 on the focused header row; Escape returns to it; Reset columns.
  await header(panel).focus();
  await panel.keyboard.press('Shift+F10');
  await expect(columnsMenu(panel)).toBeVisible();
  await panel.keyboard.press('Escape');
  await expect(columnsMenu(panel)).toHaveCount(0);
  await expect(header(panel)).toBeFocused();
  await panel.keyboard.press('ContextMenu');
  await columnsMenu(panel).getByRole('menuitem', { name: 'Reset columns' }).click();
  await headerNames(panel).toEqual(['Direction', 'Conn', 'Time', 'Size', 'Type', 'Summary', 'Data']);
  await expect(edge(panel, 'Time')).toHaveAttribute('aria-valuenow', '92');
});

test('columns: at least one stays; the last one cannot be hidden and says why', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  for (const name of ['Direction', 'Connection', 'Time', 'Size', 'Type', 'Summary']) {
    await header(panel).click({ button: 'right' });
    await columnsMenu(panel).getByRole('menuitemcheckbox', { name }).click();
  }
  await headerNames(panel).toEqual(['Data']);
  await header(panel).click({ button: 'right' });
  const data = columnsMenu(panel).getByRole('menuitemcheckbox', { name: 'Data' });
  await expect(data).toHaveAttribute('aria-disabled', 'true');
  await expect(data).toHaveAccessibleDescription('At least one column stays');
  await data.click({ force: true }); // a disabled item does nothing
  await panel.keyboard.press('Escape');
  await headerNames(panel).toEqual(['Data']);
});
