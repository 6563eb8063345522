/**
 * Sockets made in child frames (srcdoc, same-origin, and an about:blank frame created by script whose
 * `contentWindow.WebSocket` the parent uses) are captured in the tab's one session, each with its frame's URL and
 * the top page's URL.
 */
import { test, expect, waitForStore, framesOf } from './fixtures';

test('srcdoc, same-origin and script-made about:blank iframes are captured in the tab session with their frame URL', async ({ page, server, sw }) => {
  server.page('/child.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo?from=child');
    ws.onopen = () => ws.send('from the same-origin child');
    ws.onmessage = (e) => parent.postMessage('child:' + e.data, '*');
  </script>`);
  const srcdoc = `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo?from=srcdoc');
    ws.onopen = () => ws.send('from srcdoc');
    ws.onmessage = (e) => parent.postMessage('srcdoc:' + e.data, '*');
  </script>`.replace(/"/g, '&quot;');
  const top = server.page('/top.html', `<!doctype html><body>
    <script>
      window.got = [];
      addEventListener('message', (e) => window.got.push(e.data));
      const own = new WebSocket('${server.wsOrigin}/echo?from=top');
      own.onopen = () => own.send('from the top');
      own.onmessage = (e) => window.got.push('top:' + e.data);
    </script>
    <iframe id="same" src="/child.html"></iframe>
    <iframe id="doc" srcdoc="${srcdoc}"></iframe>
    <script>
      // A fresh about:blank frame made by script: the parent uses that realm's WebSocket directly.
      const blank = document.createElement('iframe');
      document.body.append(blank);
      const BlankWebSocket = blank.contentWindow.WebSocket;
      const viaBlank = new BlankWebSocket('${server.wsOrigin}/echo?from=blank');
      viaBlank.onopen = () => viaBlank.send('from about:blank');
      viaBlank.onmessage = (e) => window.got.push('blank:' + e.data);
    </script>
  </body>`);
  await page.goto(top);
  await expect
    .poll(async () => ((await page.evaluate(() => (window as unknown as { got: string[] }).got)) ?? []).slice().sort())
    .toEqual(['blank:from about:blank', 'child:from the same-origin child', 'srcdoc:from srcdoc', 'top:from the top']);

  const s = await waitForStore(sw, (s) => s.connections.length === 4 && s.frames.filter((f) => f.kind === 'frame').length >= 8);
  expect(s.sessions, 'one session for the tab').toHaveLength(1);
  const session = s.sessions[0];
  expect(session).toMatchObject({ pageUrl: top, connectionCount: 4, frameCount: 8 });
  const byFrom = (from: string) => s.connections.find((c) => c.url === `${server.wsOrigin}/echo?from=${from}`)!;
  const expectations: Array<[string, string, string]> = [
    ['top', top, 'from the top'],
    ['child', `${server.origin}/child.html`, 'from the same-origin child'],
    ['srcdoc', 'about:srcdoc', 'from srcdoc'],
    ['blank', 'about:blank', 'from about:blank'],
  ];
  for (const [from, frameUrl, payload] of expectations) {
    const c = byFrom(from);
    expect(c, from).toMatchObject({ sessionId: session.id, frameUrl, pageUrl: top, state: 'open' });
    expect(framesOf(s, c.id).map((f) => [f.dir, f.text]), from).toEqual([
      ['send', payload],
      ['receive', payload],
    ]);
  }
});

test('a child frame loaded after a reload writes into the new page load session, not the old one', async ({ page, server, sw }) => {
  server.page('/late-child.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo?from=child');
    ws.onopen = () => ws.send('child ' + parent.loadNumber);
  </script>`);
  const top = server.page('/reloads.html', `<!doctype html><body><script>
    window.loadNumber = Number(sessionStorage.n = Number(sessionStorage.n ?? 0) + 1);
    const f = document.createElement('iframe');
    f.src = '/late-child.html';
    document.body.append(f);
  </script></body>`);
  await page.goto(top);
  await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'child 1'));
  await page.reload();
  const s = await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'child 2'));
  expect(s.sessions).toHaveLength(2);
  const [first, second] = [...s.sessions].sort((a, b) => (a.startedAt as number) - (b.startedAt as number));
  const rowOf = (text: string) => s.frames.find((f) => f.text === text)!;
  expect(rowOf('child 1').sessionId).toBe(first.id);
  expect(rowOf('child 2').sessionId).toBe(second.id);
});
