import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { startWorker, type ConnectingPort, type WorkerBrowser } from '@/lib/worker/start-worker';
import { until } from './fixtures';
import { NAMESPACE, PORT_CAPTURE, PORT_PANEL, PROTOCOL_VERSION } from '@/lib/shared/protocol';

/** A runtime port as onConnect hands it over, with what the background posts on it. */
function runtimePortFake(name: string, sender: ConnectingPort['sender']) {
  const messageListeners = new Set<(m: unknown) => void>();
  const port = {
    name,
    sender,
    posted: [] as unknown[],
    disconnected: false,
    postMessage: (m: unknown) => void port.posted.push(m),
    onMessage: { addListener: (l: (m: unknown) => void) => void messageListeners.add(l), removeListener: (l: (m: unknown) => void) => void messageListeners.delete(l) },
    onDisconnect: { addListener: () => undefined, removeListener: () => undefined },
    disconnect: () => void (port.disconnected = true),
    deliver: (body: Record<string, unknown>) => {
      for (const l of messageListeners) l({ ns: NAMESPACE, ...body });
    },
  };
  return port;
}

function setup(answer: (tabId: number, message: unknown, options?: { frameId: number }) => Promise<unknown> = () => Promise.reject(new Error('Receiving end does not exist'))) {
  let onConnect: ((port: ConnectingPort) => void) | undefined;
  const area = () => {
    const items: Record<string, unknown> = {};
    return { get: async (key: string) => ({ [key]: items[key] }), set: async (set: Record<string, unknown>) => void Object.assign(items, set) };
  };
  const asked: unknown[] = [];
  const browser: WorkerBrowser = {
    runtime: { onConnect: { addListener: (l) => void (onConnect = l) }, getURL: () => 'chrome-extension://ours/' },
    tabs: {
      sendMessage: (tabId, message, options) => {
        asked.push(message);
        return answer(tabId, message, options);
      },
    },
    storage: { local: area(), session: area() },
  };
  startWorker(browser, () => undefined);
  const connect = (name: string, sender: ConnectingPort['sender']) => {
    const port = runtimePortFake(name, sender);
    onConnect!(port);
    return port;
  };
  return { connect, asked };
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
    expect(silent.asked).toHaveLength(3); // a frame still loading has no relay for a moment: asked three times
  });
});
