/**
 * The relay against a hostile page (issue #9 §1-2, §6): a rule scoped to one site never acts on (nor reaches) a page of
 * another origin; a page that offers the relay a port of its own after the hand-over gets it refused, and its
 * frame's connections are stored under the frame's own URL; breakpoints stop holding when the last panel closes.
 */
import type { Page, Worker } from '@playwright/test';
import { test, expect, waitForStore, framesOf, openLoggingPage, type TestServer } from './fixtures';

const setRules = (sw: Worker, rules: unknown[]) =>
  sw.evaluate((value) => {
    const api = (globalThis as unknown as { chrome: { storage: { local: { set(items: object): Promise<void> } } } }).chrome;
    return api.storage.local.set({ interceptRules: { rules: value, holdTimeoutMs: 30_000 } });
  }, rules);
const rule = (fields: Record<string, unknown>) => ({
  id: 'r', name: 'scoped block', enabled: true, action: 'block', direction: 'send', urlPattern: '', pattern: 'secret-', regex: false, replacement: '', ...fields,
});

async function sendFrom(page: Page, server: TestServer, origin: string, text: string) {
  const url = `${origin}/sender.html`;
  server.page('/sender.html', `<!doctype html><script>
    window.sent = new Promise((resolve) => setTimeout(() => {
      const ws = new WebSocket('${server.wsOrigin}/echo?sender');
      ws.onopen = () => { ws.send(new URLSearchParams(location.search).get('t')); };
      ws.onmessage = () => resolve(true);
      setTimeout(() => resolve(false), 1500); // a blocked send gets no echo
    }, 300)); // the rules reach the hook from storage: not what is tested here
  </script>`);
  await page.goto(`${url}?t=${encodeURIComponent(text)}`);
  return page.evaluate(() => (window as unknown as { sent: Promise<boolean> }).sent);
}

test('a rule scoped to one origin acts there and never on a page of another origin', async ({ page, server, sw }) => {
  const a = server.origin; // http://127.0.0.1:<port>
  const b = server.origin.replace('127.0.0.1', 'localhost');
  await setRules(sw, [rule({ scope: a })]);
  expect(await sendFrom(page, server, a, 'secret-a')).toBe(false); // blocked on A
  expect(await sendFrom(page, server, b, 'secret-b')).toBe(true); // B's hook never had the rule
  expect(server.received.map((m) => m.data.toString())).toEqual(['secret-b']);
  // Every-site rules still apply everywhere.
  await setRules(sw, [rule({ scope: '*' })]);
  expect(await sendFrom(page, server, b, 'secret-c')).toBe(false);
});

test('a page that offers the relay a port after the hand-over is refused, and its frame keeps its own URL', async ({ page, server, sw }) => {
  server.page('/child.html', `<!doctype html><script>
    window.ws = new WebSocket('${server.wsOrigin}/echo?child');
    ws.onopen = () => ws.send('real');
  </script>`);
  const url = server.page('/forger.html', `<!doctype html><body><script>
    // The attack of issue #9 §1: an iframe whose Window exists before its document, listeners put on it early.
    window.log = [];
    const f = document.createElement('iframe');
    f.src = '/child.html';
    document.body.appendChild(f);
    for (const type of ['load', 'websocket-inspector:port', 'websocket-inspector:relay-ready']) {
      f.contentWindow.addEventListener(type, (e) => log.push(['early', type, e.data, e.ports && e.ports.length]), true);
    }
    f.onload = () => {
      // Now offer the relay a port of the page's own, with a forged connect waiting on it.
      const forged = new MessageChannel();
      const offer = new MessageEvent('load', { data: 'websocket-inspector:port', ports: [forged.port2], cancelable: true });
      f.contentDocument.dispatchEvent(offer);
      log.push(['offer taken', offer.defaultPrevented]);
      forged.port1.postMessage({ ns: 'websocket-inspector', type: 'page-events', ids: [], rows: new Float64Array([-1, 0, 0, 0, 0]), text: '',
        events: [{ k: 'connect', socketId: 'forged-1', url: 'wss://forged.example/', protocols: [], frameUrl: 'https://victim.example/', time: Date.now() }] });
      window.done = true;
    };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as unknown as { done?: boolean }).done)).toBe(true);
  const log = await page.evaluate(() => (window as unknown as { log: unknown[][] }).log);
  expect(log.filter((entry) => entry[0] === 'early' && entry[3])).toEqual([]); // no port ever seen by the page
  expect(log).toContainEqual(['offer taken', false]);
  const store = await waitForStore(sw, (s) => s.connections.some((c) => c.url.endsWith('/echo?child') && framesOf(s, c.id).length === 2));
  const child = store.connections.find((c) => c.url.endsWith('/echo?child'))!;
  expect(child.frameUrl).toBe(`${server.origin}/child.html`);
  await page.waitForTimeout(300);
  const after = await waitForStore(sw, () => true);
  expect(after.connections.filter((c) => c.url.includes('forged') || c.frameUrl === 'https://victim.example/')).toEqual([]);
});

test('breakpoints follow the panel: closing the last panel of a tab forwards its held frame, and new frames flow', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await context.newPage();
  await panel.goto(`chrome-extension://${ext.extensionId}/panel.html?tabId=${tabId}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  await setRules(sw, [rule({ name: 'bp', action: 'breakpoint', pattern: 'hold-', scope: '*' })]);
  await page.waitForTimeout(300);
  await page.evaluate(() => (window as unknown as { ws: WebSocket }).ws.send('hold-me'));
  await page.waitForTimeout(500);
  expect(server.received.map((m) => m.data.toString())).toEqual([]); // held while the panel watches
  const start = Date.now();
  await panel.close();
  await expect.poll(() => server.received.map((m) => m.data.toString()), { timeout: 5000 }).toEqual(['hold-me']);
  expect(Date.now() - start).toBeLessThan(5000); // not the 30 s hold timeout
  await page.evaluate(() => (window as unknown as { ws: WebSocket }).ws.send('hold-me-too'));
  await expect.poll(() => server.received.length, { timeout: 2000 }).toBe(2); // nothing held without a panel
});
