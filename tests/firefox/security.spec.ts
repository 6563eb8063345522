/**
 * A hostile page against the page hook, in Firefox ESR (the Chromium counterpart is tests/e2e/security.spec.ts):
 * the hand-over seen from a reused window, a window reused after its about:blank had the hook, and detection
 * (the install probe, stack traces, prototype cycles, argument order), each compared with Firefox without us.
 */
import type { Page } from 'puppeteer-core';
import { comparisonTest, expect, EXTENSION_UUID, openPage, uniqueId, waitForStore, type LaunchedFirefox } from './fixtures';
import * as probes from '../support/invisibility-probes';

const test = comparisonTest;

async function both<T>(withExt: LaunchedFirefox, withoutExt: LaunchedFirefox, url: string, probe: (arg: string) => Promise<T> | T, arg: string) {
  expect(withExt.hasExtension).toBe(true);
  const run = async (l: LaunchedFirefox) => {
    const page: Page = await openPage(l.browser, url);
    const result = (await page.evaluate(probe, arg)) as T;
    await page.close();
    return result;
  };
  return { with: await run(withExt), without: await run(withoutExt) };
}

test('a parent that listens on a reused iframe window sees no hand-over event, and capture in the frame works', async ({ firefox, reader, server }) => {
  const tag = uniqueId('ff-reused');
  const child = server.page(`/${uniqueId('ff-sec-child')}.html`, `<script>
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.onopen = () => ws.send('${tag}');
  </script>`);
  const page = await openPage(firefox.browser, server.page(`/${uniqueId('ff-sec-parent')}.html`, `<script>${probes.REUSED_WINDOW_PARENT}</script>`));
  const seen = (await page.evaluate((src) => (window as any).listenIn(src), new URL(child).pathname)) as { events: string[]; handover: unknown[] };
  expect(seen.events).toContain('load');
  expect(seen.handover).toEqual([]);
  await waitForStore(reader, (s) => s.frames.some((f) => f.text === tag && f.dir === 'receive'));
  await page.close();
});

test('a frame whose about:blank had the hook, then sent to a same-origin URL, is captured', async ({ firefox, reader, server }) => {
  const tag = uniqueId('ff-blank-nav');
  const child = server.page(`/${uniqueId('ff-sec-nav-child')}.html`, `<script>
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.onopen = () => ws.send('${tag}');
  </script>`);
  const page = await openPage(firefox.browser, server.page(`/${uniqueId('ff-sec-nav-parent')}.html`, `<script>${probes.REUSED_WINDOW_PARENT}</script>`));
  await page.evaluate((src) => (window as any).navigateBlank(src), new URL(child).pathname);
  await waitForStore(reader, (s) => s.frames.some((f) => f.text === tag && f.dir === 'receive'));
  await page.close();
});

test('the install probe, prototype cycles and argument order answer as Firefox does without us', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('ff-sec-detect')}.html`, '<p>detect</p>');
  const probe = (r: { with: unknown; without: unknown }) => expect(r.with).toEqual(r.without);
  probe(await both(firefox, withoutExt, url, probes.installProbe, ''));
  probe(await both(firefox, withoutExt, url, probes.argumentOrderProbe, ''));
  const cycles = await both(firefox, withoutExt, url, probes.cycleProbe, '');
  expect(cycles.with.reflect).toEqual(cycles.without.reflect);
});

test('errors thrown through the hook name no extension', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('ff-sec-stacks')}.html`, '<p>stacks</p>');
  const r = await both(firefox, withoutExt, url, probes.stackProbe, server.wsOrigin);
  const text = JSON.stringify(r.with);
  expect(text).not.toContain('moz-extension://');
  expect(text).not.toContain(EXTENSION_UUID);
  expect(r.with).toEqual(r.without);
});
