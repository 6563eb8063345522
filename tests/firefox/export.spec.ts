/**
 * Export in Firefox: its MV3 background is an event page, not a service worker, so there is nothing to answer a
 * streamed download (lib/export-stream.ts). The panel finds no service worker and falls back to the worker-built
 * Blob, downloaded through a link. The link's click is caught in the page (so nothing is written to the disk of
 * the machine running the test) and the Blob it points at is read back.
 */
import type { Page } from 'puppeteer-core';
import { test, expect, openExtensionPage, openPage, uniqueId, waitForStore } from './fixtures';

const aria = (role: string, name: string) => `::-p-aria([role="${role}"][name="${name}"])`;

async function textOf(panel: Page, selector: string): Promise<string> {
  const el = await panel.waitForSelector(selector);
  return el!.evaluate((e) => (e as HTMLElement).innerText.trim());
}

test('the panel exports a .wsi.json as a Blob download (no service worker to stream through)', async ({ firefox, reader, server }) => {
  const id = uniqueId('export');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, `<title>export page</title><script>
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { ws.send('héllo ✓'); ws.send(new Uint8Array([0, 255, 7])); };
  </script>`));
  const store = await waitForStore(reader, (s) => {
    const c = s.connections.find((c) => c.url === wsUrl);
    return !!c && s.frames.filter((f) => f.connectionId === c.id && f.kind === 'frame').length === 4;
  });
  const connection = store.connections.find((c) => c.url === wsUrl)!;
  const tabId = store.sessions.find((s) => s.id === connection.sessionId)!.tabId!;

  const panel = await openExtensionPage(firefox.browser, `/panel.html?tabId=${tabId}`);
  await expect.poll(() => textOf(panel, aria('status', 'Connection to the extension'))).toBe('Connected');
  // What the feature detection sees here: no service worker registration for the extension.
  expect(await panel.evaluate(async () => (await navigator.serviceWorker?.getRegistration())?.active ? 'service worker' : 'none')).toBe('none');
  await panel.evaluate(() => {
    const w = window as unknown as { downloads: Array<{ name: string; text: string }>; frames: number };
    w.downloads = [];
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      const name = this.download;
      void fetch(this.href)
        .then((r) => r.text())
        .then((text) => w.downloads.push({ name, text }));
    };
  });

  await (await panel.waitForSelector(aria('button', 'Export')))!.click();
  await (await panel.waitForSelector(aria('radio', 'Whole session')))!.click();
  await (await panel.waitForSelector(aria('button', 'Download')))!.click();
  await expect.poll(() => panel.evaluate(() => (window as unknown as { downloads: unknown[] }).downloads.length)).toBe(1);
  const [download] = await panel.evaluate(() => (window as unknown as { downloads: Array<{ name: string; text: string }> }).downloads);
  expect(download.name).toMatch(/^127\.0\.0\.1_\d+-.*\.wsi\.json$/);
  expect(await panel.evaluate(() => document.querySelectorAll('iframe[title="Export download"]').length)).toBe(0);
  const file = JSON.parse(download.text);
  const ours = file.connections.find((c: { url: string }) => c.url === wsUrl);
  const frames = ours.rows.filter((r: { kind: string }) => r.kind === 'frame').map((r: { dir: string; data: string }) => [r.dir, r.data]);
  expect(frames).toEqual(
    expect.arrayContaining([
      ['send', 'héllo ✓'],
      ['send', 'AP8H'],
      ['receive', 'héllo ✓'],
      ['receive', 'AP8H'],
    ]),
  );
  await expect.poll(() => textOf(panel, '[role="group"][aria-label="Export options"] [role="status"]')).toMatch(/^Exported \d+ rows to .*\.wsi\.json\.$/);
  await panel.close();
  await page.close();
});
