/**
 * A frame sent through another frame's `send` (the iframe's send called on the top's socket, and the top's on the
 * iframe's) is recorded once, on its own connection, in its own frame's capture; the page sees what it sees
 * without the extension (results, errors and their realm, replies).
 */
import { launchWithExtension, test, expect, waitForStore, framesOf } from './fixtures';

function pages(server: { page(path: string, html: string): string; wsOrigin: string }) {
  server.page('/xf-child.html', `<!doctype html><title>child</title><script>
    window.childWs = new WebSocket('${server.wsOrigin}/echo?from=child');
    window.childGot = [];
    childWs.onmessage = (e) => childGot.push(e.data);
    window.childOpen = new Promise((r) => childWs.onopen = r);
  </script>`);
  return server.page('/xf-top.html', `<!doctype html><title>top</title><body><script>
    window.topWs = new WebSocket('${server.wsOrigin}/echo?from=top');
    window.topGot = [];
    topWs.onmessage = (e) => topGot.push(typeof e.data === 'string' ? e.data : 'binary');
    window.run = async () => {
      const facts = {};
      // While connecting, the other realm's send throws its own realm's error.
      const frame = document.querySelector('iframe');
      const early = new WebSocket('${server.wsOrigin}/echo?from=early');
      try { frame.contentWindow.WebSocket.prototype.send.call(early, 'too soon'); } catch (e) {
        facts.early = [e.name, e instanceof frame.contentWindow.DOMException, e instanceof DOMException];
      }
      early.close();
      await new Promise((r) => topWs.readyState === 1 ? r() : topWs.addEventListener('open', r));
      await frame.contentWindow.childOpen;
      const childSend = frame.contentWindow.WebSocket.prototype.send;
      facts.result = childSend.call(topWs, 'via the child send');
      childSend.call(topWs, { toString: () => 'an object, converted once' });
      WebSocket.prototype.send.call(frame.contentWindow.childWs, 'via the top send');
      try { childSend.call({}, 'x'); } catch (e) { facts.notASocket = [e.name, e instanceof frame.contentWindow.TypeError]; }
      await new Promise((r) => setTimeout(r, 500));
      facts.topGot = topGot.slice();
      facts.childGot = frame.contentWindow.childGot.slice();
      return facts;
    };
  </script><iframe src="/xf-child.html"></iframe></body>`);
}

test('a frame sent through another frame\'s send is recorded once on its own connection', async ({ page, server, sw }) => {
  const url = pages(server);
  await page.goto(url);
  await page.waitForFunction(() => (document.querySelector('iframe') as HTMLIFrameElement | null)?.contentWindow?.document.readyState === 'complete');
  const facts = await page.evaluate(() => (window as unknown as { run: () => Promise<Record<string, unknown>> }).run());
  expect(facts.topGot).toEqual(['via the child send', 'an object, converted once']);
  expect(facts.childGot).toEqual(['via the top send']);

  const s = await waitForStore(sw, (s) => {
    const top = s.connections.find((c) => c.url.endsWith('from=top'));
    const child = s.connections.find((c) => c.url.endsWith('from=child'));
    return !!top && !!child && framesOf(s, top.id).length >= 4 && framesOf(s, child.id).length >= 2;
  });
  const top = s.connections.find((c) => c.url.endsWith('from=top'))!;
  const child = s.connections.find((c) => c.url.endsWith('from=child'))!;
  expect(top.frameUrl).toBe(url);
  expect(child.frameUrl).toBe(`${server.origin}/xf-child.html`);
  expect(framesOf(s, top.id).map((f) => [f.dir, f.text, f.status])).toEqual([
    ['send', 'via the child send', 'sent'],
    ['send', 'an object, converted once', 'sent'],
    ['receive', 'via the child send', 'sent'],
    ['receive', 'an object, converted once', 'sent'],
  ]);
  expect(framesOf(s, child.id).map((f) => [f.dir, f.text])).toEqual([
    ['send', 'via the top send'],
    ['receive', 'via the top send'],
  ]);
  const early = s.connections.find((c) => c.url.endsWith('from=early'))!;
  expect(framesOf(s, early.id).map((f) => [f.dir, f.text, f.status])).toEqual([['send', 'too soon', 'refused']]);
  // Recorded once: nothing of these frames on any other connection.
  expect(s.frames.filter((f) => f.text === 'via the child send' && f.dir === 'send')).toHaveLength(1);
});

test('the page sees cross-frame sends as without the extension', async ({ server }) => {
  const url = pages(server);
  const run = async (extensionDir?: null) => {
    const launched = await launchWithExtension(extensionDir);
    try {
      const page = await launched.context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction(() => (document.querySelector('iframe') as HTMLIFrameElement | null)?.contentWindow?.document.readyState === 'complete');
      const facts = await page.evaluate(() => (window as unknown as { run: () => Promise<Record<string, unknown>> }).run());
      return { facts, errors, hasExtension: launched.sw !== undefined };
    } finally {
      await launched.close();
    }
  };
  const withExt = await run();
  const withoutExt = await run(null);
  expect([withExt.hasExtension, withoutExt.hasExtension]).toEqual([true, false]);
  expect(withExt.facts).toEqual(withoutExt.facts);
  expect(withExt.errors).toEqual(withoutExt.errors);
  expect(withExt.facts.early).toEqual(['InvalidStateError', true, false]);
});
