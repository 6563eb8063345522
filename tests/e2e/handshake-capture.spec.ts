/**
 * Handshake capture (issue #21 §3) with DevTools closed, the panel as a tab: the user opens a connection's
 * Handshake section, clicks "Capture handshakes", the browser grants webRequest, and from then on every
 * connection shows its handshake (request headers with Cookie and Origin, status, response headers with
 * Sec-WebSocket-Accept and Set-Cookie) and a refused upgrade its failure; HAR export carries them with Cookie and
 * Set-Cookie values hidden unless "Include secrets" is ticked, and imports back; turning it off in Settings stops it.
 *
 * Chromium's prompt for host access cannot be answered by automation, so this browser gets a copy of the build
 * whose manifest already grants host access (as a user who said yes would have it); the click still asks for
 * `webRequest` and host access through `permissions.request`, and the background starts listening only then.
 * Firefox runs the same flow with its optional-permission prompt switched off (tests/firefox/handshake.spec.ts).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import type { Page } from '@playwright/test';
import { test as base, expect, launchWithExtension, waitForStore, EXTENSION_DIR } from './fixtures';
import { exportFile, importFile, openPanel, openSettings, rowWith, tabIdOf } from './panel-helpers';

const HOST = 'wsi-handshake.test';

interface Site {
  origin: string;
  close(): Promise<void>;
}

/** A page that sets a cookie and opens a socket that is accepted (with Set-Cookie) and one that is refused (403). */
async function startSite(): Promise<Site> {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('headers', (headers) => headers.push('Set-Cookie: server=granted', 'X-Handshake: yes'));
  wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>handshakes</title><script>
      document.cookie = 'session=secret-value';
      window.ws = new WebSocket('ws://' + location.host + '/ws');
      ws.onopen = () => ws.send('hello handshake');
      window.refused = new WebSocket('ws://' + location.host + '/refused');
    </script>`);
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/refused') {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://${HOST}:${port}`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The build, with host access granted in its manifest (what a user who answered Chromium's prompt has). */
function buildWithHostAccess(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wsi-host-access-'));
  cpSync(EXTENSION_DIR, dir, { recursive: true });
  const manifestFile = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  expect(manifest.optional_permissions).toEqual(['webRequest']);
  expect(manifest.optional_host_permissions).toEqual(['<all_urls>']);
  expect(manifest.host_permissions).toBeUndefined(); // the shipped build asks for nothing at install
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, host_permissions: ['<all_urls>'] }));
  return dir;
}

const test = base.extend<{ build: string; profile: string; site: Site }>({
  build: async ({}, use) => {
    const dir = buildWithHostAccess();
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  profile: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'wsi-profile-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  site: async ({}, use) => {
    const site = await startSite();
    await use(site);
    await site.close();
  },
});

type Header = { name: string; value: string };
type StoredHandshake = { status: number; statusText: string; source: string; method: string; error?: string; requestHeaders: Header[]; responseHeaders: Header[] };
const handshakeOf = (c: Record<string, unknown> | undefined) => c?.handshake as StoredHandshake | undefined;

/** Opens the Handshake section of the row `row`. */
async function openHandshake(panel: Page, row: ReturnType<typeof rowWith>) {
  await row.click();
  const section = panel.locator('details.handshake');
  await expect(section).toHaveCount(1);
  if ((await section.getAttribute('open')) === null) await section.locator('summary').click();
  return section;
}

const launch = (build: string, profile: string) => launchWithExtension(build, [`--host-resolver-rules=MAP ${HOST} 127.0.0.1`], profile);

test('handshake capture: asked for from the Handshake section; after Chrome restarts every connection shows its headers and status; off in Settings', async ({ build, profile, site }) => {
  test.setTimeout(120_000);
  // 1. Not granted: nothing heard; the Handshake section offers it, and says when Chrome applies it.
  let browser = await launch(build, profile);
  let sw = browser.sw!;
  let page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(`${site.origin}/`);
  const before = await waitForStore(sw, (s) => s.frames.some((f) => f.kind === 'frame' && f.text === 'hello handshake' && f.dir === 'receive'));
  expect(before.connections.every((c) => c.handshake === undefined)).toBe(true);
  let panel = await openPanel(browser.context, browser.extensionId, await tabIdOf(page, sw));
  let section = await openHandshake(panel, rowWith(panel, 'hello handshake').first());
  await expect(section).toContainText('No handshake was seen for this connection');
  await section.getByRole('button', { name: 'Capture handshakes' }).click();
  await expect(section.getByRole('status')).toContainText('Handshake capture is on.');
  await expect(section.getByRole('status')).toContainText('Chrome hands handshakes to extensions from its next start after capture was turned on');
  expect(await sw.evaluate(() => (globalThis as any).chrome.permissions.contains({ permissions: ['webRequest'], origins: ['<all_urls>'] }))).toBe(true);
  await browser.close();

  // 2. The browser restarted: the background listens from its first task; both sockets' handshakes are on the
  // hook's connections (one connection each, not two).
  browser = await launch(build, profile);
  sw = browser.sw!;
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const seen = new Set(before.connections.map((c) => c.sessionId));
  // The background listens from its first task now that it is granted (the page loads once it is up).
  await expect.poll(() => sw.evaluate(() => Boolean((globalThis as any).chrome.webRequest?.onSendHeaders.hasListeners()))).toBe(true);
  await page.goto(`${site.origin}/`);
  const after = await waitForStore(sw, (s) => {
    const ours = s.connections.filter((c) => !seen.has(c.sessionId));
    return handshakeOf(ours.find((c) => String(c.url).endsWith('/ws')))?.status === 101 && handshakeOf(ours.find((c) => String(c.url).endsWith('/refused'))) !== undefined;
  });
  const current = after.connections.filter((c) => !seen.has(c.sessionId));
  expect(current).toHaveLength(2);
  const accepted = handshakeOf(current.find((c) => String(c.url).endsWith('/ws')))!;
  expect(accepted).toMatchObject({ method: 'GET', status: 101, statusText: 'Switching Protocols', source: 'network' });
  expect(accepted.requestHeaders).toContainEqual({ name: 'Origin', value: site.origin });
  expect(accepted.requestHeaders).toContainEqual({ name: 'Cookie', value: 'session=secret-value' }); // extraHeaders
  expect(accepted.requestHeaders).toContainEqual({ name: 'Upgrade', value: 'websocket' });
  expect(accepted.responseHeaders.map((h) => h.name.toLowerCase())).toContain('sec-websocket-accept');
  expect(accepted.responseHeaders).toContainEqual({ name: 'Set-Cookie', value: 'server=granted' });
  // Chromium's webRequest does not give a refused upgrade's status, only its failure.
  const refused = handshakeOf(current.find((c) => String(c.url).endsWith('/refused')))!;
  expect(refused).toMatchObject({ status: 0, error: 'net::ERR_FAILED', source: 'network' });

  // The panel shows them, as text.
  panel = await openPanel(browser.context, browser.extensionId, await tabIdOf(page, sw));
  section = await openHandshake(panel, rowWith(panel, 'hello handshake').first());
  await expect(section.locator('summary')).toContainText('101 Switching Protocols');
  await expect(section.getByRole('definition').filter({ hasText: /^session=secret-value$/ })).toHaveCount(1);
  await expect(section.getByRole('term').filter({ hasText: /^Set-Cookie$/ })).toHaveCount(1);
  await expect(section).toContainText('From the browser (handshake capture).');

  // Exported to HAR as Chrome's HAR carries it, Cookie and Set-Cookie values hidden unless asked for.
  type HarEntry = { request: { url: string; headers: Header[] }; response: { status: number; headers: Header[] } };
  const value = (headers: Header[], name: string) => headers.find((h) => h.name === name)?.value;
  const har = await exportFile(panel, 'Whole session', /HAR/);
  const entry = (JSON.parse(har.text).log.entries as HarEntry[]).find((e) => e.request.url.endsWith('/ws'))!;
  expect(entry.response.status).toBe(101);
  expect(entry.request.headers).toContainEqual({ name: 'Origin', value: site.origin });
  expect(value(entry.request.headers, 'Cookie')).toMatch(/hidden/);
  expect(value(entry.response.headers, 'Set-Cookie')).toMatch(/hidden/);
  expect(har.text).not.toContain('secret-value');
  expect(har.text).not.toContain('server=granted');
  const withSecrets = await exportFile(panel, 'Whole session', /HAR/, { includeSecrets: true });
  const kept = (JSON.parse(withSecrets.text).log.entries as HarEntry[]).find((e) => e.request.url.endsWith('/ws'))!;
  expect(value(kept.request.headers, 'Cookie')).toBe('session=secret-value');
  expect(value(kept.response.headers, 'Set-Cookie')).toBe('server=granted');

  const exportButton = panel.getByRole('button', { name: 'Export', exact: true });
  await exportButton.click(); // close the export options, which cover the grid
  await expect(exportButton).toHaveAttribute('aria-expanded', 'false');

  // Imported back: the imported connection has the handshake, shown in its Handshake section.
  await importFile(panel, har.name, har.text);
  await expect(panel.getByRole('combobox', { name: 'Session' })).toContainText(`imported from ${har.name}`);
  section = await openHandshake(panel, rowWith(panel, 'hello handshake').first());
  await expect(section.locator('summary')).toContainText('101 Switching Protocols');
  await expect(section.getByRole('definition').filter({ hasText: /^http:\/\/wsi-handshake\.test:/ })).toHaveCount(1); // Origin
  await expect(section).toContainText('From the imported HAR.');
  await panel.getByRole('combobox', { name: 'Session' }).selectOption({ index: 0 });

  // 3. Off in Settings: the permission goes, and the next page load's connections have none.
  const settings = await openSettings(panel);
  const toggle = settings.getByRole('checkbox', { name: /^Capture handshakes/ });
  await expect(toggle).toBeChecked();
  await toggle.uncheck();
  await expect.poll(() => sw.evaluate(() => (globalThis as any).chrome.permissions.contains({ permissions: ['webRequest'] }))).toBe(false);
  const sessions = new Set((await waitForStore(sw, () => true)).connections.map((c) => c.sessionId)); // the imported one too
  await page.reload();
  await waitForStore(sw, (s) => s.frames.some((f) => !sessions.has(f.sessionId) && f.kind === 'frame' && f.dir === 'receive'));
  await page.waitForTimeout(1000); // a handshake is attached within ~100 ms of its connection
  const last = (await waitForStore(sw, () => true)).connections.filter((c) => !sessions.has(c.sessionId));
  expect(last).toHaveLength(2);
  expect(last.map((c) => c.handshake)).toEqual([undefined, undefined]);
  await browser.close();
});
