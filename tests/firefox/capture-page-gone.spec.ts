/**
 * Firefox: a page that goes away has its connections ended in the store (issue #10 §1): navigation and tab close.
 * The first two wait past the hook's batch interval (what is tested is the relay's goodbye and the background ending
 * the connection); the last navigates at once after its echo, so its frames travel in the hook's last batch, handed
 * over synchronously at pagehide (lib/page/batch.ts, lib/relay/page-port.ts; Firefox clones its data in).
 */
import { test, expect, framesOf, openPage, uniqueId, waitForStore } from './fixtures';

/** Ended: Firefox may close the socket itself as the page goes (a close event the hook records), or the goodbye ends it. */
const ended = (s: Parameters<Parameters<typeof waitForStore>[1]>[0], wsUrl: string) => s.connections.find((c) => c.url === wsUrl && c.state === 'closed');

for (const how of ['navigates', 'closes its tab'] as const) {
  test(`a page that ${how} with its socket open: connection and frames stored, connection ended as page-closed`, async ({ firefox, reader, server }) => {
    const id = uniqueId('gone');
    const wsUrl = `${server.wsOrigin}/echo?${id}`;
    server.page(`/${id}-next.html`, '<!doctype html><title>next</title>');
    const url = server.page(`/${id}.html`, `<!doctype html><script>
      const ws = new WebSocket(${JSON.stringify(wsUrl)});
      ws.onopen = () => ws.send('leaving');
      ws.onmessage = () => { window.echoed = true; };
    </script>`);
    const page = await openPage(firefox.browser, url);
    await expect.poll(() => page.evaluate(() => (window as unknown as { echoed?: boolean }).echoed)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300)); // past the hook's batch interval
    if (how === 'navigates') await page.goto(`${server.origin}/${id}-next.html`);
    else await page.close();
    const store = await waitForStore(reader, (s) => {
      const c = ended(s, wsUrl);
      return !!c && framesOf(s, c.id).length === 2;
    });
    const connection = ended(store, wsUrl)!;
    expect(framesOf(store, connection.id).map((f) => f.text)).toEqual(['leaving', 'leaving']);
    if (connection.pageGone) expect(connection.pageGone).toMatchObject({ reason: 'page-closed' });
    else expect(typeof connection.closeCode).toBe('number');
    if (how === 'navigates') await page.close();
  });
}

test('a page that navigates at once after its echo: both frames stored (the hook\'s last batch handed over synchronously)', async ({ firefox, reader, server }) => {
  const id = uniqueId('gone-fast');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  server.page(`/${id}-next.html`, '<!doctype html><title>next</title>');
  const url = server.page(`/${id}.html`, `<!doctype html><script>
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onopen = () => setTimeout(() => ws.send('last words'), 300); // after a quiet spell's post
    ws.onmessage = () => { location.href = ${JSON.stringify(`/${id}-next.html`)}; }; // well inside the batch interval
  </script>`);
  const page = await openPage(firefox.browser, url);
  await expect.poll(() => page.evaluate(() => location.pathname).catch(() => ''), { timeout: 10_000 }).toMatch(/-next\.html$/);
  const store = await waitForStore(reader, (s) => {
    const c = ended(s, wsUrl);
    return !!c && framesOf(s, c.id).length === 2;
  });
  expect(framesOf(store, ended(store, wsUrl)!.id).map((f) => [f.dir, f.text])).toEqual([
    ['send', 'last words'],
    ['receive', 'last words'],
  ]);
  await page.close();
});
