/**
 * A relay connects only when its page has something to say, so pages without WebSockets write nothing and never
 * wake the service worker, and an idle tab lets it sleep; the background wakes a page's relays when a command
 * needs them, and a subframe that connects first joins the top frame's page-load session.
 */
import type { BrowserContext, Page, Worker } from '@playwright/test';
import { test, expect, waitForStore, readStore, stopExtensionWorker, workerWasRestarted } from './fixtures';

/** The extension worker's running status as CDP reports it ('running', 'stopped', …). */
async function workerStatus(context: BrowserContext, page: Page, sw: Worker): Promise<string> {
  const cdp = await context.newCDPSession(page);
  try {
    let status = 'unknown';
    cdp.on('ServiceWorker.workerVersionUpdated', (event) => {
      for (const v of event.versions) if (v.scriptURL === sw.url()) status = v.runningStatus;
    });
    await cdp.send('ServiceWorker.enable'); // reports every known version at once
    await new Promise((r) => setTimeout(r, 200));
    return status;
  } finally {
    await cdp.detach().catch(() => undefined);
  }
}

test('a page without WebSockets writes no session; its first socket, in a subframe, starts the page-load session for all its frames', async ({ page, server, sw }) => {
  const url = server.page('/quiet.html', `<!doctype html><title>quiet page</title><script>window.loadedAt = Date.now();</script>`);
  await page.goto(url);
  await page.waitForTimeout(1500);
  // Nothing was written: not even the database exists yet in this fresh profile.
  const sessions = await readStore(sw).then(
    (store) => store.sessions,
    (error: unknown) => (String(error).includes('no database yet') ? [] : Promise.reject(error)),
  );
  expect(sessions).toEqual([]);

  // A subframe opens the first socket: its relay connects before the top frame's, which never needs to.
  await page.evaluate((ws) => {
    const frame = document.createElement('iframe');
    frame.srcdoc = `<script>window.ws = new WebSocket('${ws}/echo'); ws.onopen = () => ws.send('from the frame');<\/script>`;
    document.body.append(frame);
  }, server.wsOrigin);
  let s = await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'from the frame'));
  expect(s.sessions).toHaveLength(1);
  const session = s.sessions[0];
  const loadedAt = await page.evaluate(() => (window as unknown as { loadedAt: number }).loadedAt);
  // The session is the page load's: its URL and title are the top page's, it started when the page loaded.
  expect(session).toMatchObject({ pageUrl: url, title: 'quiet page' });
  expect(session.startedAt).toBeLessThanOrEqual(loadedAt);

  // The top frame's own socket, opened later, goes into the same session.
  await page.evaluate((ws) => {
    const socket = new WebSocket(`${ws}/echo`);
    socket.onopen = () => socket.send('from the top');
  }, server.wsOrigin);
  s = await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'from the top'));
  expect(s.sessions).toHaveLength(1);
  expect(s.connections).toHaveLength(2);
  expect(new Set(s.connections.map((c) => c.sessionId))).toEqual(new Set([session.id]));
});

test('an idle tab lets the stopped worker sleep; a command wakes the page\'s relay and reaches its live socket', async ({ page, server, sw, context, ext }) => {
  const url = server.page('/idle.html', `<!doctype html><script>
    window.got = [];
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.onmessage = (e) => got.push(e.data);
    window.opened = new Promise((r) => ws.onopen = r);
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).opened);
  const store = await waitForStore(sw, (s) => s.connections.some((c) => c.state === 'open'));
  const connectionId = store.connections[0].id;
  const tabId = store.sessions[0].tabId!;

  await stopExtensionWorker(context, page, sw);
  // The socket is open but quiet, and everything was acknowledged: nothing reconnects to the worker.
  await page.waitForTimeout(2000);
  expect(await workerStatus(context, page, sw)).toBe('stopped');

  // A panel (here an extension page speaking the panel protocol) sends on the live socket: the worker starts,
  // wakes the tab's relays, and hands the command to the one that owns the socket.
  const ctl = await context.newPage();
  await ctl.goto(`chrome-extension://${ext.extensionId}/devtools.html`);
  const result = await ctl.evaluate(
    async ({ tabId, connectionId }) => {
      const port = (globalThis as any).chrome.runtime.connect({ name: 'wsi-panel' });
      const answer = new Promise((resolve) => port.onMessage.addListener((m: any) => m.type === 'command-result' && resolve(m)));
      port.postMessage({ ns: 'websocket-inspector', type: 'panel-hello', protocolVersion: 1, tabId });
      port.postMessage({
        ns: 'websocket-inspector', type: 'page-command', tabId, requestId: crypto.randomUUID(),
        command: { kind: 'send', connectionId, encoding: 'text', payload: 'after the worker slept' },
      });
      return answer;
    },
    { tabId, connectionId },
  );
  expect(result).toMatchObject({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).got)).toEqual(['after the worker slept']);
  expect(server.received.map((m) => m.data.toString())).toEqual(['after the worker slept']);
  expect(await workerWasRestarted(sw)).toBe(true);
  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.text === 'after the worker slept').length === 2);
  expect(s.frames.find((f) => f.text === 'after the worker slept' && f.dir === 'send')).toMatchObject({ origin: 'inspector' });
});
