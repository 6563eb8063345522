/**
 * The traffic timeline (#13): opened from the toolbar (remembered across loads), a uPlot canvas inside a figure named
 * "Traffic timeline" whose caption states the counts; dragging across the second of two bursts filters the grid to
 * exactly its rows (the chip's ✕ clears the range); a click selects the message nearest in time. Against a live page
 * and a real ws echo server; the buckets come from the panel's conversation worker.
 */
import type { Page } from '@playwright/test';
import { test, expect, waitForStore, type StoredRow } from './fixtures';
import { tabIdOf, openPanel, grid, count, echoPage, sendFromPage } from './panel-helpers';

const toolbar = (panel: Page) => panel.getByRole('toolbar', { name: 'Capture' });
const figure = (panel: Page) => panel.getByRole('figure', { name: 'Traffic timeline' });
const selectedRow = (panel: Page) => grid(panel).locator('[role="row"][aria-selected="true"]');

/** The toolbar's Timeline toggle, on the line or in the ⋮ menu when it did not fit. */
async function toggleTimeline(panel: Page): Promise<void> {
  const inline = toolbar(panel).getByRole('button', { name: 'Timeline', exact: true });
  if (await inline.isVisible()) await inline.click();
  else {
    await toolbar(panel).getByRole('button', { name: 'More', exact: true }).click();
    await panel.getByRole('menu', { name: 'More' }).getByRole('menuitemcheckbox', { name: 'Timeline' }).click();
  }
}

/** Where time `ms` is across the plot (uPlot's x scale runs from the first bucket's start to the last one's end). */
async function xOf(panel: Page, ms: number, first: number, last: number): Promise<{ x: number; y: number }> {
  const over = (await figure(panel).locator('.u-over').boundingBox())!;
  const min = Math.floor(first / 1000);
  const max = Math.floor(last / 1000) + 1;
  return { x: over.x + ((ms / 1000 - min) / (max - min)) * over.width, y: over.y + over.height / 2 };
}

test('timeline: two bursts drawn and summed; a drag across the second filters the grid to it, the chip clears it; a click selects the nearest message', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, Array.from({ length: 20 }, (_, i) => `a${i + 1}`));
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 40);
  await page.waitForTimeout(2_000);
  await sendFromPage(page, Array.from({ length: 20 }, (_, i) => `b${i + 1}`));
  const store = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 80);
  const all = store.frames.sort((a, b) => a.time - b.time);
  const burst = (letter: string) => all.filter((f: StoredRow) => f.kind === 'frame' && f.text?.startsWith(letter));
  const [a, b] = [burst('a'), burst('b')];
  expect(b[0].time - a[a.length - 1].time).toBeGreaterThan(1_500);

  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.setViewportSize({ width: 1200, height: 700 });
  await expect(count(panel)).toHaveText('81 messages');
  await expect(figure(panel)).toHaveCount(0); // closed by default
  await toggleTimeline(panel);
  await expect(figure(panel).locator('canvas')).toBeVisible();
  // The summary, for screen readers (the figure's description) and in the caption.
  await expect(figure(panel)).toHaveAccessibleDescription(/^All connections, \d+\.\d s: 40 sent \(\d+ B\), 40 received \(\d+ B\); peak \d+ msg\/s at \d\d:\d\d:\d\d; 1 open\.$/);

  // Drag from the middle of the gap to the plot's right edge: the second burst's 40 rows, no more.
  const first = all[0].time;
  const last = all[all.length - 1].time;
  const gapMiddle = (a[a.length - 1].time + b[0].time) / 2;
  const start = await xOf(panel, gapMiddle, first, last);
  const over = (await figure(panel).locator('.u-over').boundingBox())!;
  await panel.mouse.move(start.x, start.y);
  await panel.mouse.down();
  await panel.mouse.move(start.x + 40, start.y, { steps: 4 });
  await panel.mouse.move(over.x + over.width - 1, start.y, { steps: 4 });
  await panel.mouse.up();
  await expect(count(panel)).toHaveText('40 / 81 shown');
  // The rows in the DOM (the grid renders those on screen) are all of the second burst.
  await expect(grid(panel).getByRole('row', { name: /, text: b\d+$/ }).first()).toBeVisible();
  await expect(grid(panel).getByRole('row', { name: /, text: a\d+$/ })).toHaveCount(0);
  const chip = panel.getByRole('group', { name: 'Time range filter' });
  await expect(chip).toContainText(/^Time range \d\d:\d\d:\d\d\.\d{3} – \d\d:\d\d:\d\d\.\d{3}/);
  await chip.getByRole('button', { name: 'Clear time range' }).click();
  await expect(count(panel)).toHaveText('81 messages');
  await expect(chip).toHaveCount(0);

  // A click in the gap's first part selects the last row of the first burst; in its second part, the first of the second.
  const early = await xOf(panel, a[a.length - 1].time + 300, first, last);
  await panel.mouse.click(early.x, early.y);
  await expect(selectedRow(panel)).toHaveAccessibleName(new RegExp(`, text: ${a[a.length - 1].text}$`));
  const late = await xOf(panel, b[0].time - 300, first, last);
  await panel.mouse.click(late.x, late.y);
  await expect(selectedRow(panel)).toHaveAccessibleName(new RegExp(`, text: ${b[0].text}$`));
  await expect(count(panel)).toHaveText('81 messages'); // a click filters nothing

  // The keyboard does what the mouse does. End puts the cursor on the last bucket (the second burst's), Shift+←
  // stretches the selection one bucket back (into the gap: the gap is over 1.5 s and buckets are 1 s), Enter applies
  // it: the second burst's rows; Escape clears the range.
  const cursor = figure(panel).getByRole('slider', { name: /^Time cursor/ });
  await cursor.focus();
  await expect(cursor).toHaveAttribute('aria-valuetext', /arrow keys/);
  await panel.keyboard.press('End');
  await expect(cursor).toHaveAttribute('aria-valuetext', /\d\d:\d\d:\d\d/);
  await panel.keyboard.press('Shift+ArrowLeft');
  await panel.keyboard.press('Enter');
  await expect(count(panel)).toHaveText('40 / 81 shown');
  await expect(grid(panel).getByRole('row', { name: /, text: a\d+$/ })).toHaveCount(0);
  await panel.keyboard.press('Escape');
  await expect(count(panel)).toHaveText('81 messages');
  // Home and Enter without a selection: the message nearest the first bucket is selected, nothing is filtered.
  await panel.keyboard.press('Home');
  await panel.keyboard.press('Enter');
  await expect(selectedRow(panel)).toHaveAccessibleName(/(, text: a\d+|open)/);
  await expect(count(panel)).toHaveText('81 messages');
});

test('timeline: the toolbar toggle is remembered across a reload, and a time range stays visible with the timeline closed', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['one', 'two']);
  await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length === 4);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.setViewportSize({ width: 1200, height: 700 });
  const toggle = toolbar(panel).getByRole('button', { name: 'Timeline', exact: true });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(figure(panel)).toBeVisible();
  await expect(figure(panel)).toHaveAccessibleDescription(/: 2 sent \(6 B\), 2 received \(6 B\);/);

  await panel.reload();
  await expect(count(panel)).toHaveText('5 messages');
  await expect(figure(panel).locator('canvas')).toBeVisible();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');

  // Drag across the whole plot, then fold the timeline: the range still applies and its chip is still there.
  const over = (await figure(panel).locator('.u-over').boundingBox())!;
  await panel.mouse.move(over.x + 1, over.y + 10);
  await panel.mouse.down();
  await panel.mouse.move(over.x + over.width / 2, over.y + 10, { steps: 4 });
  await panel.mouse.move(over.x + over.width - 1, over.y + 10, { steps: 4 });
  await panel.mouse.up();
  const chip = panel.getByRole('group', { name: 'Time range filter' });
  await expect(chip).toBeVisible();
  await toggle.click();
  await expect(figure(panel)).toHaveCount(0);
  await expect(chip).toBeVisible();
  await chip.getByRole('button', { name: 'Clear time range' }).click();
  await expect(chip).toHaveCount(0);

  await panel.reload();
  await expect(count(panel)).toHaveText('5 messages');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await expect(figure(panel)).toHaveCount(0);
});
