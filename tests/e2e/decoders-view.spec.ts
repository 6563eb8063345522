/**
 * DecodedView in a real Chromium: the component is built with Vite and the Svelte plugin (as the panel is) and
 * mounted with the real decoders' outcomes for hostile frames. Payload text must stay text.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { build } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { launchWithExtension } from './fixtures';

const HOSTILE = '<img src=x onerror="window.pwned=1">';

/** Built once per worker: the harness's static files and a server for them. */
const test = base.extend<{ harness: Page }, { harnessUrl: string }>({
  harnessUrl: [
    async ({}, use) => {
      const outDir = mkdtempSync(join(tmpdir(), 'wsi-decoded-view-'));
      await build({
        root: resolve('tests/decoders/view-harness'),
        configFile: false,
        logLevel: 'silent',
        plugins: [svelte()],
        resolve: { alias: { '@': resolve('.') } },
        build: { outDir, emptyOutDir: true },
      });
      const server: Server = createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        try {
          const body = readFileSync(join(outDir, path === '/' ? 'index.html' : path));
          res.writeHead(200, { 'content-type': extname(path) === '.js' ? 'text/javascript' : extname(path) === '.css' ? 'text/css' : 'text/html' }).end(body);
        } catch {
          res.writeHead(404).end();
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      await use(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(outDir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  harness: async ({ harnessUrl }, use) => {
    const browser = await launchWithExtension(undefined);
    const page = browser.context.pages()[0] ?? (await browser.context.newPage());
    await page.goto(harnessUrl);
    await use(page);
    await browser.close();
  },
});

test('shows the summary and tree of a decoded frame as text, never as HTML', async ({ harness: page }) => {
  const decoded = page.locator('#ok');
  await expect(decoded.getByLabel('Decoded summary')).toHaveText(`event ${HOSTILE} [{note: "<img src=x onerror=\\"window.pwned=1\\">"}]`);
  const tree = decoded.getByRole('tree', { name: 'Decoded tree' });
  await expect(tree.getByRole('treeitem').filter({ hasText: /^\s*event:/ })).toHaveText(`event: ${HOSTILE}`);
  await expect(tree).toContainText(`note: ${JSON.stringify(HOSTILE)}`);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (window as any).pwned)).toBeUndefined();

  // Nodes collapse and expand by their named toggle buttons.
  const items = await tree.getByRole('treeitem').count();
  await tree.getByRole('button', { name: 'Collapse arguments' }).click();
  await expect(tree.getByRole('treeitem')).toHaveCount(items - 2); // its element 0 and that object's "note"
  await tree.getByRole('button', { name: 'Expand arguments' }).click();
  await expect(tree.getByRole('treeitem')).toHaveCount(items);
});

test('shows the reason and the raw frame when decoding failed', async ({ harness: page }) => {
  const failed = page.locator('#failed');
  await expect(failed.getByRole('status')).toHaveText('Could not decode as STOMP: STOMP frame without the blank line that ends its headers');
  await expect(failed.getByLabel('Raw frame')).toHaveText(HOSTILE);
  await expect(failed.getByRole('tree')).toHaveCount(0);
  // Without an override handler there is no menu.
  await expect(failed.getByRole('combobox')).toHaveCount(0);
});

test('"Decode as" offers every decoder and reports the choice', async ({ harness: page }) => {
  const menu = page.locator('#ok').getByRole('combobox', { name: 'Decode as' });
  await expect(menu).toHaveValue('socket.io');
  await expect(menu.getByRole('option')).toHaveCount(13);
  await menu.selectOption({ label: 'MQTT' });
  expect(await page.evaluate(() => (window as any).chosen)).toEqual(['mqtt']);
});
