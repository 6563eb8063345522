/**
 * Issue 23's composer in Firefox ESR, the panel as a tab (panel.html?tabId=<n>) on a live page talking to a real
 * `ws` server on 127.0.0.1: the direction is an explicit choice (send to the server, or deliver to the page as if
 * received), and text is a template expanded at each send ({{uuid}}, {{counter}}); an unknown variable is refused
 * and nothing goes out. Checked where it lands: the server's received messages and the page's own `onmessage`.
 * Chromium's version: tests/e2e/panel-composer.spec.ts.
 *
 * The composer remembers what was sent per site in the extension's database (shared by the worker's tests): each
 * test puts that history back as it found it.
 */
import type { ElementHandle, Page } from 'puppeteer-core';
import type { LaunchedFirefox, TestServer } from './fixtures';
import { test, expect, aria, find, captured, gridRows, openPanel, readSetting, selectConnection, socketPage, textOf, uniqueId, writeSetting } from './panel-helpers';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const PREVIEW = 'Preview (uuid, random and time are new at sending):';

/** A page whose socket to `wsUrl` records what its `onmessage` gets; the tab id once the connection is stored open. */
async function loggingPage(firefox: LaunchedFirefox, reader: Page, server: TestServer, wsUrl: string) {
  const id = new URL(wsUrl).search.slice(1);
  const page = await socketPage(firefox, server, id, wsUrl);
  await page.evaluate(() => {
    const w = window as unknown as { ws: WebSocket; got: unknown[] };
    w.got = [];
    w.ws.onmessage = (e) => w.got.push(e.data);
  });
  const { tabId } = await captured(reader, wsUrl, (s, id) => s.connections.find((c) => c.id === id)?.state === 'open');
  return { page, tabId };
}

/** The panel on `tabId` with the composer of connection `wsUrl` open. */
async function openComposer(firefox: LaunchedFirefox, tabId: number, wsUrl: string) {
  const panel = await openPanel(firefox.browser, tabId);
  await panel.setViewport({ width: 1200, height: 800 });
  await selectConnection(panel, wsUrl);
  await (await find(panel, '::-p-text(Compose on connection #1)')).click();
  const composer = await find(panel, aria('region', 'Composer'));
  return { panel, composer, box: await find(composer, aria('textbox', 'Message to compose')) };
}

/** Replaces the text as typing would (Svelte's bind:value listens to `input`). */
const fill = (box: ElementHandle<Element>, text: string) =>
  box.evaluate((el, text) => {
    (el as HTMLTextAreaElement).value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, text);

/** The texts of the composer's elements with `role` (its outcome line, the template's error). */
const texts = (composer: ElementHandle<Element>, role: 'status' | 'alert') => composer.evaluate((c, role) => [...c.querySelectorAll(`[role="${role}"]`)].map((e) => e.textContent!.trim()), role);
const isChecked = async (composer: ElementHandle<Element>, name: string) => (await find(composer, aria('radio', name))).evaluate((r) => (r as HTMLInputElement).checked);

test('composer: a template’s {{uuid}} and {{counter}} are expanded at each send; an unknown variable is refused and nothing is sent', async ({ firefox, reader, server }) => {
  const wsUrl = `${server.wsOrigin}/silent?${uniqueId('ff-compose')}`;
  const { page, tabId } = await loggingPage(firefox, reader, server, wsUrl);
  const historyKey = `composer:${server.origin}`;
  const history = await readSetting(reader, historyKey);
  const { panel, composer, box } = await openComposer(firefox, tabId, wsUrl);
  const before = server.received.length; // the server is shared by this worker's tests
  const mine = () => server.received.slice(before).filter((m) => m.path === '/silent').map((m) => m.data.toString());
  try {
    expect(await isChecked(composer, 'Send to server')).toBe(true);
    // Not JSON as typed ({{counter}} is unquoted), JSON once expanded.
    await fill(box, '{"id":"{{uuid}}","n":{{counter}}}');
    await expect.poll(() => textOf(composer, aria('status', PREVIEW))).toMatch(/^\{"id":"[0-9a-f-]{36}","n":1\}$/);
    const send = await find(composer, aria('button', 'Send message'));
    await send.click();
    await expect.poll(() => texts(composer, 'status')).toContain('Sent on the live connection.');
    await expect.poll(mine).toHaveLength(1);
    await send.click();
    await expect.poll(mine).toHaveLength(2);
    const [first, second] = mine().map((t) => JSON.parse(t) as { id: string; n: number });
    expect(first.id).toMatch(UUID_V4);
    expect(second.id).toMatch(UUID_V4);
    expect(second.id).not.toBe(first.id);
    expect([first.n, second.n]).toEqual([1, 2]);

    // {{uid}} is no variable: said as it is typed, and again (with "Not sent") on Send, which sends nothing.
    await fill(box, '{"id":"{{uid}}"}');
    await expect.poll(() => texts(composer, 'alert')).toEqual([expect.stringContaining('Unknown variable {{uid}}')]);
    expect(await composer.$(aria('status', PREVIEW))).toBeNull();
    await send.click();
    await expect.poll(() => texts(composer, 'alert')).toContainEqual(expect.stringMatching(/^Not sent: Unknown variable \{\{uid\}\}/));
    await new Promise((r) => setTimeout(r, 500)); // what would have been sent has had time to arrive
    expect(mine()).toHaveLength(2);
    expect(await page.evaluate(() => (window as unknown as { got: unknown[] }).got)).toEqual([]);
  } finally {
    await writeSetting(reader, historyKey, history);
  }
  await panel.close();
  await page.close();
});

test('composer: "Deliver to page" reaches the page’s onmessage as a received message and never the server', async ({ firefox, reader, server }) => {
  const wsUrl = `${server.wsOrigin}/silent?${uniqueId('ff-deliver')}`;
  const { page, tabId } = await loggingPage(firefox, reader, server, wsUrl);
  const historyKey = `composer:${server.origin}`;
  const history = await readSetting(reader, historyKey);
  const { panel, composer, box } = await openComposer(firefox, tabId, wsUrl);
  const before = server.received.length;
  const got = () => page.evaluate(() => (window as unknown as { got: unknown[] }).got);
  try {
    await (await find(composer, aria('radio', 'Deliver to page (as if received)'))).click();
    await expect.poll(() => isChecked(composer, 'Deliver to page (as if received)')).toBe(true);
    expect(await composer.$(aria('button', 'Send message'))).toBeNull(); // one action, named by the direction
    const deliver = await find(composer, aria('button', 'Deliver to page'));

    // An unknown variable is refused this way too.
    await fill(box, 'pushed {{nope}}');
    await deliver.click();
    await expect.poll(() => texts(composer, 'alert')).toContainEqual(expect.stringMatching(/^Not sent: Unknown variable \{\{nope\}\}/));

    await fill(box, 'pushed {{counter}}');
    await deliver.click();
    await expect.poll(() => texts(composer, 'status')).toContain('Delivered to the page as a received message.');
    await expect.poll(got).toEqual(['pushed 1']);
    // The grid shows it as received, marked as the inspector's.
    await expect.poll(async () => (await gridRows(panel)).filter((r) => r.cells.Data.includes('pushed 1')).map((r) => r.name)).toEqual([expect.stringMatching(/received.*simulated/)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.received.slice(before).filter((m) => m.path === '/silent')).toEqual([]); // in the page, never on the network
  } finally {
    await writeSetting(reader, historyKey, history);
  }
  await panel.close();
  await page.close();
});
