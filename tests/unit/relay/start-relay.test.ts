import { describe, expect, it } from 'vitest';
import { startRelay, type RelayBrowser } from '@/lib/relay/start-relay';
import { HANDOVER_EVENT_TYPE, HOOK_PORT_DATA, NAMESPACE, PORT_CAPTURE, RELAY_READY_DATA, type RelayToBackgroundMessage } from '@/lib/shared/protocol';
import { RULES_STORAGE_KEY, WATCHED_TABS_STORAGE_KEY } from '@/lib/shared/intercept-rules';
import type { RuntimePortLike } from '@/lib/shared/transport';

/** The extension APIs the relay uses, faked: connects are recorded, messages and storage changes can be raised. */
function fakeBrowser(stored: Record<string, unknown> = {}, watchAnswer = false) {
  const connects: string[] = [];
  const queries: unknown[] = [];
  const posted: RelayToBackgroundMessage[] = [];
  let onMessage: Parameters<RelayBrowser['runtime']['onMessage']['addListener']>[0] | undefined;
  let onChanged: Parameters<RelayBrowser['storage']['onChanged']['addListener']>[0] | undefined;
  const listeners = { addListener: () => undefined, removeListener: () => undefined };
  const portListeners: Array<(m: unknown) => void> = [];
  const browser: RelayBrowser = {
    runtime: {
      id: 'our-extension',
      connect: ({ name }): RuntimePortLike => {
        connects.push(name);
        return {
          postMessage: (m) => void posted.push(m as RelayToBackgroundMessage),
          onMessage: { addListener: (l: (m: unknown) => void) => void portListeners.push(l), removeListener: () => undefined },
          onDisconnect: listeners,
          disconnect: () => undefined,
        };
      },
      onMessage: { addListener: (l) => void (onMessage = l) },
      sendMessage: async (m) => {
        queries.push(m);
        return watchAnswer;
      },
    },
    storage: {
      local: { get: async (keys) => Object.fromEntries(keys.map((key) => [key, stored[key]])) },
      onChanged: { addListener: (l) => void (onChanged = l) },
    },
  };
  const deliverWelcome = async () => {
    await new Promise((resolve) => setTimeout(resolve, 0));
    for (const l of portListeners) l({ ns: NAMESPACE, type: 'welcome', protocolVersion: 1, sessionId: 's' });
  };
  return { browser, connects, posted, queries, deliverWelcome, message: (data: unknown, id = 'our-extension') => onMessage!(data, { id }), change: (c: Record<string, { newValue?: unknown }>, area: string) => onChanged!(c, area) };
}

/**
 * A top-level window stand-in. With `hook`, the hook's side of the hand-over answers the relay's ready with a port
 * whose messages land in `hook`; without, no port is handed over (the relay keeps what it posts for the hook).
 */
function fakeWindow(hook?: { received: unknown[]; channel?: MessageChannel }, href = 'https://example.test/'): Window {
  const target = new EventTarget() as EventTarget & { top: unknown; location: { href: string; origin: string }; document: EventTarget & { title: string } };
  const document = Object.assign(new EventTarget(), { title: 'Example' });
  if (hook) {
    const channel = (hook.channel = new MessageChannel());
    channel.port1.onmessage = (e) => {
      if ((e.data as { type?: string }).type !== 'last-words-token') hook.received.push(e.data); // the first message
    };
    document.addEventListener(HANDOVER_EVENT_TYPE, (e) => {
      if ((e as MessageEvent).data === RELAY_READY_DATA) document.dispatchEvent(Object.assign(new Event(HANDOVER_EVENT_TYPE, { cancelable: true }), { data: HOOK_PORT_DATA, ports: [channel.port2] }));
    });
  }
  target.top = target;
  target.location = { href, origin: new URL(href).origin };
  target.document = document;
  return target as unknown as Window;
}

describe('startRelay', () => {
  it('answers the background\'s wake by connecting, and the top frame\'s session-query without connecting', async () => {
    const b = fakeBrowser();
    startRelay({ browser: b.browser, window: fakeWindow({ received: [] }), cloneFromPage: false });
    const info = (await b.message({ ns: NAMESPACE, type: 'session-query' })) as { sessionId: string; pageUrl: string; title: string };
    expect(info).toMatchObject({ pageUrl: 'https://example.test/', title: 'Example' });
    expect(typeof info.sessionId).toBe('string');
    expect(b.connects).toEqual([]);
    expect(await b.message({ ns: NAMESPACE, type: 'wake' })).toBe(true);
    expect(b.connects).toEqual([PORT_CAPTURE]);
    expect(b.posted[0]).toMatchObject({ type: 'hello', sessionId: info.sessionId, topLevel: true });
  });

  it('ignores messages from anyone but this extension, and without our namespace', () => {
    const b = fakeBrowser();
    startRelay({ browser: b.browser, window: fakeWindow({ received: [] }), cloneFromPage: false });
    expect(b.message({ ns: NAMESPACE, type: 'wake' }, 'another-extension')).toBeUndefined();
    expect(b.message({ type: 'wake' })).toBeUndefined();
    expect(b.connects).toEqual([]);
  });

  it('reads the rules from storage at start and when they change, never from the port', async () => {
    const rule = { id: 'r', name: 'n', enabled: true, direction: 'send', urlPattern: '', pattern: 'x', regex: false, action: 'block', replacement: '' };
    const b = fakeBrowser({ [RULES_STORAGE_KEY]: { rules: [rule], holdTimeoutMs: 1000 } });
    const hook = { received: [] as unknown[], channel: undefined as MessageChannel | undefined };
    startRelay({ browser: b.browser, window: fakeWindow(hook), cloneFromPage: false });
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    await settle();
    // A change to other keys or areas is not a rules change.
    b.change({ other: { newValue: 1 } }, 'local');
    b.change({ [RULES_STORAGE_KEY]: { newValue: { rules: [] } } }, 'sync');
    b.change({ [RULES_STORAGE_KEY]: { newValue: { rules: [] } } }, 'local');
    await settle();
    hook.channel!.port1.close();
    const commands = hook.received.map((m) => (m as { command: { kind: string; rules: unknown[] } }).command);
    expect(commands.map((c) => [c.kind, c.rules.length])).toEqual([['set-rules', 1], ['set-rules', 0]]);
    expect(b.connects).toEqual([]);
  });

  it('reports a frame whose hook handed over no port as a capture gap, under its own URL', async () => {
    const b = fakeBrowser();
    startRelay({ browser: b.browser, window: fakeWindow(undefined, 'https://framed.test/x?y'), cloneFromPage: false });
    expect(b.connects).toEqual([PORT_CAPTURE]); // it has something to say
    await b.deliverWelcome();
    expect(b.posted.find((m) => m.type === 'capture-gap')).toMatchObject({ reason: 'hand-over-failed', frameUrl: 'https://framed.test/x?y' });
  });

  it('takes breakpoints only while a panel may watch: none when no tab is watched, asks when some are, follows panel-watch', async () => {
    const bp = { id: 'b', name: 'bp', enabled: true, direction: 'both', urlPattern: '', pattern: '', regex: false, action: 'breakpoint', replacement: '' };
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    const given = (hook: { received: unknown[] }) => hook.received.map((m) => (m as { command: { rules: Array<{ rule: { id: string } }> } }).command.rules.map((r) => r.rule.id));
    // No panel anywhere: nothing asked, no breakpoint given.
    const none = fakeBrowser({ [RULES_STORAGE_KEY]: { rules: [bp] } });
    const noneHook = { received: [] as unknown[] };
    startRelay({ browser: none.browser, window: fakeWindow(noneHook), cloneFromPage: false });
    await settle();
    expect(none.queries).toEqual([]);
    expect(given(noneHook)).toEqual([]);
    // Some tab watched, not this one: given at once (a reloaded page under a panel breaks on its first frame), then lifted.
    const other = fakeBrowser({ [RULES_STORAGE_KEY]: { rules: [bp] }, [WATCHED_TABS_STORAGE_KEY]: [9] }, false);
    const otherHook = { received: [] as unknown[] };
    startRelay({ browser: other.browser, window: fakeWindow(otherHook), cloneFromPage: false });
    await settle();
    expect(other.queries).toEqual([{ ns: NAMESPACE, type: 'watch-query' }]);
    expect(given(otherHook)).toEqual([['b'], []]);
    // The background says a panel opened on this tab, then closed.
    other.message({ ns: NAMESPACE, type: 'panel-watch', watched: true });
    other.message({ ns: NAMESPACE, type: 'panel-watch', watched: false });
    await settle();
    expect(given(otherHook)).toEqual([['b'], [], ['b'], []]);
  });
});
