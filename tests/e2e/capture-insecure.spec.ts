/**
 * Capture on plain-http pages of a host other than localhost: a non-secure context, where APIs such as
 * crypto.randomUUID do not exist. Every other spec runs on 127.0.0.1, which browsers treat as secure, so this one
 * maps made-up host names to 127.0.0.1 (`--host-resolver-rules`) and checks the page really is not secure.
 */
import { test as base, expect, launchWithExtension, startTestServer, waitForStore, framesOf, type TestServer } from './fixtures';

const HOST = 'wsi-insecure.test';
const OTHER_HOST = 'wsi-other.test';

const test = base.extend<{ insecure: Awaited<ReturnType<typeof launchWithExtension>>; site: TestServer }>({
  insecure: async ({}, use) => {
    const ext = await launchWithExtension(undefined, [`--host-resolver-rules=MAP ${HOST} 127.0.0.1, MAP ${OTHER_HOST} 127.0.0.1`]);
    await use(ext);
    await ext.close();
  },
  site: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.close();
  },
});

test('a plain-http page of a non-local host has its frames, closes and iframes captured', async ({ insecure, site }) => {
  const sw = insecure.sw!;
  const origin = `http://${HOST}:${site.port}`;
  const wsOrigin = `ws://${HOST}:${site.port}`;
  site.page('/frame.html', `<!doctype html><script>
    const ws = new WebSocket('ws://${OTHER_HOST}:${site.port}/echo');
    ws.onopen = () => ws.send('from the iframe');
  </script>`);
  site.page('/insecure.html', `<!doctype html><title>insecure</title><script>
    window.secure = window.isSecureContext;
    window.got = [];
    const ws = new WebSocket('${wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { ws.send('hello over http'); ws.send(new Uint8Array([1, 2, 3])); };
    ws.onmessage = (e) => {
      got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)]);
      if (got.length === 2) ws.close(4001, 'done');
    };
  </script><iframe src="http://${OTHER_HOST}:${site.port}/frame.html"></iframe>`);
  const page = insecure.context.pages()[0] ?? (await insecure.context.newPage());
  await page.goto(`${origin}/insecure.html`);
  expect(await page.evaluate(() => (window as any).secure)).toBe(false);
  expect(await page.frames()[1].evaluate(() => window.isSecureContext)).toBe(false);

  const store = await waitForStore(sw, (s) => s.connections.length === 2 && s.connections.some((c) => c.state === 'closed') && s.frames.filter((f) => f.kind === 'frame').length === 6);
  const main = store.connections.find((c) => c.url === `${wsOrigin}/echo`)!;
  expect(main).toMatchObject({ state: 'closed', closeCode: 4001, closeReason: 'done' });
  expect(framesOf(store, main.id).map((f) => [f.dir, f.opcode, f.text ?? f.base64])).toEqual([
    ['send', 1, 'hello over http'],
    ['send', 2, 'AQID'],
    ['receive', 1, 'hello over http'],
    ['receive', 2, 'AQID'],
  ]);
  const framed = store.connections.find((c) => c.url === `ws://${OTHER_HOST}:${site.port}/echo`)!;
  expect(framesOf(store, framed.id).map((f) => [f.dir, f.text])).toEqual([['send', 'from the iframe'], ['receive', 'from the iframe']]);
  // One session, the insecure page's own, with its URL as the relay saw it.
  expect(store.sessions).toHaveLength(1);
  expect(store.sessions[0].pageUrl).toBe(`${origin}/insecure.html`);

  // The panel (an extension page) shows it as it would any other.
  const tabId = store.sessions[0].tabId!;
  const panel = await insecure.context.newPage();
  await panel.goto(`chrome-extension://${insecure.extensionId}/panel.html?tabId=${tabId}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  const connections = panel.getByRole('listbox', { name: 'Connections' });
  await expect(connections.getByRole('option', { name: new RegExp(`${wsOrigin}/echo`) })).toContainText('4001');
});
