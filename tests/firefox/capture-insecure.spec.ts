/**
 * Capture on a plain-http page of a non-local host in Firefox: a non-secure context (no crypto.randomUUID). The
 * made-up host resolves to 127.0.0.1 through `network.dns.forceResolve`; the page checks it is not secure.
 */
import { test as base, expect } from '@playwright/test';
import { framesOf, launchFirefox, openExtensionPage, startTestServer, waitForStore, FIREFOX_EXTENSION_DIR } from './fixtures';

const HOST = 'wsi-insecure.test';
const test = base;

test('a plain-http page of a non-local host has its frames and close captured', async () => {
  test.setTimeout(120_000);
  const site = await startTestServer();
  const firefox = await launchFirefox(FIREFOX_EXTENSION_DIR, { 'network.dns.forceResolve': '127.0.0.1' });
  try {
    const origin = `http://${HOST}:${site.port}`;
    const wsUrl = `ws://${HOST}:${site.port}/echo`;
    site.page('/insecure.html', `<!doctype html><title>insecure</title><script>
      window.secure = window.isSecureContext;
      window.got = [];
      const ws = new WebSocket('${wsUrl}');
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => { ws.send('hello over http'); ws.send(new Uint8Array([1, 2, 3])); };
      ws.onmessage = (e) => {
        got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)]);
        if (got.length === 2) ws.close(4001, 'done');
      };
    </script>`);
    const page = await firefox.browser.newPage();
    await page.goto(`${origin}/insecure.html`);
    expect(await page.evaluate(() => (window as unknown as { secure: boolean }).secure)).toBe(false);
    await expect.poll(() => page.evaluate(() => (window as unknown as { got: unknown[] }).got.length)).toBe(2);

    const reader = await openExtensionPage(firefox.browser, '/devtools.html');
    const store = await waitForStore(reader, (s) => s.connections.some((c) => c.url === wsUrl && c.state === 'closed') && s.frames.filter((f) => f.kind === 'frame').length === 4);
    const connection = store.connections.find((c) => c.url === wsUrl)!;
    expect(connection).toMatchObject({ closeCode: 4001, closeReason: 'done' });
    expect(framesOf(store, connection.id).map((f) => [f.dir, f.opcode, f.text ?? f.base64])).toEqual([
      ['send', 1, 'hello over http'],
      ['send', 2, 'AQID'],
      ['receive', 1, 'hello over http'],
      ['receive', 2, 'AQID'],
    ]);
    expect(store.sessions.find((s) => s.id === connection.sessionId)!.pageUrl).toBe(`${origin}/insecure.html`);
  } finally {
    await firefox.close();
    await site.close();
  }
});
