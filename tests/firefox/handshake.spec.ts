/**
 * Handshake capture in Firefox (issue #21 §3), where DevTools' HAR has no WebSocket messages: the user asks for it
 * from a connection's Handshake section in the panel (as a tab), Firefox grants `webRequest` and host access (its
 * optional-permission prompt is switched off by a pref, as Firefox's own tests do), and the next connections carry
 * their handshakes: request headers with Origin and Cookie, 101 and Sec-WebSocket-Accept; a refused upgrade its 403.
 */
import { createServer, type Server } from 'node:http';
import { test as base, expect, launchFirefox, openExtensionPage, openPage, startTestServer, uniqueId, waitForStore, type LaunchedFirefox, type TestServer } from './fixtures';

/** A server that refuses every WebSocket upgrade with 403. */
async function startRefusing(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => res.end());
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/refused`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const test = base.extend<{ granting: LaunchedFirefox; site: TestServer; refusing: { url: string; close(): Promise<void> } }>({
  refusing: async ({}, use) => {
    const refusing = await startRefusing();
    await use(refusing);
    await refusing.close();
  },
  granting: async ({}, use) => {
    const launched = await launchFirefox(undefined, { 'extensions.webextOptionalPermissionPrompts': false });
    await use(launched);
    await launched.close();
  },
  site: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.close();
  },
});

const aria = (role: string, name: string) => `::-p-aria([role="${role}"][name="${name}"])`;
type Header = { name: string; value: string };

test('asked for from the panel, handshake capture gives the next connections their handshakes', async ({ granting, site, refusing }) => {
  test.setTimeout(120_000);
  const reader = await openExtensionPage(granting.browser, '/devtools.html');
  const id = uniqueId('handshake');
  const wsUrl = `${site.wsOrigin}/echo?${id}`;
  const html = `<title>handshakes</title><script>
    document.cookie = 'session=secret-value';
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onopen = () => ws.send('hello ${id}');
    const refused = new WebSocket(${JSON.stringify(refusing.url)});
  </script>`;
  const page = await openPage(granting.browser, site.page(`/${id}.html`, html));
  const first = await waitForStore(reader, (s) => s.frames.some((f) => f.kind === 'frame' && f.dir === 'receive' && f.text === `hello ${id}`));
  const connection = first.connections.find((c) => c.url === wsUrl)!;
  expect(connection.handshake).toBeUndefined();
  const tabId = first.sessions.find((s) => s.id === connection.sessionId)!.tabId!;

  const panel = await openExtensionPage(granting.browser, `/panel.html?tabId=${tabId}`);
  await expect.poll(() => panel.$eval(aria('status', 'Connection to the extension'), (e) => (e as HTMLElement).innerText.trim()).catch(() => '')).toBe('Connected');
  // Select the echoed row, open its Handshake section, ask.
  const row = await panel.waitForSelector(`::-p-aria([role="row"])::-p-text(hello ${id})`);
  await row!.click();
  await panel.waitForSelector('details.handshake summary');
  await panel.$eval('details.handshake', (d) => ((d as HTMLDetailsElement).open = true));
  const ask = await panel.waitForSelector(`details.handshake ${aria('button', 'Capture handshakes')}`);
  await ask!.click();
  await expect.poll(() => panel.$eval('details.handshake', (d) => (d as HTMLElement).innerText).catch(() => '')).toContain('Handshake capture is on');

  await page.reload();
  const refusedBefore = new Set(first.connections.filter((c) => c.url === refusing.url).map((c) => c.id));
  const after = await waitForStore(
    reader,
    (s) =>
      s.connections.some((c) => c.url === wsUrl && c.id !== connection.id && (c.handshake as { status?: number } | undefined)?.status === 101) &&
      s.connections.some((c) => c.url === refusing.url && !refusedBefore.has(c.id) && c.handshake !== undefined),
  );
  // Firefox gives a refused upgrade's status.
  const refused = after.connections.filter((c) => c.url === refusing.url && !refusedBefore.has(c.id));
  expect(refused).toHaveLength(1);
  expect((refused[0].handshake as { status: number }).status).toBe(403);
  // The panel's connection list says so, as DevTools' Status column would.
  await expect.poll(() => panel.evaluate(() => document.body.innerText)).toContain('refused: 403 Forbidden');
  const next = after.connections.filter((c) => c.url === wsUrl && c.id !== connection.id);
  expect(next).toHaveLength(1);
  const handshake = next[0].handshake as { status: number; source: string; method: string; requestHeaders: Header[]; responseHeaders: Header[] };
  expect(handshake).toMatchObject({ status: 101, source: 'network', method: 'GET' });
  const names = (headers: Header[]) => headers.map((h) => h.name.toLowerCase());
  expect(names(handshake.requestHeaders)).toEqual(expect.arrayContaining(['origin', 'cookie', 'sec-websocket-key', 'sec-websocket-version']));
  expect(handshake.requestHeaders.find((h) => h.name.toLowerCase() === 'cookie')?.value).toContain('session=secret-value');
  expect(names(handshake.responseHeaders)).toContain('sec-websocket-accept');
  await panel.close();
  await page.close();
  await reader.close();
});
