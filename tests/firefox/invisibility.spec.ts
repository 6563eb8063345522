/**
 * "The page cannot tell", in Firefox ESR: every observation is made twice in the same Firefox build, once with the
 * extension installed and once without, and the two must be identical. Each probe runs in the page's own world
 * (WebDriver BiDi evaluates in the window realm, not a sandbox). Firefox's own messages and shapes differ from
 * Chrome's; what matters is that ours match Firefox's.
 */
import type { Page } from 'puppeteer-core';
import { comparisonTest, expect, FIREFOX_EXTENSION_DIR, openPage, uniqueId, waitForStore, type LaunchedFirefox } from './fixtures';
import { hookPropertyNames, prototypeAccessorPage, runPrototypeAccessorScenario } from '../support/prototype-traps';
import { CONSTRUCTOR_ARGUMENTS_PAGE, constructorArgumentsProbe } from '../support/constructor-arguments';
import * as probes from '../support/invisibility-probes';

const test = comparisonTest;

type Probe<T> = (arg: string) => Promise<T> | T;

/** Runs `probe` in a fresh tab of each browser, on the same URL, and returns both results. */
async function both<T>(withExt: LaunchedFirefox, withoutExt: LaunchedFirefox, url: string, probe: Probe<T>, arg: string) {
  expect(withExt.hasExtension, 'the "with" browser has the extension').toBe(true);
  expect(withoutExt.hasExtension, 'the "without" browser has none').toBe(false);
  const run = async (l: LaunchedFirefox) => {
    const page: Page = await openPage(l.browser, url);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const result = (await page.evaluate(probe, arg)) as T;
    await page.close();
    return { result, errors };
  };
  const a = await run(withExt);
  const b = await run(withoutExt);
  expect(a.errors).toEqual(b.errors);
  return { with: a.result, without: b.result };
}

/** The shared page helpers (describeProps, errorOf) as markup. */
const HELPERS = `<script>${probes.PAGE_HELPERS}</script>`;

test('constructor, prototype, statics, window property and toString are the native ones', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-shape')}.html`, HELPERS);
  const r = await both(firefox, withoutExt, url, probes.shapeProbe, '');
  expect(r.with).toEqual(r.without);
  // The probe looked at the real thing.
  expect(r.with.name).toBe('WebSocket');
});

test('instances: no own properties, same prototype, instanceof, constructor', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-instance')}.html`, HELPERS);
  const r = await both(firefox, withoutExt, url, probes.instanceProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('constructor and method errors are the native ones (bad URL, send while CONNECTING, bad close)', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-errors')}.html`, HELPERS);
  const r = await both(firefox, withoutExt, url, probes.errorsProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.with.sendWhileConnecting).not.toBe('no error');
});

test('constructor arguments are converted once, in the native order, whatever they are', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-arguments')}.html`, `${HELPERS}<script>${CONSTRUCTOR_ARGUMENTS_PAGE}</script>`);
  const r = await both(firefox, withoutExt, url, constructorArgumentsProbe, server.wsOrigin);
  // SpiderMonkey writes the caller's source for the value into these four messages ("({[Symbol.iterator]:5}) is
  // not iterable"); behind any wrapper of the constructor, ours included, the caller is not the page's code and
  // the message says "args[1]". Their class and name must still match; everything else must be equal.
  const decompiled = ['nextNotCallable', 'nonCallableIterator', 'nonCallableToPrimitive', 'primitiveToObject'];
  const withoutMessages = (result: typeof r.with) => ({
    log: result.log,
    out: Object.fromEntries(Object.entries(result.out).map(([k, v]) => [k, decompiled.includes(k) && Array.isArray(v) ? [v[0], v[1]] : v])),
  });
  expect(withoutMessages(r.with)).toEqual(withoutMessages(r.without));
  expect(r.without.log).toContain('toString protocol');
});

test('events: trusted, same target, listener order, binaryType, synthetic events', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-events')}.html`, `<script>${probes.EVENTS_PAGE}</script>`);
  const r = await both(firefox, withoutExt, url, probes.eventsProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
  expect(r.with.length).toBeGreaterThan(10);
});

test('pages that replace natives we use, and page-side wrappers, see only their own calls', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-natives')}.html`, `<script>${probes.NATIVES_PAGE}</script>`);
  const r = await both(firefox, withoutExt, url, probes.nativesProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('a page with accessors on Object.prototype and Array.prototype for every name the hook uses sees only its own calls', async ({ firefox, withoutExt, server }) => {
  const url = server.page(`/${uniqueId('inv-prototype-accessors')}.html`, prototypeAccessorPage(hookPropertyNames(FIREFOX_EXTENSION_DIR)));
  const r = await both(firefox, withoutExt, url, runPrototypeAccessorScenario, server.wsOrigin);
  expect(r.without.trapped, 'every accessor was put in place').toBe(true);
  expect(r.with).toEqual(r.without);
});

test('WebSocket in same-origin, srcdoc and script-made about:blank frames looks native', async ({ firefox, withoutExt, server }) => {
  const id = uniqueId('inv-frames');
  server.page(`/${id}-child.html`, '<p>child</p>');
  const url = server.page(`/${id}.html`, `<iframe id="a" src="/${id}-child.html"></iframe><iframe id="b" srcdoc="<p>s</p>"></iframe>`);
  const r = await both(firefox, withoutExt, url, probes.framesProbe, server.wsOrigin);
  expect(r.with).toEqual(r.without);
});

test('the "with" browser did capture while being compared', async ({ firefox, reader, server }) => {
  // Guards the comparisons above: they must run with a working hook, not a missing one.
  const id = uniqueId('inv-capture');
  const wsUrl = `${server.wsOrigin}/echo?${id}`;
  const page = await openPage(firefox.browser, server.page(`/${id}.html`, HELPERS));
  await page.evaluate(probes.echoProbeCapture, wsUrl);
  await waitForStore(reader, (s) => s.frames.some((f) => f.text === 'probe-capture' && f.dir === 'receive' && s.connections.some((c) => c.id === f.connectionId && c.url === wsUrl)));
  await page.close();
});
