/**
 * Nothing lost when the page goes (issue #10 §1): a page that exchanges a frame and navigates (0, 20 and 60 ms after
 * the echo) or closes its tab has the connection and both frames stored, and the connection ended ('page-closed');
 * a renderer crash leaves no connection "open" ('crashed').
 */
import { test, expect, waitForStore, framesOf, type StoredSnapshot } from './fixtures';

const ended = (s: StoredSnapshot, url: string) => s.connections.find((c) => c.url.endsWith(url) && c.state === 'closed' && c.pageGone);

/**
 * Fast exits (0, 20, 60 ms) need the hook's last batch to reach the relay synchronously at pagehide: a batch posted on
 * the MessagePort at pagehide never reached the relay (the document is gone before the port's task runs). The hook
 * now hands it over synchronously (lib/page/batch.ts, lib/relay/page-port.ts). 2000 ms is the control.
 */
const LAST_WORDS_SYNC = true;
/**
 * Tab close, Chromium: the hook's last batch does reach the relay at pagehide (measured), but nothing the relay asks
 * of the extension then reaches the background: a message on an open, welcomed runtime port (the goodbye), a
 * runtime.sendMessage and a storage.local.set issued in the closing tab's pagehide were all lost (the connection of a
 * page that waits 1.5 s before closing is stored with its frames, and ended 'crashed' for want of the goodbye).
 */
const TAB_CLOSE_DELIVERED = false;

for (const delay of [0, 20, 60, 2000]) {
  test(`a page that navigates ${delay} ms after its echo: connection and both frames stored, connection ended as page-closed`, async ({ page, server, sw }) => {
    test.fixme(delay < 2000 && !LAST_WORDS_SYNC, 'needs the hook to hand its last batch over synchronously at pagehide');
    const wsPath = `/echo?nav=${delay}`;
    server.page('/next.html', '<!doctype html><title>next</title>');
    const url = server.page(`/leave-${delay}.html`, `<!doctype html><script>
      const ws = new WebSocket('${server.wsOrigin}${wsPath}');
      ws.onopen = () => ws.send('last words ${delay}');
      ws.onmessage = () => {
        const go = () => { location.href = '/next.html'; };
        if (${delay} === 0) go(); else setTimeout(go, ${delay});
      };
    </script>`);
    await page.goto(url);
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

test('a page that closes its tab right after the echo: connection and both frames stored, connection ended', async ({ page, server, sw, context }) => {
  test.fixme(!TAB_CLOSE_DELIVERED, 'Chromium drops what a closing tab sends to the extension during pagehide');
  const wsPath = '/echo?close-tab';
  const url = server.page('/close-tab.html', `<!doctype html><script>
    const ws = new WebSocket('${server.wsOrigin}${wsPath}');
    ws.onopen = () => ws.send('goodbye tab');
    ws.onmessage = () => window.close();
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
  expect(framesOf(store, connection.id).map((f) => f.text)).toEqual(['goodbye tab', 'goodbye tab']);
  expect(connection.pageGone).toMatchObject({ reason: 'page-closed' });
});

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
