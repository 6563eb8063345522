import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createWorker } from '@/lib/worker/worker';
import { GoneTabs, type SweepMemory } from '@/lib/worker/gone-tabs';
import { PeerPort, until } from './fixtures';
import { ensureSession, listConnections, newSession, openFrameStore, writeEvents, type InspectorDatabase } from '@/lib/store/frame-store';
import { PROTOCOL_VERSION, type BackgroundToPanelMessage, type BackgroundToRelayMessage, type WireEvent } from '@/lib/shared/protocol';
import { packWireEvents } from '@/lib/shared/packed-batch';
import { DEFAULT_HOLD_TIMEOUT_MS } from '@/lib/shared/intercept-rules';

let dbCounter = 0;
const connect = (id: string, time = 100): WireEvent => ({ k: 'connect', connectionId: id, url: 'wss://a.test/', protocols: [], frameUrl: 'https://a.test/', time });

/** A worker with tabs that exist until removed, and the sweep's memory as storage.session keeps it. */
async function setup(options: { tabs?: number[]; memory?: SweepMemory; db?: InspectorDatabase } = {}) {
  const db = options.db ?? (await openFrameStore(`gone-tabs-${++dbCounter}`));
  const tabs = new Set(options.tabs ?? [7]);
  const asked: number[] = [];
  const store = { memory: options.memory };
  const errors: unknown[] = [];
  const worker = createWorker({
    db: async () => db,
    loadPaused: async () => [],
    savePaused: async () => undefined,
    loadRules: async () => ({ rules: [], holdTimeoutMs: DEFAULT_HOLD_TIMEOUT_MS }),
    saveRules: async () => undefined,
    wakeTab: async () => true,
    topFrameSession: async () => undefined,
    watchChanged: () => undefined,
    tabExists: async (tabId) => {
      asked.push(tabId);
      return tabs.has(tabId);
    },
    loadSweepMemory: async () => store.memory,
    saveSweepMemory: async (memory) => void (store.memory = memory),
    log: (error) => void errors.push(error),
  });
  // The tab's panels hear of what changed (a panel of tab 7 and one of tab 8).
  const panels: Array<[number, PeerPort<BackgroundToPanelMessage>]> = [];
  for (const tabId of [7, 8]) {
    const panel = new PeerPort<BackgroundToPanelMessage>();
    worker.hub.addPanelPort(panel.port);
    panel.send({ type: 'panel-hello', protocolVersion: PROTOCOL_VERSION, tabId });
    await until(() => panel.posted.length > 0, 'panel welcome');
    panels.push([tabId, panel]);
  }
  const heard = () => panels.flatMap(([tabId, panel]) => panel.of('stored').map((m): [number, string[]] => [tabId, m.connectionIds]));
  /** What panels heard was stored since the last relay stored its batch. */
  let seen = 0;
  const stored = () => heard().slice(seen);
  /** A relay of `tabId`, welcomed into `sessionId`, that stored `events`. */
  const relay = async (sessionId: string, events: WireEvent[], tabId = 7) => {
    const port = new PeerPort<BackgroundToRelayMessage>();
    worker.router.addCapturePort(port.port, tabId);
    port.send({ type: 'hello', protocolVersion: PROTOCOL_VERSION, sessionId, topLevel: true, pageUrl: 'https://a.test/', title: 'A' });
    await until(() => port.of('welcome').length === 1, 'welcome');
    port.send({ type: 'batch', batchSeq: 1, packed: packWireEvents(events) });
    await until(() => port.of('ack').length === 1, 'ack');
    await until(() => heard().length > seen, 'stored notice');
    seen = heard().length;
    return port;
  };
  const remove = (tabId: number, time: number) => {
    tabs.delete(tabId);
    return worker.tabRemoved(tabId, time);
  };
  const connection = async (sessionId: string, id: string) => (await listConnections(db, sessionId)).find((c) => c.id === id);
  return { db, tabs, asked, store, stored, errors, worker, relay, remove, connection };
}

const settle = (ms = 50) => new Promise((r) => setTimeout(r, ms));

describe('tabs removed (Chromium drops a closing tab\'s goodbye)', () => {
  it('a port that drops with no goodbye, then its tab is removed: page-closed at the removal time, not crashed', async () => {
    const t = await setup();
    const port = await t.relay('s1', [connect('c1')]);
    port.drop();
    await settle(20);
    await t.remove(7, 5000);
    await until(() => t.stored().length > 0, 'ended');
    await settle();
    expect(await t.connection('s1', 'c1')).toMatchObject({ state: 'closed', closedAt: 5000, pageGone: { reason: 'page-closed', time: 5000 } });
    expect(t.errors).toEqual([]);
  });

  it('the tab removed first, then its port drops: page-closed, and the drop does not turn it into a crash', async () => {
    const t = await setup();
    const port = await t.relay('s1', [connect('c1')]);
    await t.remove(7, 6000);
    port.drop();
    await settle();
    expect(await t.connection('s1', 'c1')).toMatchObject({ state: 'closed', pageGone: { reason: 'page-closed', time: 6000 } });
    expect(t.stored().filter(([tab]) => tab === 7)).toEqual([[7, ['c1']]]); // ended once, its tab's panels told
  });

  it('a drop whose tab stays (a renderer crash) is still a crash, after the moment it waits for a removal', async () => {
    const t = await setup();
    const port = await t.relay('s1', [connect('c1')]);
    port.drop();
    await settle(300);
    expect((await t.connection('s1', 'c1'))?.state).toBe('connecting'); // waiting for a removal
    await until(() => t.stored().length > 0, 'ended');
    expect(t.stored()).toEqual([[7, ['c1']]]);
    expect(await t.connection('s1', 'c1')).toMatchObject({ state: 'closed', pageGone: { reason: 'crashed' } });
  });

  it('a removed tab\'s connections stored by an earlier background (no relay connected now) are ended too, with what was stored kept', async () => {
    const db = await openFrameStore(`gone-tabs-${++dbCounter}`);
    await ensureSession(db, newSession({ id: 'earlier', tabId: 7, pageUrl: 'https://a.test/', startedAt: 50 }));
    await writeEvents(db, 'earlier', 'https://a.test/', [
      connect('open'),
      { k: 'frame', connectionId: 'open', seq: 1, time: 120, dir: 'send', opcode: 1, encoding: 'text', payload: 'kept', size: 4, origin: 'page', status: 'sent' },
      connect('done'),
      { k: 'close', connectionId: 'done', seq: 1, time: 150, code: 1000, reason: '', wasClean: true },
    ]);
    await ensureSession(db, newSession({ id: 'other-tab', tabId: 8, pageUrl: 'https://b.test/', startedAt: 50 }));
    await writeEvents(db, 'other-tab', 'https://b.test/', [connect('elsewhere')]);
    const t = await setup({ db, tabs: [7, 8], memory: { runStartedAt: 10, previousRunSwept: true, sweptTabs: [] } });
    await t.remove(7, 7000);
    expect(await t.connection('earlier', 'open')).toMatchObject({ state: 'closed', sentCount: 1, pageGone: { reason: 'page-closed', time: 7000 } });
    expect((await t.connection('earlier', 'done'))?.pageGone).toBeUndefined();
    expect((await t.connection('other-tab', 'elsewhere'))?.state).toBe('connecting');
    expect(t.stored()).toEqual([[7, ['open']]]);
    expect(t.store.memory?.sweptTabs).toEqual([7]);
  });
});

describe('the sweep at start', () => {
  async function seeded() {
    const db = await openFrameStore(`gone-tabs-${++dbCounter}`);
    const session = async (id: string, tabId: number | null, startedAt: number, lastActivity = startedAt) => {
      await ensureSession(db, { ...newSession({ id, tabId, pageUrl: 'https://a.test/', startedAt }), lastActivity });
      await writeEvents(db, id, 'https://a.test/', [connect(`${id}-c`, startedAt + 1)]);
    };
    await session('previous-run', 7, 100, 150); // before this run began (tab 7 is another tab now)
    await session('gone', 8, 2000); // this run, its tab gone while the background was stopped
    await session('here', 7, 2100); // this run, its tab still there
    await session('imported', null, 2200); // no tab: never swept
    return db;
  }

  it('on a run\'s first start, ends what the run before left open, each at its session\'s last activity', async () => {
    const db = await seeded();
    const t = await setup({ db, tabs: [7] }); // nothing in storage.session yet
    await t.worker.sweep();
    expect(t.store.memory!.runStartedAt).toBeGreaterThan(2200);
    expect(t.store.memory!.previousRunSwept).toBe(true);
    expect(await t.connection('previous-run', 'previous-run-c')).toMatchObject({ state: 'closed', closedAt: 150, pageGone: { reason: 'crashed', time: 150 } });
    expect(await t.connection('here', 'here-c')).toMatchObject({ state: 'closed', pageGone: { reason: 'crashed', time: 2101 } }); // its last frame
    expect((await t.connection('imported', 'imported-c'))?.state).toBe('connecting');
    expect(t.stored().filter(([tab]) => tab === 7)).toEqual([[7, ['previous-run-c']], [7, ['here-c']]]);
  });

  it('on a later start, ends as crashed (now) what tabs gone since left open, once per tab', async () => {
    const db = await seeded();
    // This run began at 1000: 'gone' and 'here' are its sessions.
    let t = await setup({ db, tabs: [7], memory: { runStartedAt: 1000, previousRunSwept: true, sweptTabs: [] } });
    const before = Date.now();
    await t.worker.sweep();
    const gone = await t.connection('gone', 'gone-c');
    expect(gone).toMatchObject({ state: 'closed', pageGone: { reason: 'crashed' } });
    expect(gone!.pageGone!.time).toBeGreaterThanOrEqual(before);
    expect((await t.connection('here', 'here-c'))?.state).toBe('connecting');
    expect((await t.connection('previous-run', 'previous-run-c'))?.state).toBe('connecting'); // swept already, as the memory says
    expect((await t.connection('imported', 'imported-c'))?.state).toBe('connecting');
    expect(t.store.memory?.sweptTabs).toEqual([8]);
    expect(t.asked.sort()).toEqual([7, 8]);
    // The next start asks only about tabs not swept yet.
    t = await setup({ db, tabs: [7], memory: t.store.memory });
    await t.worker.sweep();
    expect(t.asked).toEqual([7]);
    expect(t.errors).toEqual([]);
  });

  it('never touches a session being captured right now', async () => {
    const db = await openFrameStore(`gone-tabs-${++dbCounter}`);
    const t = await setup({ db, tabs: [8], memory: { runStartedAt: 1, previousRunSwept: true, sweptTabs: [] } });
    await t.relay('live', [connect('c1', 50)], 8);
    t.tabs.delete(8); // tabs.get says it is gone, but its relay is connected
    await t.worker.sweep();
    expect((await t.connection('live', 'c1'))?.state).toBe('connecting');
  });
});

describe('GoneTabs.removalTime', () => {
  it('is the removal time when the tab was or is removed within the grace, now when it is missing, undefined while it exists', async () => {
    let exists = true;
    const gone = new GoneTabs({
      db: () => Promise.reject(new Error('unused')),
      tabExists: async () => exists,
      loadMemory: async () => undefined,
      saveMemory: async () => undefined,
      liveSessions: () => new Set(),
      panels: { toTab: () => undefined, toAll: () => undefined },
      now: () => 42,
    });
    gone.removed(1, 10);
    expect(await gone.removalTime(1, 0)).toBe(10);
    const waiting = gone.removalTime(2, 1000);
    gone.removed(2, 20);
    expect(await waiting).toBe(20);
    expect(await gone.removalTime(3, 10)).toBeUndefined();
    exists = false;
    expect(await gone.removalTime(3, 10)).toBe(42);
  });
});
