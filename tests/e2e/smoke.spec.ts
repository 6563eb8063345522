import { test, expect, waitForStore, framesOf } from './fixtures';

test('captures text sent and received', async ({ page, server, sw }) => {
  const url = server.page('/t.html', `<script>
    const ws = new WebSocket('${server.wsOrigin}/echo');
    ws.onopen = () => ws.send('hello');
    ws.onmessage = (e) => { window.got = e.data; };
  </script>`);
  await page.goto(url);
  await expect.poll(() => page.evaluate(() => (window as any).got)).toBe('hello');
  const s = await waitForStore(sw, (s) => s.frames.filter((f) => f.kind === 'frame').length >= 2);
  const c = s.connections[0];
  expect(c.url).toBe(`${server.wsOrigin}/echo`);
  const frames = framesOf(s, c.id);
  expect(frames.map((f) => [f.dir, f.text])).toEqual([['send', 'hello'], ['receive', 'hello']]);
});
