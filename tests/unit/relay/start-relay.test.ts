import { describe, expect, it } from 'vitest';
import { startRelay, type RelayBrowser } from '@/lib/relay/start-relay';
import { NAMESPACE, PORT_CAPTURE, PORT_EVENT, RELAY_READY_EVENT, type RelayToBackgroundMessage } from '@/lib/shared/protocol';
import { RULES_STORAGE_KEY } from '@/lib/shared/intercept-rules';
import type { RuntimePortLike } from '@/lib/shared/transport';

/** The extension APIs the relay uses, faked: connects are recorded, messages and storage changes can be raised. */
function fakeBrowser(stored: Record<string, unknown> = {}) {
  const connects: string[] = [];
  const posted: RelayToBackgroundMessage[] = [];
  let onMessage: Parameters<RelayBrowser['runtime']['onMessage']['addListener']>[0] | undefined;
  let onChanged: Parameters<RelayBrowser['storage']['onChanged']['addListener']>[0] | undefined;
  const listeners = { addListener: () => undefined, removeListener: () => undefined };
  const browser: RelayBrowser = {
    runtime: {
      id: 'our-extension',
      connect: ({ name }): RuntimePortLike => {
        connects.push(name);
        return { postMessage: (m) => void posted.push(m as RelayToBackgroundMessage), onMessage: listeners, onDisconnect: listeners, disconnect: () => undefined };
      },
      onMessage: { addListener: (l) => void (onMessage = l) },
    },
    storage: {
      local: { get: async (key) => ({ [key]: stored[key] }) },
      onChanged: { addListener: (l) => void (onChanged = l) },
    },
  };
  return { browser, connects, posted, message: (data: unknown, id = 'our-extension') => onMessage!(data, { id }), change: (c: Record<string, { newValue?: unknown }>, area: string) => onChanged!(c, area) };
}

/**
 * A top-level window stand-in. With `hook`, the hook's side of the hand-over answers the relay's ready with a port
 * whose messages land in `hook`; without, no port is handed over (the relay keeps what it posts for the hook).
 */
function fakeWindow(hook?: { received: unknown[]; channel?: MessageChannel }): Window {
  const target = new EventTarget() as EventTarget & { top: unknown; location: { href: string }; document: { title: string } };
  if (hook) {
    const channel = (hook.channel = new MessageChannel());
    channel.port1.onmessage = (e) => hook.received.push(e.data);
    target.addEventListener(RELAY_READY_EVENT, () => target.dispatchEvent(Object.assign(new Event(PORT_EVENT, { cancelable: true }), { ports: [channel.port2] })));
  }
  target.top = target;
  target.location = { href: 'https://example.test/' };
  target.document = { title: 'Example' };
  return target as unknown as Window;
}

describe('startRelay', () => {
  it('answers the background\'s wake by connecting, and the top frame\'s session-query without connecting', async () => {
    const b = fakeBrowser();
    startRelay({ browser: b.browser, window: fakeWindow(), cloneFromPage: false });
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
    startRelay({ browser: b.browser, window: fakeWindow(), cloneFromPage: false });
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
});
