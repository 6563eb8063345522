/**
 * Issue 23's docked layouts and Settings in Firefox ESR, the panel as a tab (panel.html?tabId=<n>) on a live page
 * with a real `ws` echo server on 127.0.0.1: at the side (430×900) and at the bottom (1000×330) the toolbar and the
 * filter bar are one line each and the grid shows at least 12 rows; the Settings dialog's time format changes the
 * grid's Time cells and survives a reload. Chromium's versions: tests/e2e/panel-layout.spec.ts, panel-settings.spec.ts.
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import { test, expect, aria, find, captured, framesStored, gridRows, openPanel, reloadPanel, sendFromPage, shownCount, socketPage, toolbarControl, uniqueId } from './panel-helpers';
import { controlsOutsideOf, rowsInViewOf } from '../support/panel-page';

const SIDE = { width: 430, height: 900 };
const BOTTOM = { width: 1000, height: 330 };

/** Data rows wholly inside the grid's box and the window. */
async function rowsInView(panel: Page): Promise<number> {
  return (await find(panel, aria('grid', 'Messages'))).evaluate(rowsInViewOf);
}

/**
 * The bar's height against one control's (one line: at most 1.5 of it) and the names of shown controls that stick
 * out of the bar's box (wrapped or clipped), as tests/e2e/panel-layout.spec.ts measures them.
 */
async function lineOf(bar: ElementHandle<Element>, control: ElementHandle<Element>): Promise<{ ratio: number; outside: string[] }> {
  const height = await control.evaluate((c) => c.getBoundingClientRect().height);
  const barHeight = await bar.evaluate((el) => el.getBoundingClientRect().height);
  return { ratio: barHeight / height, outside: await bar.evaluate(controlsOutsideOf) };
}

test('docked at the side (430×900) and at the bottom (1000×330): one toolbar line, one filter line, at least 12 rows in view', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-layout');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await sendFromPage(page, Array.from({ length: 20 }, (_, i) => `message number ${i + 1} {"n":${i + 1}}`));
  const { tabId } = await captured(reader, wsUrl, framesStored(40));
  const panel = await openPanel(firefox.browser, tabId);
  expect(await panel.$(aria('figure', 'Traffic timeline'))).toBeNull(); // the timeline (if left open) would take rows

  for (const size of [SIDE, BOTTOM]) {
    await panel.setViewport(size);
    await expect.poll(() => panel.evaluate(() => [innerWidth, innerHeight])).toEqual([size.width, size.height]);
    await expect.poll(() => shownCount(panel)).toBe('41 messages');
    const toolbar = await find(panel, aria('toolbar', 'Capture'));
    const pause = await find(toolbar, aria('button', 'Pause capture'));
    // The toolbar folds what does not fit after a ResizeObserver callback: poll until it settles.
    await expect.poll(() => lineOf(toolbar, pause), { message: `toolbar at ${size.width}×${size.height}` }).toEqual({ ratio: expect.any(Number), outside: [] });
    expect((await lineOf(toolbar, pause)).ratio).toBeLessThanOrEqual(1.5);
    const filters = await find(panel, aria('search', 'Message filters'));
    const box = await find(filters, aria('searchbox', 'Filter messages'));
    await expect.poll(() => lineOf(filters, box), { message: `filter bar at ${size.width}×${size.height}` }).toEqual({ ratio: expect.any(Number), outside: [] });
    expect((await lineOf(filters, box)).ratio).toBeLessThanOrEqual(1.5);
    expect(await rowsInView(panel), `rows in view at ${size.width}×${size.height}`).toBeGreaterThanOrEqual(12);
  }
  await panel.close();
  await page.close();
});

const CLOCK = /^\d\d:\d\d:\d\d\.\d{3}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const CLOCK_LABEL = 'Clock, 14:03:07.123 (default)';
const ISO_LABEL = 'ISO 8601 in UTC, 2026-11-25T14:03:07.123Z';

/** Opens Settings from the toolbar (or its More menu) and returns the dialog. */
async function openSettings(panel: Page): Promise<ElementHandle<Element>> {
  await toolbarControl(panel, 'Settings', 'Settings…');
  return await find(panel, aria('dialog', 'Settings'));
}

const isChecked = (radio: ElementHandle<Element>) => radio.evaluate((r) => (r as HTMLInputElement).checked);

test('Settings: the time format changes the grid’s Time cells and survives a panel reload', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-settings');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await sendFromPage(page, ['timed']);
  const { tabId } = await captured(reader, wsUrl, framesStored(2));
  const panel = await openPanel(firefox.browser, tabId);
  const times = async () => (await gridRows(panel)).filter((r) => r.cells.Data === 'timed').map((r) => r.cells.Time);
  await expect.poll(times).toEqual([expect.stringMatching(CLOCK), expect.stringMatching(CLOCK)]);

  let dialog = await openSettings(panel);
  try {
    expect(await isChecked(await find(dialog, aria('radio', CLOCK_LABEL)))).toBe(true);
    await (await find(dialog, aria('radio', ISO_LABEL))).click();
    await expect.poll(times).toEqual([expect.stringMatching(ISO), expect.stringMatching(ISO)]);
    // The ISO time is the row's own instant, not just its shape.
    const [iso] = await times();
    expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(60_000);
    await (await find(dialog, aria('button', 'Close settings'))).click();
    await expect.poll(async () => (await panel.$(aria('dialog', 'Settings'))) === null).toBe(true);

    await reloadPanel(panel);
    await expect.poll(times).toEqual([expect.stringMatching(ISO), expect.stringMatching(ISO)]);
    dialog = await openSettings(panel);
    expect(await isChecked(await find(dialog, aria('radio', ISO_LABEL)))).toBe(true);
  } finally {
    // The format is stored for every later panel of this worker: back to the default.
    const open = (await panel.$(aria('dialog', 'Settings'))) ?? (await openSettings(panel));
    await (await find(open, aria('radio', CLOCK_LABEL))).click();
  }
  await expect.poll(times).toEqual([expect.stringMatching(CLOCK), expect.stringMatching(CLOCK)]);
  await panel.close();
  await page.close();
});
