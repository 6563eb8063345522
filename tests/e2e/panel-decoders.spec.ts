/**
 * Protocol decoders in the panel: a real socket.io-client in the page talks to a real socket.io server; the panel
 * (opened as a tab) shows each frame's summary, the decoded tree, and filters on decoded fields.
 */
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { Server as SocketIoServer } from 'socket.io';
import { test, expect, waitForStore, framesOf } from './fixtures';
import { startHttp, type HttpFixture } from '../decoders/servers';

let http: HttpFixture;
test.beforeEach(async () => {
  http = await startHttp();
});
test.afterEach(async () => {
  await http.close();
});

const grid = (panel: Page) => panel.getByRole('grid', { name: 'Messages' });
/** Data rows (the header row has no gridcell). */
const rows = (panel: Page) => grid(panel).getByRole('row').filter({ has: panel.getByRole('gridcell') });

test('Socket.IO: summary column, Decoded tab and the decoded-fields filter', async ({ page, sw, context, ext }) => {
  const io = new SocketIoServer(http.http, { pingInterval: 120_000, pingTimeout: 60_000 }); // no pings: the row count stays put
  const received: string[] = [];
  io.on('connection', (socket) => {
    socket.on('chat', (text: string) => received.push(`chat ${text}`));
    socket.on('typing', (who: string) => received.push(`typing ${who}`));
  });
  try {
    await page.goto(http.page('/chat.html', `<script src="/lib/socket.io.js"></script><script>
      const socket = io({ transports: ['websocket'] });
      socket.on('connect', () => {
        socket.emit('typing', 'ada');
        socket.emit('chat', 'hello');
        socket.emit('typing', 'bob');
        socket.emit('chat', 'bye');
      });
    </script>`));
    await expect.poll(() => received).toEqual(['typing ada', 'chat hello', 'typing bob', 'chat bye']);
    const store = await waitForStore(sw, (s) => {
      const c = s.connections.find((c) => c.url.includes('/socket.io/'));
      return c !== undefined && framesOf(s, c.id).filter((f) => f.dir === 'send' && f.text?.startsWith('42')).length === 4;
    });
    const connection = store.connections.find((c) => c.url.includes('/socket.io/'))!;
    const tabId = store.sessions.find((s) => s.id === connection.sessionId)!.tabId!;

    const panel = await context.newPage();
    await panel.goto(`chrome-extension://${ext.extensionId}/panel.html?tabId=${tabId}`);
    await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');

    // The summary column: the decoder's one-line summary next to the raw frame.
    await expect(grid(panel).getByRole('columnheader', { name: 'Summary' })).toBeVisible();
    const chatRows = rows(panel).filter({ hasText: 'event chat' });
    await expect(chatRows).toHaveCount(2);
    await expect(rows(panel).filter({ hasText: 'event typing' })).toHaveCount(2);
    await expect(chatRows.first().getByRole('gridcell').filter({ hasText: /^event chat/ })).toHaveCount(1);
    const total = await rows(panel).count();
    expect(total).toBeGreaterThan(4); // open event, Engine.IO open, connect… as well

    // The Decoded tab: the packet as a tree, with Decode as showing the detected decoder.
    await chatRows.first().click();
    const details = panel.getByRole('region', { name: 'Message details' });
    await details.getByRole('tab', { name: 'Decoded' }).click();
    const decoded = details.getByRole('region', { name: 'Decoded frame' });
    await expect(decoded.getByRole('combobox', { name: 'Decode as' })).toHaveValue('socket.io');
    await expect(decoded.getByLabel('Decoded summary')).toHaveText(/^event chat/);
    const tree = decoded.getByRole('tree', { name: 'Decoded tree' });
    await expect(tree).toContainText('chat');
    await expect(tree).toContainText('hello');

    // The decoded-fields filter narrows the list to the chat events.
    await panel.getByRole('button', { name: /^Filters/ }).click(); // the less-used filters fold behind "Filters" (#23)
    const filter = panel.getByRole('searchbox', { name: 'Decoded fields' });
    await filter.fill('event:chat');
    await expect(rows(panel)).toHaveCount(2);
    for (const row of await rows(panel).all()) await expect(row).toContainText('event chat');
    await expect(rows(panel).filter({ hasText: '"hello"' })).toHaveCount(1);
    await expect(rows(panel).filter({ hasText: '"bye"' })).toHaveCount(1);
    await expect(panel.getByRole('status', { name: 'Shown messages' })).toHaveText(`2 / ${total} shown`);

    // Exporting the filtered view writes what the view shows: the decoded-fields query goes with it.
    await panel.getByRole('button', { name: 'Export', exact: true }).click();
    const options = panel.getByRole('group', { name: 'Export options' });
    await options.getByRole('radio', { name: 'Filtered view' }).check();
    await options.getByRole('radio', { name: /HAR/ }).check();
    const [download] = await Promise.all([panel.waitForEvent('download'), options.getByRole('button', { name: 'Download' }).click()]);
    expect(await download.failure()).toBeNull();
    const har = JSON.parse(readFileSync(await download.path(), 'utf8')) as { log: { entries: Array<{ _webSocketMessages: Array<{ data: string }> }> } };
    expect(har.log.entries.flatMap((e) => e._webSocketMessages.map((m) => m.data))).toEqual(['42["chat","hello"]', '42["chat","bye"]']);
    await expect(options.getByRole('status')).toContainText('Exported 2 rows');

    // Negation and reset: everything but the chat events, then everything again.
    await filter.fill('-event:chat');
    await expect(rows(panel)).toHaveCount(total - 2);
    await expect(rows(panel).filter({ hasText: 'event chat' })).toHaveCount(0);
    await panel.getByRole('button', { name: 'Reset filters' }).click();
    await expect(filter).toHaveValue('');
    await expect(rows(panel)).toHaveCount(total);
  } finally {
    io.close();
  }
});
