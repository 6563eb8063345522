/**
 * Resend in Firefox, through the real message path: an extension page's panel port → the event-page background
 * → the tab's relay → (the private MessagePort, binary transferred) → the page hook → the page's live socket.
 * The server must receive exactly the bytes, and the store must record them as sent by the inspector.
 */
import type { Page } from 'puppeteer-core';
import { test, expect, framesOf, openExtensionPage, openPage, uniqueId, waitForStore } from './fixtures';

/** Connects a panel port from an extension page and sends one page command; resolves with its result. */
async function sendCommand(controller: Page, tabId: number, command: unknown): Promise<{ ok: boolean; error?: string }> {
  return controller.evaluate(
    async (tabId, command) => {
      const w = window as any;
      if (!w.panelPort) {
        w.results = new Map();
        w.panelPort = w.browser.runtime.connect({ name: 'wsi-panel' });
        w.panelPort.onMessage.addListener((m: any) => {
          if (m.type === 'command-result') w.results.set(m.requestId, m);
        });
        w.panelPort.postMessage({ ns: 'websocket-inspector', type: 'panel-hello', protocolVersion: 1, tabId });
      }
      const requestId = crypto.randomUUID();
      w.panelPort.postMessage({ ns: 'websocket-inspector', type: 'page-command', tabId, requestId, command });
      for (let i = 0; i < 200; i++) {
        if (w.results.has(requestId)) return w.results.get(requestId);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('no command result in 10 s');
    },
    tabId,
    command,
  );
}

test('resend text and binary on the live socket reaches the server byte for byte', async ({ firefox, reader, server }) => {
  const id = uniqueId('act');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, `<script>
    window.got = [];
    window.ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)]);
  </script>`));
  const opened = await waitForStore(reader, (s) => s.connections.some((c) => c.url === wsUrl && c.state === 'open'));
  const connection = opened.connections.find((c) => c.url === wsUrl)!;
  const tabId = opened.sessions.find((s) => s.id === connection.sessionId)!.tabId!;

  const controller = await openExtensionPage(firefox.browser, '/devtools.html');
  const before = server.received.length; // the server is shared by this worker's tests
  expect(await sendCommand(controller, tabId, { kind: 'send', connectionId: connection.id, encoding: 'text', payload: '{"edited":true}' })).toMatchObject({ ok: true });
  const bytes = [0, 1, 127, 128, 254, 255];
  expect(await sendCommand(controller, tabId, { kind: 'send', connectionId: connection.id, encoding: 'base64', payload: Buffer.from(bytes).toString('base64') })).toMatchObject({ ok: true });

  await expect.poll(() => server.received.length - before).toBe(2);
  const mine = server.received.slice(before);
  expect(mine[0]).toMatchObject({ isBinary: false });
  expect(mine[0].data.toString()).toBe('{"edited":true}');
  expect(mine[1]).toMatchObject({ isBinary: true });
  expect([...mine[1].data]).toEqual(bytes);
  // The page's own listeners get the echoes, as after any send of its own.
  await expect.poll(() => page.evaluate(() => (window as any).got)).toEqual(['{"edited":true}', bytes]);

  const store = await waitForStore(reader, (s) => framesOf(s, connection.id).filter((f) => f.dir === 'send').length === 2);
  expect(framesOf(store, connection.id).filter((f) => f.dir === 'send').map((f) => [f.origin, f.text ?? f.base64])).toEqual([
    ['inspector', '{"edited":true}'],
    ['inspector', Buffer.from(bytes).toString('base64')],
  ]);
  await controller.close();
  await page.close();
});
