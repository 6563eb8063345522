/**
 * A hostile page against the page hook (issue #9 §1, §4, §5; issue #10 §1, hook side), in real Chromium: each test
 * runs the attack and asserts it fails. Comparisons are made in the same Chromium build with and without the
 * extension. (The relay's side of the hand-over is tests/e2e/security-relay.spec.ts.)
 */
import { expect, type Page } from '@playwright/test';
import { EXTENSION_DIR, comparisonTest, waitForStore, type Launched } from './fixtures';
import { hookPropertyNames, prototypeTrapsScript } from '../support/prototype-traps';
import * as probes from '../support/invisibility-probes';
import { controller } from './panel-controller';

const test = comparisonTest;

/** Runs `probe` in a fresh page of each browser, on the same URL. */
async function both<T>(withExt: Launched, withoutExt: Launched, url: string, probe: (arg: string) => Promise<T> | T, arg: string) {
  const run = async (l: Launched) => {
    const page: Page = await l.context.newPage();
    await page.goto(url);
    const result = await page.evaluate(probe, arg);
    await page.close();
    return result;
  };
  expect(withExt.sw, 'the "with" browser has the extension').toBeTruthy();
  return { with: await run(withExt), without: await run(withoutExt) };
}

test.describe('the hand-over', () => {
  test('a parent that listens on a reused iframe window sees no hand-over event, and capture in the frame works', async ({ withExt, server }) => {
    const tag = `reused-${Date.now()}`;
    server.page('/sec-child.html', `<script>
      window.ws = new WebSocket('${server.wsOrigin}/echo');
      ws.onopen = () => ws.send('${tag}');
    </script>`);
    const url = server.page('/sec-parent.html', `<script>${probes.REUSED_WINDOW_PARENT}</script>`);
    const page = await withExt.context.newPage();
    await page.goto(url);
    const seen = await page.evaluate(() => (window as any).listenIn('/sec-child.html'));
    expect(seen.events, 'window listeners saw the frame\'s own load, so they were in place').toContain('load');
    expect(seen.handover, 'no hand-over event reached a window listener').toEqual([]);
    await waitForStore(withExt.sw!, (s) => s.frames.some((f) => f.text === tag && f.dir === 'receive'));
    await page.close();
  });

  test('a frame whose about:blank had the hook, then sent to a same-origin URL, is captured', async ({ withExt, server }) => {
    const tag = `blank-then-nav-${Date.now()}`;
    server.page('/sec-nav-child.html', `<script>
      window.ws = new WebSocket('${server.wsOrigin}/echo');
      ws.onopen = () => ws.send('${tag}');
    </script>`);
    const url = server.page('/sec-nav-parent.html', `<script>${probes.REUSED_WINDOW_PARENT}</script>`);
    const page = await withExt.context.newPage();
    await page.goto(url);
    // Chromium 156 does not reuse a Window whose about:blank document had content scripts (both are false there;
    // Firefox: tests/firefox/security.spec.ts); the capture must work either way.
    await page.evaluate(() => (window as any).navigateBlank('/sec-nav-child.html'));
    await waitForStore(withExt.sw!, (s) => s.frames.some((f) => f.text === tag && f.dir === 'receive'));
    await page.close();
  });
});

test.describe('detection', () => {
  test('the double-install guard answers as the native toString does', async ({ withExt, withoutExt, server }) => {
    const url = server.page('/sec-probe.html', '<p>probe</p>');
    const r = await both(withExt, withoutExt, url, probes.installProbe, '');
    expect(r.with).toEqual(r.without);
  });

  test('errors thrown through the hook name no extension, with and without Error.prepareStackTrace', async ({ withExt, withoutExt, server }) => {
    const url = server.page('/sec-stacks.html', '<p>stacks</p>');
    const r = await both(withExt, withoutExt, url, probes.stackProbe, server.wsOrigin);
    const text = JSON.stringify(r.with);
    expect(text).not.toContain('chrome-extension://');
    expect(text).not.toContain(withExt.extensionId);
    expect(r.without.noArgument).toContain('1 argument required');
    // Identical, except the one difference a Proxy cannot hide (pinned below).
    expect({ ...r.with, notAFunction: undefined, notAFunctionSites: undefined }).toEqual({ ...r.without, notAFunction: undefined, notAFunctionSites: undefined });
  });

  test('pinned: toString of a non-function lacks the browser\'s own toString frame, and nothing else differs', async ({ withExt, withoutExt, server }) => {
    // Our toString is a Proxy: the native's error is re-taken from the page's frame down, which drops the
    // `at Object.toString (<anonymous>)` line the browser's builtin adds. This pins that single difference.
    const url = server.page('/sec-stacks-pinned.html', '<p>stacks</p>');
    const r = await both(withExt, withoutExt, url, probes.stackProbe, server.wsOrigin);
    const drop = (stack: unknown) => String(stack).split('\n').filter((line) => !line.includes('at Object.toString (<anonymous>)')).join('\n');
    expect(r.with.notAFunction).toBe(drop(r.without.notAFunction));
    expect(r.without.notAFunction).toContain('at Object.toString (<anonymous>)');
    expect(r.with.notAFunctionSites).toEqual((r.without.notAFunctionSites as string[]).filter((s) => s !== 'null:toString'));
  });

  test('a prototype cycle through WebSocket, send or toString is refused as the native refuses it', async ({ withExt, withoutExt, server }) => {
    const url = server.page('/sec-cycles.html', '<p>cycles</p>');
    const r = await both(withExt, withoutExt, url, probes.cycleProbe, '');
    expect(r.with.reflect).toEqual(r.without.reflect);
    expect(r.without.reflect).toEqual([false, false, false, true]);
    // Pinned: where the native throws "Cyclic __proto__ value", a Proxy whose trap says false throws the Proxy's
    // own TypeError (a trap cannot tell Reflect.setPrototypeOf, which wants false, from Object.setPrototypeOf).
    expect(r.with.thrown.map((t: string[]) => t[0])).toEqual(r.without.thrown.map((t: string[]) => t[0]));
    expect(r.without.thrown.map((t: string[]) => t[1])).toEqual(['Cyclic __proto__ value', 'Cyclic __proto__ value', 'Cyclic __proto__ value']);
    expect(r.with.thrown.map((t: string[]) => t[1]).every((m: string) => m.includes("'setPrototypeOf' on proxy"))).toBe(true);
  });

  test('pinned: page code our traps call sees our frames, and a cycle check walks through the page\'s proxies', async ({ withExt, withoutExt, server }) => {
    // What a Proxy-based hook cannot hide (README, capture notes). Each must stay exactly as pinned here.
    const url = server.page('/sec-pinned.html', '<p>pinned</p>');
    const r = await both(withExt, withoutExt, url, (wsOrigin: string) => {
      let stack = '';
      const protocol = { toString: () => ((stack = String(new Error().stack)), 'chat') };
      new WebSocket(`${wsOrigin}/echo`, protocol as unknown as string).close();
      let trapCalls = 0;
      const pageProxy = new Proxy({}, { getPrototypeOf: (t) => (trapCalls++, Reflect.getPrototypeOf(t)) });
      const set = Reflect.setPrototypeOf(WebSocket.prototype.send, Object.create(pageProxy));
      return { extensionFrame: stack.includes('-extension://'), trapCalls, set };
    }, server.wsOrigin);
    expect(r.without).toEqual({ extensionFrame: false, trapCalls: 0, set: true });
    expect(r.with).toEqual({ extensionFrame: true, trapCalls: 1, set: true });
  });

  test('new WebSocket(Symbol(), iterable) throws on the url before it reads the iterable', async ({ withExt, withoutExt, server }) => {
    const url = server.page('/sec-order.html', '<p>order</p>');
    const r = await both(withExt, withoutExt, url, probes.argumentOrderProbe, '');
    expect(r.with).toEqual(r.without);
    expect(r.without).toEqual({ read: false, error: "TypeError: Failed to construct 'WebSocket': Cannot convert a Symbol value to a string" });
  });
});

test.describe('notices', () => {
  test('a page with setters and getters for every field the hook uses sees none of a failed replay or a hold, and cannot change them', async ({ withExt, server }) => {
    const names = hookPropertyNames(EXTENSION_DIR);
    expect(names).toEqual(expect.arrayContaining(['replayId', 'sent', 'total', 'error', 'holdId', 'connectionId', 'outcome', 'requestId', 'ok', 'notice']));
    const page = await withExt.context.newPage();
    const url = server.page('/sec-notices.html', `<script>${prototypeTrapsScript(names)}
      // The attack of issue #9 §4: a setter that rewrites the notice it is given.
      const errorTrap = Object.getOwnPropertyDescriptor(Object.prototype, 'error');
      Object.defineProperty(Object.prototype, 'error', { __proto__: null, configurable: true, get: errorTrap.get,
        set(v) { errorTrap.set.call(this, v); if ('sent' in this) { this.sent = this.total; window.forged = true; } } });
      window.ws = new WebSocket('${server.wsOrigin}/echo?sec-notices');
      window.opened = new Promise((r) => ws.onopen = r);
      window.act = () => setTimeout(() => ws.send('hold me'), 0);
    </script>`);
    await page.goto(url);
    await page.evaluate(() => (window as any).opened);
    const store = await waitForStore(withExt.sw!, (s) => s.connections.some((c) => c.url.endsWith('/echo?sec-notices') && c.state === 'open'));
    const connection = store.connections.find((c) => c.url.endsWith('/echo?sec-notices'))!;
    const tabId = store.sessions.find((s) => s.id === connection.sessionId)!.tabId!;
    const ctl = await controller(page, withExt.extensionId, tabId);
    await ctl.setRules([{ id: 'r1', name: 'hold', enabled: true, action: 'breakpoint', direction: 'send', urlPattern: '', pattern: 'hold me', regex: false, replacement: '' }]);
    expect(await page.evaluate(() => [(window as any).trapped, ((window as any).recording = true)])).toEqual([true, true]);
    // A replay that fails: it waits for a reply that never matches, so its notice carries an `error`.
    const steps = ['one', 'two'].map((payload) => ({ data: { encoding: 'text', payload }, delayMs: 0 }));
    const replay = { kind: 'replay', replayId: 'forge', url: `${server.wsOrigin}/echo?replay=forge`, steps, waitForReply: { pattern: 'never', regex: false, timeoutMs: 300 } };
    expect(await ctl.cmd(replay)).toMatchObject({ ok: true });
    await expect.poll(async () => (await ctl.notices()).find((n) => n.replayId === 'forge' && n.state === 'failed'), { timeout: 20_000 }).toBeTruthy();
    const failed = (await ctl.notices()).find((n) => n.replayId === 'forge' && n.state === 'failed')!;
    expect(failed).toMatchObject({ sent: 1, total: 2 });
    // A hold and its release.
    await page.evaluate(() => (window as any).act());
    await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'held').length).toBe(1);
    const held = (await ctl.notices()).find((n) => n.kind === 'held')!;
    expect(await ctl.cmd({ kind: 'release', holdId: held.holdId, action: 'forward' })).toMatchObject({ ok: true });
    await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'released').length).toBe(1);
    await page.evaluate(() => ((window as any).recording = false));
    expect(await page.evaluate(() => [(window as any).calls, (window as any).forged ?? false])).toEqual(['', false]);
    await page.close();
  });
});

test.describe('the last words before a page goes', () => {
  // The hook hands its last batch to the relay synchronously on pagehide (a port message would arrive after the
  // document is gone), and the relay sends it before its goodbye.
  test('a frame exchanged just before the page navigates away is stored', async ({ withExt, server }) => {
    const tag = `last-words-${Date.now()}`;
    server.page('/sec-gone.html', '<p>gone</p>');
    const page = await withExt.context.newPage();
    await page.goto(server.page('/sec-leaving.html', `<script>
      const ws = new WebSocket('${server.wsOrigin}/echo?${tag}');
      window.exchange = () => ws.send('${tag}'); // after a quiet spell's post (the open)
      ws.onmessage = () => { location.href = '/sec-gone.html'; }; // at once, well inside the 100 ms batch
    </script>`));
    // The relay's port is up (a port opened in the document's last milliseconds is Chromium's to cancel): what
    // is tested is the hand-over of the last batch.
    await waitForStore(withExt.sw!, (s) => s.connections.some((c) => c.url.endsWith(`?${tag}`) && c.state === 'open'));
    await page.evaluate(() => (window as unknown as { exchange(): void }).exchange());
    await page.waitForURL('**/sec-gone.html');
    const store = await waitForStore(withExt.sw!, (s) => s.frames.some((f) => f.text === tag && f.dir === 'receive'));
    expect(store.frames.filter((f) => f.text === tag).map((f) => f.dir)).toEqual(['send', 'receive']);
    await page.close();
  });
});
