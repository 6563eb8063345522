/**
 * The panel opened as a tab, continued (tests/e2e/panel.spec.ts): inert page text, sessions across page loads,
 * pause and clear, a 100,000-message session, and following the tab to a page without WebSockets.
 */
import { test, expect, waitForStore, readStore } from './fixtures';
import { seedArgs, seedStore } from '../support/seed-store';
import { tabIdOf, openPanel, grid, rows, rowWith, count, echoPage, sendFromPage } from './panel-helpers';

test('payloads, URLs and close reasons that look like HTML stay inert text', async ({ page, server, sw, context, ext }) => {
  const img = '<img src=x onerror="window.__xss=(window.__xss||0)+1;alert(1)">';
  const script = '<script>window.__xss=1;alert(2)</script>';
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  let dialogs = 0;
  panel.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await sendFromPage(page, [img, script, `{"html":"${img.replace(/"/g, '\\"')}"}`]);
  const reason = '<b onmouseover=alert(3)>x</b>';
  await page.evaluate(({ origin, reason }) => {
    const s = new WebSocket(`${origin}/close?code=4001&reason=${encodeURIComponent(reason)}&q=<img src=x onerror=alert(4)>`);
    s.onopen = () => s.send('trigger close');
  }, { origin: server.wsOrigin, reason });

  await expect(rowWith(panel, img)).toHaveCount(2);
  await expect(rowWith(panel, script)).toHaveCount(2);
  await expect(rowWith(panel, `Connection closed: code 4001, reason "${reason}"`)).toHaveCount(1);
  await expect(panel.getByRole('listbox', { name: 'Connections' })).toContainText('/close?code=4001');
  await rowWith(panel, img).first().click();
  await expect(panel.getByRole('region', { name: 'Message details' }).getByRole('tabpanel')).toHaveText(img);
  await rowWith(panel, '"html"').first().click();
  await expect(panel.getByRole('tree', { name: 'JSON tree' })).toContainText(JSON.stringify(img));
  await rowWith(panel, 'Connection closed').click();
  await expect(panel.getByRole('region', { name: 'Message details' })).toContainText(reason);

  expect(await panel.locator('#app img, #app b, #app script').count()).toBe(0);
  expect(await panel.evaluate(() => (window as any).__xss)).toBeUndefined();
  await panel.waitForTimeout(300); // give an injected handler (image error) the chance to run
  expect(await panel.evaluate(() => (window as any).__xss)).toBeUndefined();
  expect(dialogs).toBe(0);
});

test('sessions from earlier page loads stay listed and browsable; a new load is followed', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  await sendFromPage(page, ['from the first load']);
  await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'from the first load' && f.dir === 'receive'));
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(2);

  await page.reload();
  await page.evaluate(() => (window as any).opened);
  await sendFromPage(page, ['from the second load']);
  // The panel switches to the new page load by itself.
  await expect(rowWith(panel, 'from the second load')).toHaveCount(2);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(0);

  const picker = panel.getByRole('combobox', { name: 'Session' });
  await expect(picker.locator('optgroup[label="This tab"] option')).toHaveCount(2);
  const older = await picker.locator('optgroup[label="This tab"] option').nth(1).getAttribute('value');
  await picker.selectOption(older!);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(2);
  await expect(rowWith(panel, 'from the second load')).toHaveCount(0);
  // A picked older session stays on screen while the page keeps talking.
  await sendFromPage(page, ['more on the second load']);
  // The echo, not just the send: the search below runs once and must find both.
  await waitForStore(sw, (s) => s.frames.some((f) => f.text === 'more on the second load' && f.dir === 'receive'));
  await panel.waitForTimeout(500);
  await expect(rowWith(panel, 'from the first load')).toHaveCount(2);

  // Search over every stored session finds the other load's message and opens it.
  await panel.getByRole('searchbox', { name: 'Search all sessions' }).fill('more on the second');
  const results = panel.getByRole('list', { name: 'Search results' });
  await expect(results.getByRole('button')).toHaveCount(2);
  await results.getByRole('button').first().click();
  await expect(rowWith(panel, 'more on the second load')).toHaveCount(2);
  await expect(panel.getByRole('region', { name: 'Message details' }).getByRole('tabpanel')).toHaveText('more on the second load');
});

test('pause stops storing frames for the tab, resume restarts; clear session and clear everything', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await sendFromPage(page, ['before pause']);
  await expect(rowWith(panel, 'before pause')).toHaveCount(2);

  const pause = panel.getByRole('button', { name: /Pause capture/ });
  await pause.click();
  const resume = panel.getByRole('button', { name: /Resume capture/ });
  await expect(resume).toHaveAttribute('aria-pressed', 'true');
  await sendFromPage(page, ['while paused']);
  // Lifecycle is still recorded while paused: the connection's last seq passing the echo (seq 5: open, two
  // frames before, this one and its echo) proves the background handled both frames, and dropped them.
  await waitForStore(sw, (s) => s.connections.some((c) => (c.lastSeq as number) >= 5));
  await resume.click();
  await expect(panel.getByRole('button', { name: /Pause capture/ })).toHaveAttribute('aria-pressed', 'false');
  await sendFromPage(page, ['after resume']);
  await expect(rowWith(panel, 'after resume')).toHaveCount(2);
  await expect(rowWith(panel, 'while paused')).toHaveCount(0);
  const stored = await readStore(sw);
  expect(stored.frames.some((f) => f.text === 'while paused')).toBe(false);

  await panel.getByRole('button', { name: 'Clear session' }).click();
  await expect(rows(panel)).toHaveCount(0);
  await waitForStore(sw, (s) => s.frames.length === 0 && s.sessions.length === 0);
  // The page goes on: what it sends after the clear shows, as in DevTools' own log after a clear.
  await sendFromPage(page, ['after clear']);
  await expect(rowWith(panel, 'after clear')).toHaveCount(2);
  await expect(rowWith(panel, 'after resume')).toHaveCount(0);
  // Its socket, still open, is listed again as it was (URL and state), not as a blank.
  await expect(panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: new RegExp(`${server.wsOrigin}/echo`) })).toContainText('open');

  // A new load brings a new session; "Clear all" asks first, then empties the store.
  await page.reload();
  await page.evaluate(() => (window as any).opened);
  await sendFromPage(page, ['new load']);
  await expect(rowWith(panel, 'new load')).toHaveCount(2);
  await panel.getByRole('button', { name: 'Clear all…' }).click();
  await panel.getByRole('group', { name: 'Confirm clearing everything' }).getByRole('button', { name: 'Clear everything' }).click();
  await expect(rows(panel)).toHaveCount(0);
  await waitForStore(sw, (s) => s.frames.length === 0 && s.sessions.length === 0 && s.connections.length === 0);
});

test('a seeded 100,000-message session opens and scrolls with only visible rows in the DOM', async ({ sw, context, ext }) => {
  const N = 100_000;
  // The panel creates the schema (openFrameStore); opening the database without it first would create an
  // empty one that the extension then never upgrades.
  const panel = await openPanel(context, ext.extensionId, 424242);
  // Two connections taking turns: row i is "seeded <i>" on c1 (even i) or c2, sent when i % 3 is 0.
  const t0 = Date.UTC(2026, 0, 1);
  await sw.evaluate(
    seedStore,
    seedArgs({
      session: { id: 'seeded', tabId: 424242, pageUrl: 'http://seed.test/', title: 'seed', startedAt: t0 },
      connections: ['c1', 'c2'].map((id) => ({ id, url: `ws://seed.test/${id}`, frameUrl: '', startedAt: t0 })),
      run: { count: N, connectionIds: ['c1', 'c2'], firstTime: t0, timeStep: 1, dirs: ['send', 'receive', 'receive'], payloads: ['seeded {i:6}'] },
    }),
  );

  await panel.reload();
  await expect(count(panel)).toHaveText('100,000 messages');
  await expect(grid(panel)).toHaveAttribute('aria-rowcount', String(N + 1));
  // Following the tail: the newest row is on screen.
  await expect(rowWith(panel, 'seeded 099999')).toHaveCount(1);
  const domRows = await rows(panel).count();
  expect(domRows).toBeGreaterThan(5);
  expect(domRows).toBeLessThan(100);

  // Jump to the middle: rows there are read in, and still only a screenful exists.
  const scroller = grid(panel).locator('.scroller');
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
  await expect(rows(panel).first()).toContainText(/seeded 0[45]\d{4}/);
  expect(await rows(panel).count()).toBeLessThan(100);
  const first = Number(/seeded (\d+)/.exec((await rows(panel).first().textContent())!)![1]);
  const rowIndex = Number(await rows(panel).first().getAttribute('aria-rowindex'));
  expect(rowIndex).toBe(first + 2); // the row shown at a position is the row stored at that position

  // Keyboard paging through the middle keeps the selection and the details in step.
  await rows(panel).nth(3).click();
  const details = panel.getByRole('region', { name: 'Message details' });
  await expect(details.getByRole('tabpanel')).toHaveText(`seeded ${String(first + 3).padStart(6, '0')}`);
  await grid(panel).press('PageDown');
  await expect(details.getByRole('tabpanel')).not.toHaveText(`seeded ${String(first + 3).padStart(6, '0')}`);
  await grid(panel).press('Home');
  await expect(rowWith(panel, 'seeded 000000')).toHaveCount(1);
  await expect(details.getByRole('tabpanel')).toHaveText('seeded 000000');

  // One connection of the two, then a filter over all 100,000.
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /seed\.test\/c2/ }).click();
  await expect(count(panel)).toHaveText('50,000 messages');
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(rowWith(panel, 'seeded 099999')).toHaveCount(1);
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /All connections/ }).click();
  await panel.getByRole('searchbox', { name: 'Filter messages' }).fill('seeded 0777');
  await expect(count(panel)).toHaveText('100 / 100,000 shown');
  await expect(rowWith(panel, 'seeded 077799')).toHaveCount(1); // following the tail of the matches
  expect(await rows(panel).count()).toBeLessThan(100);
});

test('the tab navigates to a page without WebSockets: the panel shows that page, empty, until its first socket', async ({ page, server, sw, context, ext }) => {
  await echoPage(page, server);
  const tabId = await tabIdOf(page, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await sendFromPage(page, ['on the first page']);
  await expect(rowWith(panel, 'on the first page')).toHaveCount(2);

  await page.goto(server.page('/quiet.html', '<!doctype html><title>quiet</title>'));
  const picker = panel.getByRole('combobox', { name: 'Session' });
  await expect(picker.locator('option:checked')).toHaveText('This page (no WebSocket yet)');
  await expect(rows(panel)).toHaveCount(0);
  await expect(panel.getByText('This page has not opened a WebSocket yet.')).toBeVisible();

  await page.evaluate((ws) => {
    const socket = new WebSocket(`${ws}/echo`);
    socket.onopen = () => socket.send('on the second page');
  }, server.wsOrigin);
  await expect(rowWith(panel, 'on the second page')).toHaveCount(2);
  await expect(rowWith(panel, 'on the first page')).toHaveCount(0);
  await expect(picker.locator('option:checked')).toHaveText(/\/quiet\.html \(\d+ messages\)$/);
  // The first page's session is still there to pick.
  await picker.selectOption({ label: (await picker.locator('option', { hasText: '/p.html' }).textContent())! });
  await expect(rowWith(panel, 'on the first page')).toHaveCount(2);
});
