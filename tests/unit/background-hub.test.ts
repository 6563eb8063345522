import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { StoredRules } from '@/lib/worker/background-hub';
import { createWorker, type WorkerDeps } from '@/lib/worker/worker';
import { PeerPort, until } from './worker/fixtures';
import { ensureSession, listSessions, newSession, openFrameStore, setRetention, writeEvents } from '@/lib/store/frame-store';
import { DEFAULT_HOLD_TIMEOUT_MS } from '@/lib/shared/intercept-rules';
import { NAMESPACE, PROTOCOL_VERSION, type BackgroundToPanelMessage, type BackgroundToRelayMessage, type PageSessionInfo } from '@/lib/shared/protocol';


let dbCounter = 0;
function setup(options: { reachable?: boolean; topFrame?: PageSessionInfo; topFrames?: Record<number, PageSessionInfo> } = {}) {
  const db = openFrameStore(`hub-test-${++dbCounter}`);
  const woken: number[] = [];
  const saved: StoredRules[] = [];
  const errors: unknown[] = [];
  const watchChanges: Array<[number, boolean, number[]]> = [];
  const { hub, router } = createWorker({
    db: () => db,
    loadPaused: async () => [],
    savePaused: async () => undefined,
    loadRules: async () => ({ rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS }),
    saveRules: async (rules) => void saved.push(rules),
    wakeTab: async (tabId) => {
      woken.push(tabId);
      return options.reachable ?? true;
    },
    topFrameSession: async (tabId) => options.topFrames?.[tabId] ?? options.topFrame,
    watchChanged: (tabId, watched, tabs) => void watchChanges.push([tabId, watched, tabs]),
    log: (error) => void errors.push(error),
  } satisfies WorkerDeps);
  const panel = async (tabId = 5) => {
    const port = new PeerPort<BackgroundToPanelMessage>();
    hub.addPanelPort(port.port);
    port.send({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId });
    await until(() => port.of('panel-welcome').length === 1, 'panel welcome');
    return port;
  };
  const relay = (tabId = 5) => {
    const port = new PeerPort<BackgroundToRelayMessage>();
    router.addCapturePort(port.port, tabId);
    return port;
  };
  /** A top frame's relay of tab 5, said hello and welcomed. */
  const welcomedRelay = async () => {
    const port = relay();
    port.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId: 'page', topLevel: true, pageUrl: 'https://a.test/', title: '' });
    await until(() => port.of('welcome').length === 1, 'welcome');
    return port;
  };
  return { hub, router, db, woken, saved, errors, panel, relay, welcomedRelay, watchChanges };
}

const sendCommand = { kind: 'send', connectionId: 'c1', encoding: 'text', payload: 'hi' } as const;

describe('the background: panels, commands to pages, retention', () => {
  it('a command for a tab whose relays have no port wakes them, and goes to each relay welcomed while it waits, once', async () => {
    const t = setup();
    const panel = await t.panel();
    panel.send({ type: 'page-command', tabId: 5, requestId: 'r1', command: sendCommand });
    await until(() => t.woken.length === 1, 'wake');
    expect(t.woken).toEqual([5]);
    expect(panel.of('command-result')).toEqual([]); // waiting for the woken relays, not failed
    const relay = t.relay();
    relay.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId: 'page', topLevel: true, pageUrl: 'https://a.test/', title: '' });
    await until(() => relay.of('command').length === 1, 'command after welcome');
    expect(relay.posted.map((m) => m.type)).toEqual(['welcome', 'command']);
    expect(relay.of('command')[0]).toMatchObject({ requestId: 'r1', command: sendCommand });
    // Another relay of the tab (a subframe) welcomed later gets it too; a relay of another tab does not.
    const sub = t.relay();
    sub.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, topLevel: false, pageUrl: 'https://a.test/f', title: '' });
    const other = t.relay(6);
    other.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId: 'other', topLevel: true, pageUrl: 'https://b.test/', title: '' });
    await until(() => sub.of('command').length === 1 && other.of('welcome').length === 1, 'subframe command');
    expect(other.of('command')).toEqual([]);
    relay.send({ type: 'command-result', requestId: 'r1', ok: true });
    await until(() => panel.of('command-result').length === 1, 'result');
    expect(panel.of('command-result')[0]).toMatchObject({ requestId: 'r1', ok: true });
    // Answered: a relay welcomed after that is not handed it again.
    const late = await t.welcomedRelay();
    expect(late.of('command')).toEqual([]);
  });

  it('a relay already connected gets the command at once, and the tab is still woken for frames without a port', async () => {
    const t = setup();
    const panel = await t.panel();
    const relay = await t.welcomedRelay();
    panel.send({ type: 'page-command', tabId: 5, requestId: 'r2', command: sendCommand });
    await until(() => relay.of('command').length === 1 && t.woken.length === 1, 'command');
  });

  it('a command for a tab no relay can be reached in fails at once with a clear message', async () => {
    const t = setup({ reachable: false });
    const panel = await t.panel();
    panel.send({ type: 'page-command', tabId: 5, requestId: 'r3', command: sendCommand });
    await until(() => panel.of('command-result').length === 1, 'result');
    expect(panel.of('command-result')[0]).toMatchObject({ requestId: 'r3', ok: false, error: expect.stringMatching(/not connected/) });
  });

  it('tells a panel which session its tab\'s page writes into, as the top frame says', async () => {
    const t = setup({ topFrame: { sessionId: 'now', pageUrl: 'https://a.test/', title: '', startedAt: 1 } });
    const panel = await t.panel();
    panel.send({ type: 'page-session-query' });
    await until(() => panel.of('page-session').length === 1, 'answer');
    expect(panel.of('page-session')[0]).toEqual({ ns: NAMESPACE, type: 'page-session', tabId: 5, sessionId: 'now' });
    const none = setup();
    const lonely = await none.panel();
    lonely.send({ type: 'page-session-query' });
    await until(() => lonely.of('page-session').length === 1, 'answer');
    expect(lonely.of('page-session')[0].sessionId).toBeNull();
  });

  it('saves rules for the relays to read from storage, and tells every panel; relays get none on their port', async () => {
    const t = setup();
    const panel = await t.panel();
    const relay = await t.welcomedRelay();
    const rule = { id: 'r', name: 'n', enabled: true, action: 'block', direction: 'send', urlPattern: '', pattern: 'x', regex: false, replacement: '' };
    panel.send({ type: 'set-rules', rules: [rule], holdTimeoutMs: 1000 });
    await until(() => panel.of('rules').length === 1, 'rules note');
    expect(t.saved).toEqual([{ rules: [rule], holdTimeoutMs: 1000 }]);
    expect(relay.of('command')).toEqual([]);
  });

  it('retention spares the session a tab\'s page is still on, though the page\'s relay has no port open', async () => {
    const seed = async (t: ReturnType<typeof setup>) => {
      const db = await t.db;
      await setRetention(db, { maxSessions: 1, maxBytes: Number.MAX_SAFE_INTEGER });
      for (const [id, tabId, startedAt] of [['open-page', 5, 1], ['closed-tab', 6, 2]] as const) {
        await ensureSession(db, newSession({ id, tabId, pageUrl: 'https://a.test/', startedAt }));
        await writeEvents(db, id, 'https://a.test/', [
          { k: 'connect', connectionId: `${id}-c`, url: 'wss://a.test/', protocols: [], frameUrl: '', time: startedAt },
          { k: 'frame', connectionId: `${id}-c`, seq: 1, time: startedAt, dir: 'send', opcode: 1, encoding: 'text', payload: 'x', size: 1, origin: 'page', status: 'sent' },
        ]);
      }
      return db;
    };
    // Tab 5's page is still on its session (its top frame says so): the oldest session stays, the other goes.
    const open = setup({ topFrames: { 5: { sessionId: 'open-page', pageUrl: 'https://a.test/', title: '', startedAt: 1 } } });
    const db = await seed(open);
    expect(await open.router.retention.enforce()).toEqual(['closed-tab']);
    expect((await listSessions(db)).map((s) => s.id)).toEqual(['open-page']);
    // No page answers: the oldest goes, as before.
    const gone = setup();
    await seed(gone);
    expect(await gone.router.retention.enforce()).toEqual(['open-page']);
  });
});
