/**
 * The panel where DevTools docks it (issue #23, "Docked layouts"): at the bottom (1000×330) and at the side
 * (430×900), light and dark, the toolbar and the filter bar are one line each, the grid shows at least 12 rows,
 * what does not fit is in the toolbar's ⋮ menu, the connection list folds (or is a drop-down when narrow) and the
 * splitters resize, and folds and sizes survive a reload. Opened as a tab (panel.html?tabId=<n>) against a live
 * page with a real ws server. With UPDATE_SCREENSHOTS=1 the fit test writes docs/screenshots/panel-<w>x<h>-<theme>.png.
 */
import type { Page } from '@playwright/test';
import { test, expect, waitForStore } from './fixtures';
import { tabIdOf, openPanel, grid, rows, count, echoPage, sendFromPage, storedSetting } from './panel-helpers';
import { controlsOutsideOf, rowsInViewOf } from '../support/panel-page';

const BOTTOM = { width: 1000, height: 330 };
const SIDE = { width: 430, height: 900 };

const toolbar = (panel: Page) => panel.getByRole('toolbar', { name: 'Capture' });
const filters = (panel: Page) => panel.getByRole('search', { name: 'Message filters' });
const connections = (panel: Page) => panel.getByRole('listbox', { name: 'Connections' });
const moreMenu = (panel: Page) => toolbar(panel).getByRole('button', { name: 'More', exact: true });

/** A session of 41 rows (the open event, 20 sent, 20 echoed) on screen in the panel at `size`. */
async function panelWithTraffic(
  { page, server, sw, context, ext }: { page: Page; server: any; sw: any; context: any; ext: { extensionId: string } },
  size: { width: number; height: number },
  query = '',
): Promise<Page> {
  await echoPage(page, server);
  await sendFromPage(
    page,
    Array.from({ length: 20 }, (_, i) => `message number ${i + 1} {"n":${i + 1}}`),
  );
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 40);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId, query);
  await panel.setViewportSize(size);
  await expect(count(panel)).toHaveText('41 messages');
  return panel;
}

/** The layout the panel stored, once it is written. */
const storedLayout = (panel: Page) => storedSetting(panel, 'panelLayout') as Promise<Record<string, unknown> | undefined>;

/** Data rows wholly inside the grid's box (and the window). */
const rowsInView = (panel: Page): Promise<number> => grid(panel).evaluate(rowsInViewOf);

/** Controls of `container` shown on screen that stick out of its box (a wrapped or clipped line). */
const controlsOutside = (container: ReturnType<typeof toolbar>): Promise<string[]> => container.evaluate(controlsOutsideOf);

async function expectOneLine(panel: Page): Promise<void> {
  const bar = await toolbar(panel).boundingBox();
  const button = await toolbar(panel).getByRole('button', { name: /Pause capture/ }).boundingBox();
  expect(bar!.height).toBeLessThanOrEqual(1.5 * button!.height);
  expect(await controlsOutside(toolbar(panel))).toEqual([]);

  const filterBar = await filters(panel).boundingBox();
  const text = await filters(panel).getByRole('searchbox', { name: 'Filter messages' }).boundingBox();
  expect(filterBar!.height).toBeLessThanOrEqual(1.5 * text!.height);
  expect(await controlsOutside(filters(panel))).toEqual([]);
}

for (const size of [BOTTOM, SIDE]) {
  for (const theme of ['light', 'dark'] as const) {
    test(`at ${size.width}×${size.height}, ${theme}: one toolbar line, one filter line, at least 12 rows in view`, async ({ page, server, sw, context, ext }) => {
      const panel = await panelWithTraffic({ page, server, sw, context, ext }, size, `theme=${theme}`);
      await expect(panel.locator('html')).toHaveAttribute('data-theme', theme);
      await expectOneLine(panel);
      // Every kept control is there, by name.
      for (const name of [/Pause capture/, 'Clear session', 'Pause all', /^Rules/, 'Replay…']) await expect(toolbar(panel).getByRole('button', { name })).toBeVisible();
      await expect(toolbar(panel).getByRole('combobox', { name: 'Session' })).toBeVisible();
      await expect(toolbar(panel).getByRole('status', { name: 'Connection to the extension' })).toBeVisible();
      expect(await rowsInView(panel)).toBeGreaterThanOrEqual(12);
      // Narrow: the connection list is a one-line drop-down, not a column that takes the width.
      if (size === SIDE) {
        await expect(connections(panel)).toHaveCount(0);
        await expect(panel.getByRole('button', { name: /^Connection: All connections/ })).toBeVisible();
        expect((await grid(panel).boundingBox())!.width).toBeGreaterThan(size.width - 10);
      } else {
        await expect(connections(panel)).toBeVisible();
      }
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        await rows(panel).nth(3).click(); // a selected row, detail pane closed
        await panel.keyboard.press('Escape');
        await panel.keyboard.press('Home');
        await panel.mouse.move(0, 0);
        await panel.screenshot({ path: `docs/screenshots/panel-${size.width}x${size.height}-${theme}.png` });
      }
    });
  }
}

test('what does not fit is in the ⋮ menu: arrows move, Escape returns focus, Settings opens the Settings dialog', async ({ page, server, sw, context, ext }) => {
  const panel = await panelWithTraffic({ page, server, sw, context, ext }, SIDE);
  const more = moreMenu(panel);
  await expect(more).toBeVisible();
  // The folded controls are not on the line (nor reachable by Tab), they are in the menu.
  await expect(toolbar(panel).getByRole('button', { name: 'Settings' })).toHaveCount(0);

  await more.focus();
  await panel.keyboard.press('ArrowDown');
  const menu = panel.getByRole('menu', { name: 'More' });
  await expect(menu).toBeVisible();
  await expect(more).toHaveAttribute('aria-expanded', 'true');
  const items = menu.getByRole('menuitem');
  await expect(items.first()).toBeFocused();
  for (const name of ['Export…', 'Import…', 'Settings…', 'Clear all…']) await expect(menu.getByRole('menuitem', { name, exact: true })).toHaveCount(1);
  await expect(menu.getByRole('menuitemcheckbox', { name: 'Relative time' })).toHaveAttribute('aria-checked', 'false');
  await panel.keyboard.press('ArrowDown');
  await expect(items.first()).not.toBeFocused();
  await panel.keyboard.press('End');
  await expect(menu.getByRole('menuitem', { name: 'Clear all…' })).toBeFocused();
  await panel.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(more).toBeFocused();

  // A toggle in the menu toggles.
  await more.click();
  await menu.getByRole('menuitemcheckbox', { name: 'Relative time' }).click();
  await expect(menu).toHaveCount(0);
  await expect(rows(panel).first()).toContainText(/\+\d+\.\d{3} s/);

  // Settings, from the keyboard: the dialog opens; Escape closes it and focus comes back to the menu button.
  await more.focus();
  await panel.keyboard.press('Enter');
  await menu.getByRole('menuitem', { name: 'Settings…' }).focus();
  await panel.keyboard.press('Enter');
  const settings = panel.getByRole('dialog', { name: 'Settings' });
  await expect(settings).toBeVisible();
  await panel.keyboard.press('Escape');
  await expect(settings).toBeHidden();
  await expect(more).toBeFocused();

  // Export from the menu opens its options under the toolbar, inside the window.
  await more.click();
  await menu.getByRole('menuitem', { name: 'Export…' }).click();
  const options = panel.getByRole('group', { name: 'Export options' });
  await expect(options).toBeVisible();
  const box = (await options.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(SIDE.width);
  await panel.keyboard.press('Escape');
  await expect(options).toHaveCount(0);

  // Import from the menu opens the file chooser (the click is still the user's gesture).
  await more.click();
  const [chooser] = await Promise.all([panel.waitForEvent('filechooser'), menu.getByRole('menuitem', { name: 'Import…' }).click()]);
  expect(chooser.isMultiple()).toBe(false);

  // Clear all asks first, in a row under the toolbar.
  await more.click();
  await menu.getByRole('menuitem', { name: 'Clear all…' }).click();
  await expect(panel.getByRole('group', { name: 'Confirm clearing everything' })).toBeVisible();
  await panel.getByRole('group', { name: 'Confirm clearing everything' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(count(panel)).toHaveText('41 messages');

  // Wide enough, everything is on the line and there is no menu.
  await panel.setViewportSize({ width: 1600, height: 700 });
  await expect(more).toHaveCount(0);
  await expect(toolbar(panel).getByRole('button', { name: 'Settings' })).toBeVisible();
});

test('the filter bar: the other filters fold behind "Filters", which counts the active ones and stays as left', async ({ page, server, sw, context, ext }) => {
  const panel = await panelWithTraffic({ page, server, sw, context, ext }, BOTTOM);
  const toggle = filters(panel).getByRole('button', { name: /^Filters/ });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(panel.getByRole('combobox', { name: 'Direction' })).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await panel.getByRole('combobox', { name: 'Direction' }).selectOption({ label: 'Sent' });
  await panel.getByRole('checkbox', { name: 'Match case' }).check();
  await expect(count(panel)).toHaveText('20 / 41 shown');
  await toggle.click();
  await expect(panel.getByRole('combobox', { name: 'Direction' })).toBeHidden();
  await expect(toggle).toHaveAccessibleName('Filters (2 active)');
  await expect(count(panel)).toHaveText('20 / 41 shown');
  await expectOneLine(panel);

  await toggle.click();
  await expect.poll(async () => (await storedLayout(panel))?.filtersOpen).toBe(true);
  await panel.reload();
  await expect(filters(panel).getByRole('button', { name: /^Filters/ })).toHaveAttribute('aria-expanded', 'true');
  await expect(panel.getByRole('combobox', { name: 'Direction' })).toBeVisible();
});

test('the connection list folds away and stays folded after a reload; its splitter drags and keys resize it, remembered', async ({ page, server, sw, context, ext }) => {
  const panel = await panelWithTraffic({ page, server, sw, context, ext }, BOTTOM);
  const side = panel.getByRole('complementary', { name: 'Sessions and connections' });
  const splitter = panel.getByRole('separator', { name: 'Connection list width' });
  const width = async () => (await side.boundingBox())!.width;

  // Drag: the column follows the pointer, and the separator says its value.
  const before = await width();
  const bar = (await splitter.boundingBox())!;
  await panel.mouse.move(bar.x + bar.width / 2, bar.y + bar.height / 2);
  await panel.mouse.down();
  await panel.mouse.move(bar.x + 80, bar.y + bar.height / 2, { steps: 4 });
  await panel.mouse.up();
  expect(Math.abs((await width()) - (before + 80))).toBeLessThanOrEqual(2);
  await expect(splitter).toHaveAttribute('aria-valuenow', String(Math.round(await width())));
  // Keys: arrows by 10 px.
  await splitter.focus();
  await panel.keyboard.press('ArrowLeft');
  await panel.keyboard.press('ArrowLeft');
  const sized = Math.round(await width());
  expect(Math.abs(sized - (before + 60))).toBeLessThanOrEqual(2);
  await expect.poll(async () => (await storedLayout(panel))?.sideWidth).toBe(sized);

  await panel.reload();
  await expect(count(panel)).toHaveText('41 messages');
  expect(Math.round(await width())).toBe(sized);

  // Fold: the grid takes the width; after a reload it is still folded.
  const toggle = filters(panel).getByRole('button', { name: 'Connection list' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  const gridWidth = (await grid(panel).boundingBox())!.width;
  await toggle.click();
  await expect(connections(panel)).toHaveCount(0);
  await expect(splitter).toHaveCount(0);
  expect((await grid(panel).boundingBox())!.width).toBeGreaterThan(gridWidth + sized - 5);
  await expect.poll(async () => (await storedLayout(panel))?.connectionsOpen).toBe(false);
  await panel.reload();
  await expect(count(panel)).toHaveText('41 messages');
  await expect(filters(panel).getByRole('button', { name: 'Connection list' })).toHaveAttribute('aria-expanded', 'false');
  await expect(connections(panel)).toHaveCount(0);
  await filters(panel).getByRole('button', { name: 'Connection list' }).click();
  await expect(connections(panel)).toBeVisible();
  expect(Math.round(await width())).toBe(sized);
});

test('narrow: the connection drop-down picks a connection and closes; the detail pane goes under the grid', async ({ page, server, sw, context, ext }) => {
  const panel = await panelWithTraffic({ page, server, sw, context, ext }, SIDE);
  const picker = panel.getByRole('button', { name: /^Connection: / });
  await picker.click();
  await expect(picker).toHaveAttribute('aria-expanded', 'true');
  await expect(connections(panel)).toBeFocused();
  await connections(panel).getByRole('option', { name: /\/echo/ }).click();
  await expect(connections(panel)).toHaveCount(0);
  await expect(picker).toHaveAccessibleName(new RegExp(`^Connection: #1 ${server.wsOrigin}/echo`));
  await expect(picker).toBeFocused();
  // Keyboard: open, arrow to "All connections", Enter closes.
  await panel.keyboard.press('Enter');
  await expect(connections(panel)).toBeFocused();
  await panel.keyboard.press('Home');
  await panel.keyboard.press('Enter');
  await expect(connections(panel)).toHaveCount(0);
  await expect(picker).toHaveAccessibleName(/^Connection: All connections/);

  await rows(panel).nth(2).click();
  const detail = panel.getByRole('separator', { name: 'Detail pane height' });
  await expect(detail).toBeVisible();
  const gridBox = (await grid(panel).boundingBox())!;
  const splitterBox = (await detail.boundingBox())!;
  expect(splitterBox.y).toBeGreaterThanOrEqual(gridBox.y + gridBox.height - 1);
});

test('short and wide: the detail pane opens beside the grid, its splitter resizes it, remembered', async ({ page, server, sw, context, ext }) => {
  const panel = await panelWithTraffic({ page, server, sw, context, ext }, BOTTOM);
  await rows(panel).nth(2).click();
  const splitter = panel.getByRole('separator', { name: 'Detail pane width' });
  await expect(splitter).toBeVisible();
  const gridBox = (await grid(panel).boundingBox())!;
  const bar = (await splitter.boundingBox())!;
  expect(bar.x).toBeGreaterThanOrEqual(gridBox.x + gridBox.width - 1);
  expect(await rowsInView(panel)).toBeGreaterThanOrEqual(12);

  const value = Number(await splitter.getAttribute('aria-valuenow'));
  await panel.mouse.move(bar.x, bar.y + 40);
  await panel.mouse.down();
  await panel.mouse.move(bar.x - 60, bar.y + 40, { steps: 3 });
  await panel.mouse.up();
  await expect(splitter).toHaveAttribute('aria-valuenow', String(value + 60));
  await expect.poll(async () => (await storedLayout(panel))?.detailWidth).toBe(value + 60);
  await panel.reload();
  await expect(count(panel)).toHaveText('41 messages');
  await rows(panel).nth(2).click();
  await expect(panel.getByRole('separator', { name: 'Detail pane width' })).toHaveAttribute('aria-valuenow', String(value + 60));
});
