/**
 * Issue 24's conversation features and issue 23's row menu in Firefox ESR: the panel as a tab
 * (panel.html?tabId=<n>) on a live page talking to a real `ws` server on 127.0.0.1. The request↔response latency
 * of a JSON-RPC exchange with known server delays, the timeline's accessible figure and its keyboard range
 * selection, and the row menu's copy (read back from Firefox's clipboard) and "Filter to this connection".
 * Chromium's versions: tests/e2e/panel-latency.spec.ts, panel-timeline.spec.ts, panel-context-menu.spec.ts.
 */
import { test, expect, aria, find, captured, cellOf, framesStored, gridRows, openPanel, rowWith, sendFromPage, serveRpc, shownCount, socketPage, textOf, toolbarControl, uniqueId } from './panel-helpers';

const DELAYS: Record<string, number> = { fast: 20, slow: 150 };

test('latency: both rows of each JSON-RPC pair show the server’s delay; Go to response selects the response', async ({ firefox, reader, server }) => {
  serveRpc(server, DELAYS);
  const id = uniqueId('ff-latency');
  const wsUrl = `${server.wsOrigin}/ff-rpc?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  // What the page itself sees: when each call left and when its answer came.
  await page.evaluate(() => {
    const w = window as unknown as { ws: WebSocket; sentAt: Record<number, number>; latency: Record<number, number> };
    w.sentAt = {};
    w.latency = {};
    w.ws.addEventListener('message', (e) => {
      const m = JSON.parse(e.data as string) as { id: number };
      w.latency[m.id] = performance.now() - w.sentAt[m.id];
    });
  });
  const calls = [
    [1, 'fast'],
    [2, 'slow'],
    [3, 'fast'],
    [4, 'slow'],
  ] as const;
  await page.evaluate((calls) => {
    const w = window as unknown as { ws: WebSocket; sentAt: Record<number, number> };
    for (const [id, method] of calls) {
      w.sentAt[id] = performance.now();
      w.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: [id] }));
    }
  }, calls);
  const { tabId } = await captured(reader, wsUrl, framesStored(8));
  const seen = await page.evaluate(() => (window as unknown as { latency: Record<number, number> }).latency);

  const panel = await openPanel(firefox.browser, tabId);
  await find(panel, aria('columnheader', 'Latency'));
  const latency = async (text: string) => {
    let cell = '';
    await expect.poll(async () => (cell = (await rowWith(panel, text)).cells.Latency)).toMatch(/^[↪↩] \d+ ms$/);
    const [, arrow, ms] = /^([↪↩]) (\d+) ms$/.exec(cell)!;
    return { arrow, ms: Number(ms) };
  };
  for (const [n, method] of calls) {
    const asked = await latency(`"id":${n},"method"`);
    const answered = await latency(`"id":${n},"result"`);
    expect([asked.arrow, answered.arrow]).toEqual(['↪', '↩']);
    expect(answered.ms).toBe(asked.ms);
    // Never less than the server's delay; within 20 ms of the delay as the page saw it (the server's delay plus
    // the loopback and event-loop time a loaded machine adds, which is also in what the hook measures).
    expect(asked.ms).toBeGreaterThanOrEqual(DELAYS[method] - 2);
    expect(Math.abs(asked.ms - seen[n])).toBeLessThanOrEqual(20);
  }

  // Select request 2 (a click on its Data cell opens the detail pane), then go to its response from the pane.
  await (await cellOf(panel, await rowWith(panel, '"id":2,"method"'), 'Data')).click();
  const details = await find(panel, aria('region', 'Message details'));
  await expect.poll(() => textOf(details, aria('paragraph', 'Request and response')).catch(() => '')).toMatch(/^Response: #\d+, \d+ ms/);
  await (await find(details, aria('button', 'Go to response'))).click();
  await expect.poll(async () => (await gridRows(panel)).filter((r) => r.selected).map((r) => r.cells.Data)).toEqual([expect.stringContaining('"id":2,"result"')]);
  // And back: the response's pane goes to the request.
  await (await find(details, aria('button', 'Go to request'))).click();
  await expect.poll(async () => (await gridRows(panel)).filter((r) => r.selected).map((r) => r.cells.Data)).toEqual([expect.stringContaining('"id":2,"method":"slow"')]);
  await panel.close();
  await page.close();
});

test('timeline: the figure is named and its summary counts the messages; a keyboard range on its slider filters the grid', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-timeline');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await sendFromPage(page, Array.from({ length: 20 }, (_, i) => `a${i + 1}`));
  await captured(reader, wsUrl, framesStored(40));
  await new Promise((r) => setTimeout(r, 2_000)); // a silence of two 1 s buckets between the bursts
  await sendFromPage(page, Array.from({ length: 20 }, (_, i) => `b${i + 1}`));
  const { tabId } = await captured(reader, wsUrl, framesStored(80));

  const panel = await openPanel(firefox.browser, tabId);
  await panel.setViewport({ width: 1200, height: 700 });
  await expect.poll(() => shownCount(panel)).toBe('81 messages');
  expect(await panel.$(aria('figure', 'Traffic timeline'))).toBeNull(); // closed unless the user opened it
  await toolbarControl(panel, 'Timeline', 'Timeline', 'menuitemcheckbox');
  try {
    const figure = await find(panel, aria('figure', 'Traffic timeline'));
    expect(await figure.$('canvas')).not.toBeNull();
    // The summary is the figure's description (aria-describedby) and its caption.
    const summary = () => figure.evaluate((f) => document.getElementById(f.getAttribute('aria-describedby')!)?.textContent ?? '');
    await expect.poll(summary).toMatch(/^All connections, \d+\.\d s: 40 sent \(\d+ B\), 40 received \(\d+ B\); peak \d+ msg\/s at \d\d:\d\d:\d\d; 1 open\.$/);

    // Keyboard, not a drag: uPlot's drag is mouse events on a canvas overlay, and the Chromium spec covers the
    // keyboard path the same way. End = the last bucket (the second burst), Shift+← stretches one bucket back into
    // the silence, Enter applies the range.
    const slider = await find(figure, aria('slider', 'Time cursor (Shift+arrows select a range, Enter applies it)'));
    await slider.focus();
    expect(await slider.evaluate((s) => s.getAttribute('aria-valuetext'))).toMatch(/arrow keys/);
    await panel.keyboard.press('End');
    await expect.poll(() => slider.evaluate((s) => s.getAttribute('aria-valuetext'))).toMatch(/\d\d:\d\d:\d\d/);
    await panel.keyboard.down('Shift');
    await panel.keyboard.press('ArrowLeft');
    await panel.keyboard.up('Shift');
    await panel.keyboard.press('Enter');
    await expect.poll(() => shownCount(panel)).toBe('40 / 81 shown');
    const shown = (await gridRows(panel)).map((r) => r.cells.Data);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((d) => /^b\d+$/.test(d))).toBe(true);
    expect(await textOf(panel, aria('group', 'Time range filter'))).toMatch(/^Time range \d\d:\d\d:\d\d\.\d{3} – \d\d:\d\d:\d\d\.\d{3}/);
    // Escape clears the range.
    await panel.keyboard.press('Escape');
    await expect.poll(() => shownCount(panel)).toBe('81 messages');
  } finally {
    // The timeline's state is remembered for every later panel of this worker: close it again.
    await toolbarControl(panel, 'Timeline', 'Timeline', 'menuitemcheckbox');
    await expect.poll(async () => (await panel.$(aria('figure', 'Traffic timeline'))) === null).toBe(true);
  }
  await panel.close();
  await page.close();
});

test('row menu: right-click opens it, Copy payload puts the payload on the clipboard, Filter to this connection narrows the grid', async ({ firefox, reader, server }) => {
  const id = uniqueId('ff-menu');
  const wsUrl = `${server.wsOrigin}/silent?${id}`;
  const otherUrl = `${server.wsOrigin}/silent?${id}-other`;
  const page = await socketPage(firefox, server, id, wsUrl);
  await page.evaluate((url) => new Promise((resolve) => {
    const other = new WebSocket(url);
    other.onopen = () => resolve(other.send('from the other socket'));
  }), otherUrl);
  await sendFromPage(page, ['{"b":1,"a":[2]}', 'plain']);
  const { tabId } = await captured(reader, wsUrl, (s) => s.frames.filter((f) => f.kind === 'frame' && s.connections.some((c) => c.id === f.connectionId && c.url.includes(id))).length === 3);
  const panel = await openPanel(firefox.browser, tabId);
  await expect.poll(() => shownCount(panel)).toBe('5 messages'); // two opens, three frames

  const menu = () => panel.$(aria('menu', 'Message actions'));
  const openMenu = async (text: string) => {
    await (await cellOf(panel, await rowWith(panel, text), 'Data')).click({ button: 'right' });
    return await find(panel, aria('menu', 'Message actions'));
  };
  let shown = await openMenu('{"b":1');
  expect((await gridRows(panel)).filter((r) => r.selected).map((r) => r.cells.Data)).toEqual(['{"b":1,"a":[2]}']);
  const copy = await find(shown, aria('menuitem', 'Copy payload'));
  expect(await copy.evaluate((e) => e === document.activeElement)).toBe(true);
  await copy.click();
  await expect.poll(async () => (await menu()) === null).toBe(true);
  await expect.poll(() => panel.evaluate(() => navigator.clipboard.readText())).toBe('{"b":1,"a":[2]}');
  await expect.poll(() => panel.evaluate(() => [...document.querySelectorAll('[role="status"]')].some((s) => s.textContent === 'Copied the payload.'))).toBe(true);

  // Copy as hex: the text's UTF-8 bytes.
  shown = await openMenu('plain');
  await (await find(shown, aria('menuitem', 'Copy as hex'))).click();
  await expect.poll(() => panel.evaluate(() => navigator.clipboard.readText())).toBe('706c61696e');

  // Filter to this connection: only the other socket's rows stay.
  shown = await openMenu('from the other socket');
  await (await find(shown, aria('menuitem', 'Filter to this connection'))).click();
  await expect.poll(async () => (await gridRows(panel)).length).toBe(2); // its open and its message
  expect((await gridRows(panel)).map((r) => r.cells.Data)).toContain('from the other socket');
  expect((await gridRows(panel)).some((r) => r.cells.Data === 'plain')).toBe(false);
  await panel.close();
  await page.close();
});

