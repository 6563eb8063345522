/**
 * Nothing lost when the page goes (issues #10 §1, #21 §1): a page that exchanges a frame and navigates (0, 20 and
 * 60 ms after the echo) has the connection and both frames stored, and the connection ended ('page-closed'); a tab
 * that closes has its connection ended as 'page-closed' by the tab's removal, with what was stored kept; a renderer
 * crash leaves no connection "open" ('crashed').
 */
import { test, expect, waitForStore, framesOf, type StoredSnapshot } from './fixtures';

const ended = (s: StoredSnapshot, url: string) => s.connections.find((c) => c.url.endsWith(url) && c.state === 'closed' && c.pageGone);

/**
 * Fast exits (0, 20, 60 ms) need the hook's last batch to reach the relay synchronously at pagehide: a batch posted on
 * the MessagePort at pagehide never reached the relay (the document is gone before the port's task runs). The hook
 * now hands it over synchronously (lib/page/batch.ts, lib/relay/page-port.ts). 2000 ms is the control.
 */
const LAST_WORDS_SYNC = true;
for (const delay of [0, 20, 60, 2000]) {
  test(`a page that navigates ${delay} ms after its echo: connection and both frames stored, connection ended as page-closed`, async ({ page, server, sw }) => {
    test.fixme(delay < 2000 && !LAST_WORDS_SYNC, 'needs the hook to hand its last batch over synchronously at pagehide');
    const wsPath = `/echo?nav=${delay}`;
    server.page('/next.html', '<!doctype html><title>next</title>');
    const url = server.page(`/leave-${delay}.html`, `<!doctype html><script>
      const ws = new WebSocket('${server.wsOrigin}${wsPath}');
      window.opened = new Promise((r) => ws.onopen = r);
      window.exchange = () => ws.send('last words ${delay}');
      ws.onmessage = () => {
        const go = () => { location.href = '/next.html'; };
        if (${delay} === 0) go(); else setTimeout(go, ${delay});
      };
    </script>`);
    await page.goto(url);
    await page.evaluate(() => (window as unknown as { opened: Promise<unknown> }).opened);
    // The relay's port is up and the background has the connection: what is tested is the last frames, not whether
    // a port the document opens in its very last milliseconds gets established (Chromium may cancel it under load).
    await waitForStore(sw, (s) => s.connections.some((c) => c.url.endsWith(wsPath) && c.state === 'open'));
    await page.evaluate(() => (window as unknown as { exchange(): void }).exchange());
    await page.waitForURL(/next\.html/);
    const store = await waitForStore(sw, (s) => {
      const c = ended(s, wsPath);
      return !!c && framesOf(s, c.id).length === 2;
    });
    const connection = ended(store, wsPath)!;
    expect(framesOf(store, connection.id).map((f) => [f.dir, f.text])).toEqual([
      ['send', `last words ${delay}`],
      ['receive', `last words ${delay}`],
    ]);
    expect(connection.pageGone).toMatchObject({ reason: 'page-closed' });
    expect(typeof connection.closedAt).toBe('number');
  });
}

/**
 * Tab close, Chromium: the hook's last batch does reach the relay at pagehide (measured), but nothing the relay asks
 * of the extension then reaches the background: a message on an open, welcomed runtime port (the goodbye), a
 * runtime.sendMessage and a storage.local.set issued in the closing tab's pagehide were all lost. So what is
 * recorded must be on its way before: sparse traffic is handed to the relay in the task that recorded it and sent
 * at once, and the background learns of the close from tabs.onRemoved (lib/worker/gone-tabs.ts): it ends the tab's
 * connections as 'page-closed', not 'crashed' (the relay's port drops with no goodbye, before or after the
 * removal). What a page records in its own pagehide listener as its tab closes is still lost.
 */
test.describe('a closing tab', () => {
  test('a page whose capture is under way closes its tab at once after a request and its reply: both frames stored, connection ended as page-closed', async ({ page, server, sw, context }) => {
    // Sparse traffic goes to the relay at once (two posts per 100 ms window, lib/page/batch.ts), handed over in the
    // task that recorded it, so the reply is on its way before the tab's pagehide, where Chromium would drop it.
    const wsPath = '/echo?close-tab=settled';
    const url = server.page('/close-tab-settled.html', `<!doctype html><script>
      const ws = new WebSocket('${server.wsOrigin}${wsPath}');
      window.exchange = () => ws.send('goodbye tab, settled');
      ws.onmessage = () => window.close();
    </script>`);
    server.page('/opener-settled.html', '<!doctype html><title>opener</title>');
    await page.goto(`${server.origin}/opener-settled.html`);
    const opened = context.waitForEvent('page');
    await page.evaluate((u) => void window.open(u), url);
    const child = await opened;
    // The relay's port is up and the connection stored (a port opened in a page's last milliseconds is another story).
    await waitForStore(sw, (s) => s.connections.some((c) => c.url.endsWith(wsPath) && c.state === 'open'));
    await child.waitForTimeout(150); // a quiet spell: the connect and open were this window's posts at once
    const closed = child.waitForEvent('close');
    await child.evaluate(() => (window as unknown as { exchange(): void }).exchange());
    await closed;
    const store = await waitForStore(sw, (s) => {
      const c = ended(s, wsPath);
      return !!c && framesOf(s, c.id).length === 2;
    });
    const connection = ended(store, wsPath)!;
    expect(framesOf(store, connection.id).map((f) => [f.dir, f.text])).toEqual([
      ['send', 'goodbye tab, settled'],
      ['receive', 'goodbye tab, settled'],
    ]);
    expect(connection.pageGone).toMatchObject({ reason: 'page-closed' });
  });
});

for (const wait of [1000, 0]) {
  // 0 ms: the page opens a socket, sends on open, and closes its tab as the reply comes. Its connect, its open and
  // send, and the reply each go to the relay in the task that recorded them (lib/page/batch.ts, IMMEDIATE_POSTS),
  // and the relay sends them without waiting for its port's welcome: all is on its way before the tab's pagehide.
  test(`a page that closes its tab ${wait} ms after its echo: both frames stored, the connection ended as page-closed`, async ({ page, server, sw, context }) => {
    const wsPath = `/echo?close-tab=${wait}`;
    const url = server.page(`/close-tab-${wait}.html`, `<!doctype html><script>
      const ws = new WebSocket('${server.wsOrigin}${wsPath}');
      ws.onopen = () => ws.send('goodbye tab');
      ws.onmessage = () => setTimeout(() => window.close(), ${wait});
    </script>`);
    server.page('/opener.html', '<!doctype html><title>opener</title>');
    await page.goto(`${server.origin}/opener.html`);
    const closed = context.waitForEvent('page').then((child) => child.waitForEvent('close'));
    await page.evaluate((u) => void window.open(u), url);
    await closed;
    const store = await waitForStore(sw, (s) => {
      const c = ended(s, wsPath);
      return !!c && framesOf(s, c.id).length === 2;
    });
    const connection = ended(store, wsPath)!;
    expect(framesOf(store, connection.id).map((f) => [f.dir, f.text])).toEqual([
      ['send', 'goodbye tab'],
      ['receive', 'goodbye tab'],
    ]);
    expect(connection.pageGone).toMatchObject({ reason: 'page-closed' });
  });
}

test('a renderer crash leaves no connection open: it is ended as crashed', async ({ page, server, sw, context }) => {
  const wsPath = '/echo?crash';
  const url = server.page('/crash.html', `<!doctype html><script>
    const ws = new WebSocket('${server.wsOrigin}${wsPath}');
    ws.onopen = () => ws.send('before the crash');
  </script>`);
  await page.goto(url);
  await waitForStore(sw, (s) => s.connections.some((c) => c.url.endsWith(wsPath) && framesOf(s, c.id).length === 2));
  const cdp = await context.newCDPSession(page);
  void cdp.send('Page.crash').catch(() => undefined); // never answered: the session dies with the renderer
  const store = await waitForStore(sw, (s) => !!ended(s, wsPath));
  expect(ended(store, wsPath)!.pageGone).toMatchObject({ reason: 'crashed' });
  expect(store.connections.filter((c) => c.url.endsWith(wsPath) && c.state !== 'closed')).toEqual([]);
});
