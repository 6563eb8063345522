/**
 * Acting on live traffic from the panel's own controls: the panel opened as a tab (panel.html?tabId=<n>)
 * against a live page and a real ws server. Each test drives the UI by role and name, then checks what the
 * server received and what the page's own listeners received.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { test, expect, waitForStore, framesOf, openLoggingPage, type TestServer } from './fixtures';

async function openPanel(context: BrowserContext, extensionId: string, tabId: number): Promise<Page> {
  const panel = await context.newPage();
  await panel.goto(`chrome-extension://${extensionId}/panel.html?tabId=${tabId}`);
  await expect(panel.getByRole('status', { name: 'Connection to the extension' })).toHaveText('Connected');
  return panel;
}

const rows = (panel: Page) => panel.getByRole('grid', { name: 'Messages' }).getByRole('row').filter({ has: panel.getByRole('gridcell') });
const rowWith = (panel: Page, text: string | RegExp) => rows(panel).filter({ hasText: text });
const got = (page: Page) => page.evaluate(() => (window as any).got as unknown[][]);
const sendFromPage = (page: Page, items: Array<string | number[]>) =>
  page.evaluate((list) => list.forEach((item) => (window as any).ws.send(typeof item === 'string' ? item : new Uint8Array(item))), items);
const serverTexts = (server: TestServer) => server.received.map((m) => m.data.toString());

test('edit & resend from the detail pane: text (JSON checked) and binary as hex, on the live socket', async ({ page, server, sw, context, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  await sendFromPage(page, ['{"n":1}', [1, 2, 3]]);
  await expect.poll(() => server.received.length).toBe(2);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const details = panel.getByRole('region', { name: 'Message details' });

  await rowWith(panel, '{"n":1}').first().click();
  await details.getByRole('button', { name: 'Edit & resend' }).click();
  const editor = details.getByRole('region', { name: 'Edit and resend' });
  const box = editor.getByRole('textbox', { name: 'Message to send' });
  await expect(box).toHaveValue('{"n":1}');
  await box.fill('{"edited": ');
  await expect(editor.getByRole('alert')).toContainText('Invalid JSON');
  await box.fill('{"edited":true}');
  await expect(editor.getByText('Valid JSON')).toBeVisible();
  await editor.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(editor.getByRole('status')).toHaveText('Sent on the live connection.');
  await expect.poll(() => serverTexts(server)[2]).toBe('{"edited":true}');
  expect(server.received[2].isBinary).toBe(false);
  // The page's own listeners get the server's echo of the resent message.
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toContain('{"edited":true}');
  await expect(rowWith(panel, '{"edited":true}').first()).toContainText('sent by inspector');

  // Binary: edited as hex; a typo is reported and nothing is sent.
  await details.getByRole('button', { name: 'Close details' }).click();
  await rowWith(panel, 'Binary 3 B').first().click();
  await details.getByRole('button', { name: 'Edit & resend' }).click();
  await expect(editor.getByRole('combobox', { name: 'Format' })).toHaveValue('hex');
  await expect(box).toHaveValue('01 02 03');
  await box.fill('ff 00 7g');
  await expect(editor.getByRole('alert')).toHaveText('Not a hex digit at position 8: "g"');
  await box.fill('ff 00 7f');
  await editor.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(editor.getByRole('status')).toHaveText('Sent on the live connection.');
  await expect.poll(() => server.received.length).toBe(4);
  expect(server.received[3].isBinary).toBe(true);
  expect([...server.received[3].data]).toEqual([255, 0, 127]);
  await expect.poll(async () => (await got(page)).filter((g) => g[0] === 'blob-bytes').map((g) => g[1])).toContainEqual([255, 0, 127]);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.origin === 'inspector').length === 2);
  expect(framesOf(store, connectionId).filter((f) => f.origin === 'inspector').map((f) => f.text ?? f.base64)).toEqual(['{"edited":true}', '/wB/']);
});

test('composer: simulate received messages on both binaryTypes, send, and keep history and favourites', async ({ page, server, sw, context, ext }) => {
  test.slow(); // many steps and a second panel on a shared 2-core machine
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /\/echo/ }).click();
  await panel.getByText('Compose on connection #1').click();
  const composer = panel.getByRole('region', { name: 'Composer' });
  const box = composer.getByRole('textbox', { name: 'Message to compose' });
  const format = composer.getByRole('combobox', { name: 'Format' });

  await composer.getByRole('radio', { name: 'Deliver to page (as if received)' }).check();
  await box.fill('fake text');
  await composer.getByRole('button', { name: 'Deliver to page' }).click();
  await expect(composer.getByRole('status')).toHaveText('Delivered to the page as a received message.');
  await format.selectOption('base64');
  await box.fill('Bwg=');
  await composer.getByRole('button', { name: 'Deliver to page' }).click();
  await expect.poll(() => got(page)).toEqual([['fake text', false, null], ['[object Blob]', false, null], ['blob-bytes', [7, 8]]]);
  await page.evaluate(() => ((window as any).ws.binaryType = 'arraybuffer'));
  await box.fill('CQ==');
  await composer.getByRole('button', { name: 'Deliver to page' }).click();
  await expect.poll(async () => (await got(page)).at(-1)).toEqual(['[object ArrayBuffer]', false, [9]]);
  expect(server.received).toEqual([]); // simulated messages never reach the network
  await expect(rowWith(panel, 'simulated')).toHaveCount(3);

  await format.selectOption('text');
  await composer.getByRole('radio', { name: 'Send to server' }).check();
  await box.fill('composed hello');
  await composer.getByRole('button', { name: 'Send message' }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['composed hello']);
  await expect.poll(async () => (await got(page)).at(-1)?.[0]).toBe('composed hello');
  await composer.getByRole('textbox', { name: 'Favourite name' }).fill('greeting');
  await composer.getByRole('button', { name: 'Save as favourite' }).click();
  await expect(composer.getByRole('status')).toHaveText('Saved favourite "greeting".');

  // History and favourites are per site, in IndexedDB: a new panel has them.
  await panel.close();
  const again = await openPanel(context, ext.extensionId, tabId);
  await again.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /\/echo/ }).click();
  await expect(again.getByText('Compose on connection #1')).toBeVisible();
  await again.getByText('Compose on connection #1').click();
  const composer2 = again.getByRole('region', { name: 'Composer' });
  await expect(composer2.getByRole('combobox', { name: 'History' }).getByRole('option')).toContainText(['composed hello', '[base64] CQ==']);
  await composer2.getByRole('combobox', { name: 'Favourites' }).selectOption('greeting');
  await expect(composer2.getByRole('textbox', { name: 'Message to compose' })).toHaveValue('composed hello');
});

test('replay 20 sent messages from the dialog with original timing and as fast as possible', async ({ page, server, sw, context, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  await page.evaluate(async () => {
    for (let i = 0; i < 20; i++) {
      (window as any).ws.send(`r${i}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  });
  await expect.poll(() => server.received.length).toBe(20);
  await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'send').length === 20);
  const panel = await openPanel(context, ext.extensionId, tabId);
  const connections = panel.getByRole('listbox', { name: 'Connections' });
  await connections.getByRole('option', { name: /\/echo/ }).click();
  await panel.getByRole('button', { name: 'Replay…' }).click();
  const dialog = panel.getByRole('dialog', { name: 'Replay messages' });
  await expect(dialog.getByRole('radio', { name: 'Sent messages of connection' })).toBeChecked();
  const url = dialog.getByRole('textbox', { name: 'URL' });
  await expect(url).toHaveValue(`${server.wsOrigin}/echo`);
  await url.fill('http://nope');
  await expect(dialog.getByRole('alert')).toHaveText('The URL must start with ws:// or wss://.');
  await expect(dialog.getByRole('button', { name: 'Start replay' })).toBeDisabled();
  await url.fill(`${server.wsOrigin}/echo?replay=timed`);
  await dialog.getByRole('combobox', { name: 'Timing' }).selectOption('original');
  await dialog.getByRole('button', { name: 'Start replay' }).click();
  await expect(dialog.getByRole('status', { name: 'Replay status' })).toHaveText('Replay done: 20 of 20 sent', { timeout: 20_000 });
  const replayed = server.received.slice(20);
  expect(replayed.map((m) => m.data.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  // Opened from the page's context: the server sees the page's Origin.
  expect(new Set(replayed.map((m) => m.origin))).toEqual(new Set([server.origin]));
  // The replay shows up as a connection of its own, with the server's answers, next to the original.
  await expect(connections.getByRole('option', { name: /replay/ })).toHaveCount(1);
  await expect(connections.getByRole('option', { name: /replay/ })).toContainText('↑20');
  const store = await waitForStore(sw, (s) => s.connections.some((c) => c.initiator === 'replay' && framesOf(s, c.id).filter((f) => f.dir === 'receive').length === 20));
  const replay = store.connections.find((c) => c.initiator === 'replay')!;
  const sends = framesOf(store, replay.id).filter((f) => f.dir === 'send');
  const gaps = sends.slice(1).map((f, i) => f.time - sends[i].time).sort((a, b) => a - b);
  // Generous: the point is that gaps are kept, not collapsed (a busy 2-core machine delays timers).
  expect(gaps[Math.floor(gaps.length / 2)]).toBeGreaterThanOrEqual(30);
  expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThan(300);

  await url.fill(`${server.wsOrigin}/echo?replay=fast`);
  await dialog.getByRole('combobox', { name: 'Timing' }).selectOption('fast');
  await dialog.getByRole('button', { name: 'Start replay' }).click();
  await expect(dialog.getByRole('status', { name: 'Replay status' })).toHaveText('Replay done: 20 of 20 sent', { timeout: 20_000 });
  await expect.poll(() => server.received.length).toBe(60);
  expect(server.received.slice(40).map((m) => m.data.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  await expect(connections.getByRole('option', { name: /replay/ })).toHaveCount(2);
});

test('breakpoint from the rules view: hold, edit and forward, then drop; order is kept', async ({ page, server, sw, context, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('button', { name: /^Rules/ }).click();
  const rulesDialog = panel.getByRole('dialog', { name: 'Intercept rules' });
  await rulesDialog.getByRole('button', { name: 'Add rule' }).click();
  const form = rulesDialog.getByRole('form', { name: 'Rule editor' });
  await form.getByRole('textbox', { name: 'Name' }).fill('hold secrets');
  await form.getByRole('combobox', { name: 'Direction' }).selectOption('send');
  await form.getByRole('textbox', { name: 'Match' }).fill('secret');
  await form.getByRole('button', { name: 'Save rule' }).click();
  await expect(rulesDialog.getByRole('checkbox', { name: 'Enable rule hold secrets' })).toBeChecked();
  await rulesDialog.getByRole('button', { name: 'Close rules' }).click();
  await page.waitForTimeout(300); // the rules travel on to the page

  await sendFromPage(page, ['first', 'secret one', 'after']);
  const held = panel.getByRole('region', { name: 'Held frames' });
  const hold = held.getByRole('article', { name: 'Held outgoing frame on connection #1' });
  await expect(hold.getByRole('textbox', { name: 'Held frame payload' })).toHaveValue('secret one');
  await page.waitForTimeout(200);
  expect(serverTexts(server)).toEqual(['first']); // 'after' waits behind the held frame
  await hold.getByRole('textbox', { name: 'Held frame payload' }).fill('edited one');
  await hold.getByRole('button', { name: 'Forward' }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['first', 'edited one', 'after']);
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toEqual(['first', 'edited one', 'after']);
  await expect(held).toHaveCount(0);
  const modified = rowWith(panel, 'edited one').first();
  await expect(modified).toContainText('modified: hold secrets');
  await modified.click();
  const details = panel.getByRole('region', { name: 'Message details' });
  await details.getByText(/Original payload/).click();
  await expect(details.getByLabel('Original payload', { exact: true })).toHaveText('secret one');

  await sendFromPage(page, ['secret two', 'tail']);
  await held.getByRole('article').getByRole('button', { name: 'Drop' }).click();
  await expect.poll(() => serverTexts(server)).toEqual(['first', 'edited one', 'after', 'tail']);
  await expect(rowWith(panel, 'secret two')).toContainText('blocked: hold secrets');
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'send').length === 5);
  expect(framesOf(store, connectionId).filter((f) => f.dir === 'send').map((f) => [f.text, f.status])).toEqual([
    ['first', 'sent'], ['edited one', 'sent'], ['after', 'sent'], ['secret two', 'blocked'], ['tail', 'sent'],
  ]);

  // Pause all holds every frame, both ways; Forward lets it through unchanged.
  await panel.getByRole('button', { name: 'Pause all' }).click();
  await expect(panel.getByRole('button', { name: 'Pause all' })).toHaveAttribute('aria-pressed', 'true');
  await page.waitForTimeout(300);
  await sendFromPage(page, ['paused']);
  await held.getByRole('article', { name: /outgoing/ }).getByRole('button', { name: 'Forward' }).click();
  await expect.poll(() => serverTexts(server).at(-1)).toBe('paused');
  await held.getByRole('article', { name: /incoming/ }).getByRole('button', { name: 'Forward' }).click();
  await expect.poll(async () => (await got(page)).at(-1)?.[0]).toBe('paused');
  await panel.getByRole('button', { name: 'Pause all' }).click();
  await expect(panel.getByRole('button', { name: 'Pause all' })).toHaveAttribute('aria-pressed', 'false');
});

test('match & replace and block rules from the rules view, validated inline and switchable one by one', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('button', { name: /^Rules/ }).click();
  const rulesDialog = panel.getByRole('dialog', { name: 'Intercept rules' });
  const form = rulesDialog.getByRole('form', { name: 'Rule editor' });

  await rulesDialog.getByRole('button', { name: 'Add rule' }).click();
  await form.getByRole('textbox', { name: 'Name' }).fill('rename');
  await form.getByRole('combobox', { name: 'Action' }).selectOption('replace');
  await form.getByRole('combobox', { name: 'Direction' }).selectOption('send');
  await form.getByRole('checkbox', { name: 'Regular expression' }).check();
  await form.getByRole('textbox', { name: 'Match' }).fill('user-(\\d+');
  await expect(form.getByRole('alert')).toContainText('Invalid regular expression');
  await expect(form.getByRole('button', { name: 'Save rule' })).toBeDisabled();
  await form.getByRole('textbox', { name: 'Match' }).fill('user-(\\d+)');
  await form.getByRole('textbox', { name: 'Replacement' }).fill('member-$1');
  await form.getByRole('button', { name: 'Save rule' }).click();

  await rulesDialog.getByRole('button', { name: 'Add rule' }).click();
  await form.getByRole('textbox', { name: 'Name' }).fill('no ads');
  await form.getByRole('combobox', { name: 'Action' }).selectOption('block');
  await form.getByRole('textbox', { name: 'Match' }).fill('ad:');
  await form.getByRole('button', { name: 'Save rule' }).click();
  await expect(rulesDialog.getByRole('listitem')).toHaveCount(2);
  await page.waitForTimeout(300);

  await sendFromPage(page, ['ad:buy', 'hello user-42', 'plain']);
  await expect.poll(() => serverTexts(server)).toEqual(['hello member-42', 'plain']);
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toEqual(['hello member-42', 'plain']);
  await expect(rowWith(panel, 'ad:buy')).toContainText('blocked: no ads');
  await expect(rowWith(panel, 'hello member-42').first()).toContainText('modified: rename');

  // Switched off one by one: the block rule stops applying, the replace rule still does.
  await rulesDialog.getByRole('checkbox', { name: 'Enable rule no ads' }).uncheck();
  await page.waitForTimeout(300);
  await sendFromPage(page, ['ad:again user-7']);
  await expect.poll(() => serverTexts(server).at(-1)).toBe('ad:again member-7');
  await rulesDialog.getByRole('button', { name: 'Delete rule rename' }).click();
  await expect(rulesDialog.getByRole('listitem')).toHaveCount(1);
  await page.waitForTimeout(300);
  await sendFromPage(page, ['user-8']);
  await expect.poll(() => serverTexts(server).at(-1)).toBe('user-8');
});

test('resend on a closed socket shows a clear error in the panel and nothing reaches the page', async ({ page, server, sw, context, ext }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const { tabId } = await openLoggingPage(page, server, sw);
  await sendFromPage(page, ['before close']);
  await expect.poll(() => server.received.length).toBe(1);
  await page.evaluate(() => new Promise((r) => { (window as any).ws.onclose = r; (window as any).ws.close(); }));
  const panel = await openPanel(context, ext.extensionId, tabId);
  await rowWith(panel, 'before close').first().click();
  const details = panel.getByRole('region', { name: 'Message details' });
  await details.getByRole('button', { name: 'Edit & resend' }).click();
  const editor = details.getByRole('region', { name: 'Edit and resend' });
  await editor.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(editor.getByRole('alert')).toHaveText(/^Could not send: .*(closed|gone)/i);
  await editor.getByRole('button', { name: 'Simulate receive' }).click();
  await expect(editor.getByRole('alert')).toHaveText(/^Could not simulate: /);
  expect(server.received).toHaveLength(1);
  expect(errors).toEqual([]);
});

test('replay: wait for a reply fails clearly on a silent server; Stop ends a slow replay', async ({ page, server, sw, context, ext }) => {
  test.slow();
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  await sendFromPage(page, ['a', 'b', 'c']);
  await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'send').length === 3);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('listbox', { name: 'Connections' }).getByRole('option', { name: /\/echo/ }).click();
  await panel.getByRole('button', { name: 'Replay…' }).click();
  const dialog = panel.getByRole('dialog', { name: 'Replay messages' });
  const status = dialog.getByRole('status', { name: 'Replay status' });

  await dialog.getByRole('textbox', { name: 'URL' }).fill(`${server.wsOrigin}/silent`);
  await dialog.getByRole('combobox', { name: 'Timing' }).selectOption('fast');
  await dialog.getByRole('checkbox', { name: 'Wait for a reply before each next message' }).check();
  await dialog.getByRole('textbox', { name: 'Reply pattern' }).fill('(');
  await dialog.getByRole('checkbox', { name: 'Regex' }).check();
  await expect(dialog.getByRole('alert')).toContainText('Invalid regular expression');
  await dialog.getByRole('textbox', { name: 'Reply pattern' }).fill('^[abc]$');
  await dialog.getByRole('spinbutton', { name: 'Reply timeout (ms)' }).fill('500');
  await dialog.getByRole('button', { name: 'Start replay' }).click();
  await expect(status).toHaveText(/^Replay failed: 1 of 3 sent — No matching reply/);
  expect(server.received.filter((m) => m.path === '/silent').map((m) => m.data.toString())).toEqual(['a']);

  // A slow replay (fixed 2 s gaps) stops on demand: the rest is never sent.
  await dialog.getByRole('checkbox', { name: 'Wait for a reply before each next message' }).uncheck();
  await dialog.getByRole('textbox', { name: 'URL' }).fill(`${server.wsOrigin}/echo?replay=slow`);
  await dialog.getByRole('combobox', { name: 'Timing' }).selectOption('fixed');
  await dialog.getByRole('spinbutton', { name: 'Delay (ms)' }).fill('2000');
  await dialog.getByRole('button', { name: 'Start replay' }).click();
  await expect(status).toHaveText(/^Replay (running|waiting for a reply): 1 of 3 sent/);
  await dialog.getByRole('button', { name: 'Stop replay' }).click();
  await expect(status).toHaveText(/^Replay stopped: 1 of 3 sent/);
  await page.waitForTimeout(2500);
  expect(server.received.filter((m) => m.path === '/echo').map((m) => m.data.toString())).toEqual(['a', 'b', 'c', 'a']);
});

test('the hold timeout set in the rules view lets a held frame through unchanged', async ({ page, server, sw, context, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const panel = await openPanel(context, ext.extensionId, tabId);
  await panel.getByRole('button', { name: /^Rules/ }).click();
  const rulesDialog = panel.getByRole('dialog', { name: 'Intercept rules' });
  await expect(rulesDialog.getByRole('spinbutton', { name: 'Hold timeout (seconds)' })).toHaveValue('30');
  await rulesDialog.getByRole('spinbutton', { name: 'Hold timeout (seconds)' }).fill('0.5');
  await rulesDialog.getByRole('button', { name: 'Save timeout' }).click();
  await rulesDialog.getByRole('button', { name: 'Close rules' }).click();
  await panel.getByRole('button', { name: 'Pause all' }).click();
  await page.waitForTimeout(300);
  await sendFromPage(page, ['patient']);
  await expect.poll(() => serverTexts(server)).toEqual(['patient']);
  // It was held (Pause all applied) and went through when the timeout passed, both ways.
  const store = await waitForStore(sw, (s) => s.frames.filter((f) => f.note === 'released after the hold timeout').length === 2);
  expect(store.frames.filter((f) => f.note === 'released after the hold timeout').map((f) => [f.dir, f.text])).toEqual([['send', 'patient'], ['receive', 'patient']]);
  await expect.poll(async () => (await got(page)).map((g) => g[0])).toEqual(['patient']);
  // Released by the timeout: nothing is left held in the panel.
  await expect(panel.getByRole('region', { name: 'Held frames' })).toHaveCount(0);
});
