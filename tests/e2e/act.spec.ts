/**
 * Acting on live traffic, end to end through the real message path: an extension page's panel port → the
 * background → the tab's relay → the page hook → the page's live socket. Each test checks what the server
 * received and what the page's own listeners received. (The panel's controls for these are tested in the
 * panel specs; this spec proves the machinery underneath.)
 */
import { test, expect, waitForStore, framesOf, openLoggingPage, storedOpenConnection, EXTENSION_DIR } from './fixtures';
import { hookPropertyNames, prototypeTrapsScript } from '../support/prototype-traps';
import { controller } from './panel-controller';


const rule = (fields: Record<string, unknown>) => ({
  id: crypto.randomUUID(), name: 'rule', enabled: true, action: 'breakpoint', direction: 'both', urlPattern: '', pattern: '', regex: false, replacement: '', ...fields,
});

test('resend text and edited binary on the live socket', async ({ page, server, sw, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  expect(await ctl.cmd({ kind: 'send', connectionId, encoding: 'text', payload: '{"edited":true}' })).toMatchObject({ ok: true });
  expect(await ctl.cmd({ kind: 'send', connectionId, encoding: 'base64', payload: Buffer.from([0, 1, 254, 255]).toString('base64') })).toMatchObject({ ok: true });
  await expect.poll(() => server.received.length).toBe(2);
  expect(server.received[0]).toMatchObject({ isBinary: false });
  expect(server.received[0].data.toString()).toBe('{"edited":true}');
  expect([...server.received[1].data]).toEqual([0, 1, 254, 255]);
  // The page's listeners get the server's echoes, as from any send.
  await expect.poll(() => page.evaluate(() => (window as any).got.length)).toBeGreaterThanOrEqual(2);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'send').length === 2);
  const sent = framesOf(store, connectionId).filter((f) => f.dir === 'send');
  expect(sent.map((f) => [f.origin, f.text ?? f.base64])).toEqual([['inspector', '{"edited":true}'], ['inspector', 'AAH+/w==']]);
});

test('simulated server messages reach the page with the type its binaryType asks for', async ({ page, server, sw, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'text', payload: 'fake text' })).toMatchObject({ ok: true });
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'base64', payload: Buffer.from([7, 8]).toString('base64') })).toMatchObject({ ok: true });
  await page.evaluate(() => ((window as any).ws.binaryType = 'arraybuffer'));
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'base64', payload: Buffer.from([9]).toString('base64') })).toMatchObject({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).got)).toEqual([
    ['fake text', false, null],
    ['[object Blob]', false, null],
    ['blob-bytes', [7, 8]],
    ['[object ArrayBuffer]', false, [9]],
  ]);
  expect(server.received).toEqual([]); // nothing went to the network
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).length === 3);
  expect(framesOf(store, connectionId).map((f) => [f.dir, f.origin])).toEqual([['receive', 'simulated'], ['receive', 'simulated'], ['receive', 'simulated']]);
});

test('a simulated message and a replay run none of the page\'s functions: Object.prototype getters, a replaced indexOf', async ({ page, server, sw, ext }) => {
  // The hook builds the MessageEvent's init dictionary and the replay's listener options; members it leaves out
  // must not be looked up on a prototype the page controls (a getter there would see our call). A replay that
  // waits for a reply matches it with the String.prototype.indexOf it found at install, not the page's.
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  await page.evaluate(() => {
    const w = window as any;
    w.initReads = [];
    for (const name of ['bubbles', 'cancelable', 'composed', 'lastEventId', 'source', 'ports', 'capture', 'passive', 'signal']) {
      Object.defineProperty(Object.prototype, name, {
        configurable: true,
        get() {
          if (!String(new Error().stack).includes('UtilityScript')) w.initReads.push(name); // not Playwright's own reads
          return undefined;
        },
      });
    }
    const indexOf = String.prototype.indexOf;
    String.prototype.indexOf = function (...args: [string, number?]) {
      if (!String(new Error().stack).includes('UtilityScript')) w.initReads.push('indexOf');
      return indexOf.apply(this, args);
    };
  });
  const ctl = await controller(page, ext.extensionId, tabId);
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'text', payload: 'fake text' })).toMatchObject({ ok: true });
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'base64', payload: Buffer.from([7, 8]).toString('base64') })).toMatchObject({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).got)).toEqual([['fake text', false, null], ['[object Blob]', false, null], ['blob-bytes', [7, 8]]]);
  const steps = ['replayed 1', 'replayed 2'].map((payload) => ({ data: { encoding: 'text', payload }, delayMs: 0 })); // waits between them
  const waitForReply = { pattern: 'play', regex: false, timeoutMs: 5000 };
  expect(await ctl.cmd({ kind: 'replay', replayId: 'dict', url: `${server.wsOrigin}/echo?replay=dict`, protocols: [], steps, waitForReply })).toMatchObject({ ok: true });
  await expect.poll(async () => (await ctl.notices()).some((n) => n.replayId === 'dict' && n.state === 'done'), { timeout: 20_000 }).toBe(true);
  expect(await page.evaluate(() => (window as any).initReads)).toEqual([]);
});

test('every action, on a page with accessors on Object.prototype and Array.prototype for every name the hook uses, runs none of them', async ({ page, server, sw, ext }) => {
  // Holds, their queues, rules, simulated and resent messages, a replay and a close while a frame is held: the
  // hook's own objects and arrays must not reach the page's prototypes. The page acts from its own timers, so
  // that no call of ours runs inside a Playwright evaluate (whose calls the traps leave out).
  const url = server.page('/act-traps.html', `<script>${prototypeTrapsScript(hookPropertyNames(EXTENSION_DIR))}
    // A replace rule's RegExp: Symbol.replace looks up exec and flags, and flags each flag's getter.
    for (const name of ['flags', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky', 'hasIndices', 'source']) {
      const d = Object.getOwnPropertyDescriptor(RegExp.prototype, name);
      Object.defineProperty(RegExp.prototype, name, { __proto__: null, configurable: true, get() { note('get RegExp ' + name); return d.get.call(this); } });
    }
    const exec = RegExp.prototype.exec;
    RegExp.prototype.exec = function (text) { note('RegExp exec'); return exec.call(this, text); };
    window.log = '';
    window.ws = new WebSocket('${server.wsOrigin}/echo');
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => { window.log += (typeof e.data === 'string' ? e.data : 'bytes:' + new Uint8Array(e.data).join(',')) + '|'; };
    window.opened = new Promise((r) => ws.onopen = r);
    const actions = {
      send: () => { ws.send('first'); ws.send('secret one'); ws.send('after'); ws.send('ad:x'); ws.send(new Uint8Array([5, 6])); },
      hold: () => ws.send('secret two'),
      close: () => ws.close(4001, 'done'),
    };
    window.act = (what) => { setTimeout(actions[what], 0); };
  </script>`);
  await page.goto(url);
  await page.evaluate(() => (window as any).opened);
  const { connectionId, tabId } = await storedOpenConnection(sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  await ctl.setRules([
    rule({ name: 'hold secrets', direction: 'send', pattern: 'secret' }),
    rule({ name: 'shout', action: 'replace', direction: 'receive', pattern: 'aft(er)', regex: true, replacement: 'AFT$1' }),
    rule({ name: 'no ads', action: 'block', direction: 'send', pattern: 'ad:' }),
  ]);
  expect(await page.evaluate(() => [(window as any).trapped, ((window as any).recording = true)])).toEqual([true, true]);
  await page.evaluate(() => (window as any).act('send'));
  await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'held').length).toBe(1);
  const held = (await ctl.notices()).find((n) => n.kind === 'held')!;
  expect(await ctl.cmd({ kind: 'release', holdId: held.holdId, action: 'forward', data: { encoding: 'text', payload: 'edited' } })).toMatchObject({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).log)).toBe('first|edited|AFTer|bytes:5,6|'); // the echoes, before the simulated ones
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'text', payload: 'fake' })).toMatchObject({ ok: true });
  expect(await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'base64', payload: Buffer.from([7, 8]).toString('base64') })).toMatchObject({ ok: true });
  expect(await ctl.cmd({ kind: 'send', connectionId, encoding: 'base64', payload: Buffer.from([9]).toString('base64') })).toMatchObject({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).log)).toBe('first|edited|AFTer|bytes:5,6|fake|bytes:7,8|bytes:9|');
  const steps = ['replayed 1', 'replayed 2'].map((payload) => ({ data: { encoding: 'text', payload }, delayMs: 0 }));
  const replay = { kind: 'replay', replayId: 'traps', url: `${server.wsOrigin}/echo?replay=traps`, protocols: ['v1'], steps, waitForReply: { pattern: 'play', regex: false, timeoutMs: 5000 } };
  expect(await ctl.cmd(replay)).toMatchObject({ ok: true });
  await expect.poll(async () => (await ctl.notices()).some((n) => n.replayId === 'traps' && n.state === 'done'), { timeout: 20_000 }).toBe(true);
  await page.evaluate(() => (window as any).act('hold'));
  await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'held').length).toBe(2);
  await page.evaluate(() => (window as any).act('close'));
  await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'released').map((n) => n.outcome)).toEqual(['edited', 'closed']);
  await waitForStore(sw, (s) => s.frames.some((f) => f.connectionId === connectionId && f.kind === 'close'));
  expect(await page.evaluate(() => (window as any).calls)).toBe('');
  expect(server.received.map((m) => (m.isBinary ? [...m.data].join(',') : m.data.toString()))).toEqual(['first', 'edited', 'after', '5,6', '9', 'replayed 1', 'replayed 2']);
});

test('acting on a closed socket gives a clear error and nothing throws into the page', async ({ page, server, sw, ext }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  await page.evaluate(() => new Promise((r) => { (window as any).ws.onclose = r; (window as any).ws.close(); }));
  const result = await ctl.cmd({ kind: 'send', connectionId, encoding: 'text', payload: 'late' });
  expect(result.ok).toBe(false);
  expect(result.error).toMatch(/closed|gone/i);
  const simulated = await ctl.cmd({ kind: 'simulate-receive', connectionId, encoding: 'text', payload: 'late' });
  expect(simulated.ok).toBe(false);
  expect(errors).toEqual([]);
  expect(server.received).toEqual([]);
});

test('a replay asks for the recorded subprotocols, and its connection records them', async ({ page, server, sw, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  const steps = [{ data: { encoding: 'text', payload: 'with protocols' }, delayMs: 0 }];
  expect(await ctl.cmd({ kind: 'replay', replayId: 'protocols', url: `${server.wsOrigin}/echo?replay=protocols`, protocols: ['v1', 'v2'], steps })).toMatchObject({ ok: true });
  await expect.poll(async () => (await ctl.notices()).some((n) => n.replayId === 'protocols' && n.state === 'done'), { timeout: 20_000 }).toBe(true);
  const store = await waitForStore(sw, (s) => s.connections.some((c) => c.initiator === 'replay' && c.protocol === 'v1'));
  expect(store.connections.find((c) => c.initiator === 'replay')).toMatchObject({ protocols: ['v1', 'v2'], protocol: 'v1' });
});

test('replay 20 frames from the page context with original timing and as fast as possible', async ({ page, server, sw, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  const steps = Array.from({ length: 20 }, (_, i) => ({ data: { encoding: 'text', payload: `r${i}` }, delayMs: i === 0 ? 0 : 40 }));
  expect(await ctl.cmd({ kind: 'replay', replayId: 'timed', url: `${server.wsOrigin}/echo?replay=timed`, protocols: [], steps })).toMatchObject({ ok: true });
  await expect.poll(async () => (await ctl.notices()).some((n) => n.replayId === 'timed' && n.state === 'done'), { timeout: 20_000 }).toBe(true);
  const timed = server.received.filter((m) => m.data.toString().startsWith('r'));
  expect(timed.map((m) => m.data.toString())).toEqual(steps.map((s) => s.data.payload));
  // Opened from the page's context: the server sees the page's Origin.
  expect(new Set(timed.map((m) => m.origin))).toEqual(new Set([server.origin]));

  const store = await waitForStore(sw, (s) => s.connections.some((c) => c.initiator === 'replay' && framesOf(s, c.id).filter((f) => f.dir === 'receive').length === 20));
  const replay = store.connections.find((c) => c.initiator === 'replay')!;
  const sends = framesOf(store, replay.id).filter((f) => f.dir === 'send');
  const gaps = sends.slice(1).map((f, i) => f.time - sends[i].time);
  // Generous tolerance: timers on a busy 2-core machine; the point is that gaps are kept, not collapsed.
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  expect(median).toBeGreaterThanOrEqual(35);
  expect(median).toBeLessThan(200);

  const fast = steps.map((s) => ({ ...s, data: { encoding: 'text', payload: 'f' + s.data.payload }, delayMs: 0 }));
  expect(await ctl.cmd({ kind: 'replay', replayId: 'fast', url: `${server.wsOrigin}/echo?replay=fast`, protocols: [], steps: fast })).toMatchObject({ ok: true });
  await expect.poll(async () => (await ctl.notices()).some((n) => n.replayId === 'fast' && n.state === 'done')).toBe(true);
  expect(server.received.filter((m) => m.data.toString().startsWith('fr')).map((m) => m.data.toString())).toEqual(fast.map((s) => s.data.payload));
});

test('replay can wait for a matching reply before each next frame', async ({ page, server, sw, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  const steps = ['a', 'b', 'c'].map((payload) => ({ data: { encoding: 'text', payload }, delayMs: 0 }));
  const ok = await ctl.cmd({ kind: 'replay', replayId: 'w1', url: `${server.wsOrigin}/echo`, protocols: [], steps, waitForReply: { pattern: '^[abc]$', regex: true, timeoutMs: 5000 } });
  expect(ok.ok).toBe(true);
  await expect.poll(async () => (await ctl.notices()).filter((n) => n.replayId === 'w1').map((n) => n.state)).toContain('done');
  expect((await ctl.notices()).filter((n) => n.replayId === 'w1').map((n) => n.state)).toContain('waiting');
  // A server that never answers: the replay fails with a reason instead of hanging.
  await ctl.cmd({ kind: 'replay', replayId: 'w2', url: `${server.wsOrigin}/silent`, protocols: [], steps, waitForReply: { pattern: '', regex: false, timeoutMs: 500 } });
  await expect.poll(async () => (await ctl.notices()).find((n) => n.replayId === 'w2' && n.state === 'failed')?.error).toMatch(/No matching reply/);
  expect(server.received.filter((m) => m.path === '/silent').map((m) => m.data.toString())).toEqual(['a']);
});

test('a send breakpoint holds the frame, later frames wait behind it, edit and forward keeps order', async ({ page, server, sw, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  await ctl.setRules([rule({ name: 'hold secrets', direction: 'send', pattern: 'secret' })]);
  await page.evaluate(() => {
    const ws = (window as any).ws;
    ws.send('first');
    ws.send('secret one');
    ws.send('after');
  });
  await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'held').length).toBe(1);
  const held = (await ctl.notices()).find((n) => n.kind === 'held')!;
  expect(held).toMatchObject({ dir: 'send', rule: 'hold secrets', data: { encoding: 'text', payload: 'secret one' } });
  await page.waitForTimeout(300);
  expect(server.received.map((m) => m.data.toString())).toEqual(['first']); // 'after' waits behind the held frame
  expect(await ctl.cmd({ kind: 'release', holdId: held.holdId, action: 'forward', data: { encoding: 'text', payload: 'edited one' } })).toMatchObject({ ok: true });
  await expect.poll(() => server.received.map((m) => m.data.toString())).toEqual(['first', 'edited one', 'after']);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'send').length === 3);
  const sent = framesOf(store, connectionId).filter((f) => f.dir === 'send');
  expect(sent.map((f) => [f.text, f.status, f.rule ?? null])).toEqual([['first', 'sent', null], ['edited one', 'sent', 'hold secrets'], ['after', 'sent', null]]);
});

test('a receive breakpoint holds what the page gets; drop discards it, order is kept', async ({ page, server, sw, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  await ctl.setRules([rule({ name: 'stop', direction: 'receive', pattern: 'two' })]);
  await page.evaluate(() => ['one', 'two', 'three'].forEach((m) => (window as any).ws.send(m)));
  await expect.poll(async () => (await ctl.notices()).filter((n) => n.kind === 'held').length).toBe(1);
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as any).got.map((g: any[]) => g[0]))).toEqual(['one']);
  const held = (await ctl.notices()).find((n) => n.kind === 'held')!;
  expect(await ctl.cmd({ kind: 'release', holdId: held.holdId, action: 'drop' })).toMatchObject({ ok: true });
  await expect.poll(() => page.evaluate(() => (window as any).got.map((g: any[]) => g.slice(0, 2)))).toEqual([['one', true], ['three', false]]);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).filter((f) => f.dir === 'receive').length === 3);
  expect(framesOf(store, connectionId).filter((f) => f.dir === 'receive').map((f) => [f.text, f.status])).toEqual([['one', 'sent'], ['two', 'blocked'], ['three', 'sent']]);
});

test('held frames go through unchanged after the hold timeout', async ({ page, server, sw, ext }) => {
  const { tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  await ctl.setRules([rule({ name: 'all', direction: 'send' })], 400);
  await page.evaluate(() => (window as any).ws.send('patient'));
  await expect.poll(() => server.received.map((m) => m.data.toString())).toEqual(['patient']);
  await expect.poll(async () => (await ctl.notices()).find((n) => n.kind === 'released')?.outcome).toBe('timeout');
});

test('match & replace and block rules, both directions', async ({ page, server, sw, ext }) => {
  const { connectionId, tabId } = await openLoggingPage(page, server, sw);
  const ctl = await controller(page, ext.extensionId, tabId);
  await ctl.setRules([
    rule({ name: 'no ads', action: 'block', direction: 'send', pattern: 'ad:' }),
    rule({ name: 'rename', action: 'replace', direction: 'send', pattern: 'user-(\\d+)', regex: true, replacement: 'member-$1' }),
    rule({ name: 'shout', action: 'replace', direction: 'receive', pattern: 'member', replacement: 'MEMBER' }),
    rule({ name: 'other site', action: 'block', direction: 'both', urlPattern: 'ws://elsewhere.example/*' }),
  ]);
  await page.evaluate(() => ['ad:buy', 'hello user-42', 'plain'].forEach((m) => (window as any).ws.send(m)));
  await expect.poll(() => server.received.map((m) => m.data.toString())).toEqual(['hello member-42', 'plain']);
  await expect.poll(() => page.evaluate(() => (window as any).got.map((g: any[]) => g.slice(0, 2)))).toEqual([['hello MEMBER-42', false], ['plain', true]]);
  const store = await waitForStore(sw, (s) => framesOf(s, connectionId).length === 5);
  expect(framesOf(store, connectionId).map((f) => [f.dir, f.text, f.status, f.rule ?? null])).toEqual([
    ['send', 'ad:buy', 'blocked', 'no ads'],
    ['send', 'hello member-42', 'sent', 'rename'],
    ['send', 'plain', 'sent', null],
    ['receive', 'hello MEMBER-42', 'sent', 'shout'],
    ['receive', 'plain', 'sent', null],
  ]);
  // With the rules removed, frames flow untouched again.
  await ctl.setRules([]);
  await page.evaluate(() => (window as any).ws.send('ad:again'));
  await expect.poll(() => server.received.map((m) => m.data.toString()).at(-1)).toBe('ad:again');
});
