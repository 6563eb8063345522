import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { startWorker, type ConnectingPort, type WorkerBrowser } from '@/lib/worker/start-worker';
import { until } from './fixtures';
import { NAMESPACE, PORT_CAPTURE, PORT_PANEL, PROTOCOL_VERSION } from '@/lib/shared/protocol';
import { WATCHED_TABS_STORAGE_KEY } from '@/lib/shared/intercept-rules';
import type { WireEvent } from '@/lib/shared/protocol';
import { packWireEvents } from '@/lib/shared/packed-batch';
import { listConnections, openFrameStore } from '@/lib/store/frame-store';
import type { SweepMemory } from '@/lib/worker/gone-tabs';

/** A runtime port as onConnect hands it over, with what the background posts on it. */
function runtimePortFake(name: string, sender: ConnectingPort['sender']) {
  const messageListeners = new Set<(m: unknown) => void>();
  const disconnectListeners = new Set<() => void>();
  const port = {
    name,
    sender,
    posted: [] as unknown[],
    disconnected: false,
    postMessage: (m: unknown) => void port.posted.push(m),
    onMessage: { addListener: (l: (m: unknown) => void) => void messageListeners.add(l), removeListener: (l: (m: unknown) => void) => void messageListeners.delete(l) },
    onDisconnect: { addListener: (l: () => void) => void disconnectListeners.add(l), removeListener: (l: () => void) => void disconnectListeners.delete(l) },
    disconnect: () => void (port.disconnected = true),
    /** The other end went away. */
    drop: () => {
      for (const l of disconnectListeners) l();
    },
    deliver: (body: Record<string, unknown>) => {
      for (const l of messageListeners) l({ ns: NAMESPACE, ...body });
    },
  };
  return port;
}

function setup(answer: (tabId: number, message: unknown, options?: { frameId: number }) => Promise<unknown> = () => Promise.reject(new Error('Receiving end does not exist'))) {
  let onConnect: ((port: ConnectingPort) => void) | undefined;
  let onMessage: Parameters<WorkerBrowser['runtime']['onMessage']['addListener']>[0] | undefined;
  const area = () => {
    const items: Record<string, unknown> = {};
    return { items, get: async (key: string) => ({ [key]: items[key] }), set: async (set: Record<string, unknown>) => void Object.assign(items, set) };
  };
  const asked: unknown[] = [];
  let onRemoved: ((tabId: number) => void) | undefined;
  const tabs = new Set<number>();
  const browser: WorkerBrowser = {
    runtime: {
      id: 'ours',
      onConnect: { addListener: (l) => void (onConnect = l) },
      onMessage: { addListener: (l) => void (onMessage = l) },
      getURL: () => 'chrome-extension://ours/',
    },
    tabs: {
      sendMessage: (tabId, message, options) => {
        asked.push(message);
        return answer(tabId, message, options);
      },
      get: async (tabId) => {
        if (!tabs.has(tabId)) throw new Error(`No tab with id: ${tabId}.`);
        return { id: tabId };
      },
      onRemoved: { addListener: (l) => void (onRemoved = l) },
    },
    storage: { local: area(), session: area() },
  };
  const worker = startWorker(browser, () => undefined);
  const connect = (name: string, sender: ConnectingPort['sender']) => {
    const port = runtimePortFake(name, sender);
    onConnect!(port);
    return port;
  };
  const ask = (data: unknown, sender: { id?: string; tab?: { id?: number } }) => onMessage!(data, sender);
  const removeTab = (tabId: number) => {
    tabs.delete(tabId);
    onRemoved!(tabId);
  };
  return { connect, asked, ask, worker, tabs, removeTab, local: browser.storage.local as ReturnType<typeof area>, session: browser.storage.session as ReturnType<typeof area> };
}


describe('startWorker', () => {
  it('refuses a capture port the browser names no tab for', () => {
    const t = setup();
    expect(t.connect(PORT_CAPTURE, {}).disconnected).toBe(true);
    expect(t.connect(PORT_CAPTURE, { tab: { id: -1 } }).disconnected).toBe(true);
    expect(t.connect(PORT_CAPTURE, { tab: { id: 4 } }).disconnected).toBe(false);
  });

  it('refuses a panel port opened from a web page, and welcomes one from the extension\'s own pages', async () => {
    const t = setup();
    expect(t.connect(PORT_PANEL, { tab: { id: 4 }, url: 'https://evil.test/' }).disconnected).toBe(true);
    const panel = t.connect(PORT_PANEL, { tab: { id: 9 }, url: 'chrome-extension://ours/panel.html' });
    expect(panel.disconnected).toBe(false);
    panel.deliver({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: 4 });
    await until(() => panel.posted.length === 1, 'welcome');
    expect(panel.posted[0]).toMatchObject({ type: 'panel-welcome', tabId: 4, paused: false });
  });

  it('asks the tab\'s top frame which session its page is on, and a tab no relay answers in has none', async () => {
    const t = setup(async (_tabId, message, options) => ((message as { type: string }).type === 'session-query' && options?.frameId === 0 ? { sessionId: 'now' } : undefined));
    const panel = t.connect(PORT_PANEL, {});
    panel.deliver({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: 4 });
    panel.deliver({ type: 'page-session-query' });
    await until(() => panel.posted.length === 2, 'answer');
    expect(panel.posted[1]).toMatchObject({ type: 'page-session', tabId: 4, sessionId: 'now' });
    const silent = setup();
    const lonely = silent.connect(PORT_PANEL, {});
    lonely.deliver({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: 4 });
    lonely.deliver({ type: 'page-session-query' });
    await until(() => lonely.posted.length === 2, 'answer');
    expect(lonely.posted[1]).toMatchObject({ sessionId: null });
    // a frame still loading has no relay for a moment: asked three times (besides the panel-watch told at hello)
    expect(silent.asked.filter((m) => (m as { type: string }).type === 'session-query')).toHaveLength(3);
  });

  it('tells a tab\'s relays when its first panel opens and its last closes, lists watched tabs in storage, and answers a relay\'s watch-query for its own tab only', async () => {
    const t = setup();
    const a = t.connect(PORT_PANEL, {});
    a.deliver({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: 4 });
    await until(() => a.posted.length === 1, 'welcome');
    const b = t.connect(PORT_PANEL, {});
    b.deliver({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId: 4 });
    await until(() => b.posted.length === 1, 'welcome');
    const watch = () => t.asked.filter((m) => (m as { type: string }).type === 'panel-watch');
    expect(watch()).toEqual([{ ns: NAMESPACE, type: 'panel-watch', watched: true }]); // once, for the first panel
    expect(t.local.items[WATCHED_TABS_STORAGE_KEY]).toEqual([4]);
    const query = { ns: NAMESPACE, type: 'watch-query' };
    expect(await t.ask(query, { id: 'ours', tab: { id: 4 } })).toBe(true);
    expect(await t.ask(query, { id: 'ours', tab: { id: 5 } })).toBe(false);
    expect(t.ask(query, { id: 'another-extension', tab: { id: 4 } })).toBeUndefined();
    expect(t.ask(query, { id: 'ours' })).toBeUndefined();
    a.drop();
    expect(watch()).toHaveLength(1); // another panel still watches tab 4
    b.drop();
    expect(watch()).toEqual([{ ns: NAMESPACE, type: 'panel-watch', watched: true }, { ns: NAMESPACE, type: 'panel-watch', watched: false }]);
    expect(t.local.items[WATCHED_TABS_STORAGE_KEY]).toEqual([]);
    expect(await t.ask(query, { id: 'ours', tab: { id: 4 } })).toBe(false);
  });
});

describe('startWorker: tabs that go away', () => {
  const until2 = async (check: () => Promise<boolean>, what: string) => {
    for (let i = 0; i < 200; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('a removed tab (tabs.onRemoved) ends its connections as page-closed, and storage.session remembers it as swept', async () => {
    const t = setup();
    t.tabs.add(4);
    const relay = t.connect(PORT_CAPTURE, { tab: { id: 4 } });
    relay.deliver({ type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId: 'removed-tab', topLevel: true, pageUrl: 'https://a.test/', title: 'A' });
    await until(() => relay.posted.length === 1, 'welcome');
    const connect: WireEvent = { k: 'connect', connectionId: 'rc1', url: 'wss://a.test/', protocols: [], frameUrl: 'https://a.test/', time: Date.now() };
    relay.deliver({ type: 'batch', batchSeq: 1, packed: packWireEvents([connect]) });
    await until(() => relay.posted.length === 2, 'ack');
    const before = Date.now();
    t.removeTab(4);
    const db = await openFrameStore();
    await until2(async () => (await listConnections(db, 'removed-tab'))[0]?.state === 'closed', 'ended');
    const [connection] = await listConnections(db, 'removed-tab');
    expect(connection.pageGone?.reason).toBe('page-closed');
    expect(connection.pageGone!.time).toBeGreaterThanOrEqual(before);
    await until2(async () => ((t.session.items.goneTabs as SweepMemory | undefined)?.sweptTabs ?? []).includes(4), 'remembered');
    // the relay's port then drops (the tab is gone): it does not turn the connection into a crash
    relay.drop();
    await new Promise((r) => setTimeout(r, 50));
    expect((await listConnections(db, 'removed-tab'))[0].pageGone?.reason).toBe('page-closed');
  });
});

describe('handshake capture follows the permission', () => {
  /** A browser whose webRequest appears and goes with the permission, as optional permissions do. */
  function permissionBrowser(grantedAtStart: boolean) {
    const added: Array<() => void> = [];
    const removed: Array<() => void> = [];
    const listeners = new Set<unknown>();
    const event = { addListener: (l: unknown) => void listeners.add(l), removeListener: (l: unknown) => void listeners.delete(l) };
    const webRequest = { onSendHeaders: event, onHeadersReceived: event, onCompleted: event, onErrorOccurred: event };
    const area = { get: async () => ({}), set: async () => undefined };
    const state = { granted: grantedAtStart };
    const browser: WorkerBrowser = {
      runtime: { id: 'ours', onConnect: { addListener: () => undefined }, onMessage: { addListener: () => undefined }, getURL: () => 'chrome-extension://ours/' },
      tabs: { sendMessage: () => Promise.reject(new Error('none')), get: async () => ({}), onRemoved: { addListener: () => undefined } },
      storage: { local: area, session: area },
      get webRequest() {
        return state.granted ? webRequest : undefined;
      },
      permissions: {
        contains: async () => state.granted,
        onAdded: { addListener: (l) => void added.push(l) },
        onRemoved: { addListener: (l) => void removed.push(l) },
      },
    };
    return { browser, state, listeners, grant: () => ((state.granted = true), added.forEach((l) => l())), revoke: () => ((state.granted = false), removed.forEach((l) => l())) };
  }

  it('listens from the first task when granted before, from the grant when granted later, and stops when taken back', async () => {
    const before = permissionBrowser(true);
    expect(startWorker(before.browser, () => undefined).handshakes.active).toBe(true); // synchronously: the event wakes the worker
    expect(before.listeners.size).toBe(3); // headers sent, headers received, and one for completed and failed

    const later = permissionBrowser(false);
    const worker = startWorker(later.browser, () => undefined);
    expect(worker.handshakes.active).toBe(false);
    later.grant();
    await until(() => worker.handshakes.active);
    later.revoke();
    await until(() => !worker.handshakes.active);
    expect(later.listeners.size).toBe(0);
  });
});
