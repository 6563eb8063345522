/** What the panel specs share: the panel opened as a tab, the message grid by role, and an echo page. */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page, Worker } from '@playwright/test';
import { expect } from './fixtures';
import { readSettingInPage } from '../support/panel-page';

/** The tab id of `page` (the extension has no `tabs` permission: query the active tab). */
export async function tabIdOf(page: Page, sw: Worker): Promise<number> {
  await page.bringToFront();
  return sw.evaluate(async () => {
    const tabs = (globalThis as any).chrome.tabs as { query(q: object): Promise<Array<{ id?: number }>> };
    const [tab] = await tabs.query({ active: true, lastFocusedWindow: true });
    return tab.id!;
  });
}

export async function openPanel(context: BrowserContext, extensionId: string, tabId: number | null, query = ''): Promise<Page> {
  const panel = await context.newPage();
  const tab = tabId === null ? '' : `tabId=${tabId}`;
  await panel.goto(`chrome-extension://${extensionId}/panel.html?${[tab, query].filter(Boolean).join('&')}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

export const grid = (panel: Page) => panel.getByRole('grid', { name: 'Messages' });
/** Data rows (the header row has no gridcell). */
export const rows = (panel: Page) => grid(panel).getByRole('row').filter({ has: panel.getByRole('gridcell') });
export const rowWith = (panel: Page, text: string | RegExp) => rows(panel).filter({ hasText: text });
export const count = (panel: Page) => panel.getByRole('status', { name: 'Shown messages' });

/** A page with one echo socket `window.ws`, open before the test goes on. */
export async function echoPage(page: Page, server: { page(path: string, html: string): string; wsOrigin: string }, path = '/p.html', extra = '') {
  const url = server.page(path, `<!doctype html><title>echo</title><script>
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    window.opened = new Promise((r) => ws.addEventListener('open', r));
    ${extra}
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).opened);
}

export async function sendFromPage(page: Page, items: Array<string | number[]>) {
  await page.evaluate((list) => {
    for (const item of list) (window as any).ws.send(typeof item === 'string' ? item : new Uint8Array(item));
  }, items);
}

/** A value the panel stored in its settings store (the extension's database), undefined until it is written. */
export const storedSetting = (panel: Page, key: string): Promise<unknown> => panel.evaluate(readSettingInPage, key);

/** Opens Settings from the toolbar, or from its "More" menu when the toolbar folded it away. */
export async function openSettings(panel: Page) {
  const toolbar = panel.getByRole('toolbar', { name: 'Capture' });
  const button = toolbar.getByRole('button', { name: /^Settings/ });
  if (await button.isVisible()) await button.click();
  else {
    await toolbar.getByRole('button', { name: 'More', exact: true }).click();
    await panel.getByRole('menu', { name: 'More' }).getByRole('menuitem', { name: /^Settings/ }).click();
  }
  const dialog = panel.getByRole('dialog', { name: 'Settings' });
  await expect(dialog).toBeVisible();
  return dialog;
}

/** Exports from the panel's Export options (scope and format radios by name); the downloaded file's name and text. */
export async function exportFile(panel: Page, scope: string, format: RegExp, options: { includeSecrets?: boolean } = {}): Promise<{ name: string; text: string }> {
  const exportButton = panel.getByRole('button', { name: 'Export', exact: true });
  if ((await exportButton.getAttribute('aria-expanded')) !== 'true') await exportButton.click();
  const group = panel.getByRole('group', { name: 'Export options' });
  await group.getByRole('radio', { name: scope }).check();
  await group.getByRole('radio', { name: format }).check();
  if (options.includeSecrets !== undefined) await group.getByRole('checkbox', { name: /^Include secrets/ }).setChecked(options.includeSecrets);
  const [download] = await Promise.all([panel.waitForEvent('download'), group.getByRole('button', { name: 'Download' }).click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

/** Imports a file through the panel's Import button. */
export async function importFile(panel: Page, name: string, text: string): Promise<void> {
  const [chooser] = await Promise.all([panel.waitForEvent('filechooser'), panel.getByRole('button', { name: 'Import', exact: true }).click()]);
  await chooser.setFiles({ name, mimeType: 'application/json', buffer: Buffer.from(text) });
}
