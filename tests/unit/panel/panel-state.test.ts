import './runes';
import { describe, expect, it } from 'vitest';
import { PanelState, REFRESH_MS } from '@/lib/panel/panel-state.svelte';
import { memoryPortPair, type Port } from '@/lib/shared/transport';
import { PROTOCOL_VERSION, message, type BackgroundToPanelMessage, type PanelToBackgroundMessage } from '@/lib/shared/protocol';
import type { InspectorDatabase } from '@/lib/store/frame-store';
import { writeEvents } from '@/lib/store/frame-store';
import { connect, frame, freshDb, store, tick, until } from './fixtures';

const TAB = 5;

type Sent = PanelToBackgroundMessage;

/** A panel for tab 5 over an in-memory port to a fake background, on a fake-indexeddb database. */
async function openPanel(seed: (db: InspectorDatabase) => Promise<void> = async () => undefined, tabId: number | null = TAB) {
  const db = await freshDb();
  await seed(db);
  const ports: Array<{ port: Port<BackgroundToPanelMessage>; got: Sent[] }> = [];
  const opened: string[] = [];
  let navigated: (() => void) | undefined;
  const panel = new PanelState({
    tabId,
    inDevtools: true,
    connect() {
      const [panelSide, backgroundSide] = memoryPortPair<Sent, BackgroundToPanelMessage>();
      const bg = { port: backgroundSide, got: [] as Sent[] };
      backgroundSide.listen((m) => bg.got.push(m as Sent));
      ports.push(bg);
      return panelSide;
    },
    openDb: async () => db,
    openInTab: (url) => opened.push(url),
    panelUrl: (id) => `panel.html?tabId=${id}`,
    onNavigated: (listener) => (navigated = listener),
  });
  await panel.start();
  const background = () => ports[ports.length - 1];
  const send = async (msg: BackgroundToPanelMessage) => {
    background().port.send(msg);
    await tick();
  };
  const welcome = (paused = false) => send(message({ type: 'panel-welcome', protocolVersion: PROTOCOL_VERSION, tabId: TAB, paused }));
  return { panel, db, ports, background, send, welcome, opened, navigate: () => navigated?.() };
}

async function twoSessions(db: InspectorDatabase) {
  await store(db, 'old', [connect('a'), frame('a', 1, 'old one')], { tabId: TAB, startedAt: 10 });
  await store(db, 'cur', [connect('b'), connect('c'), frame('b', 1, 'hello'), frame('c', 2, 'world'), frame('b', 3, 'hello again')], { tabId: TAB, startedAt: 20 });
}

describe('PanelState', () => {
  it('opens on the tab’s newest session, says hello, and is connected once welcomed', async () => {
    const { panel, background, welcome } = await openPanel(twoSessions);
    expect(panel.sessions.sessionId).toBe('cur');
    expect(panel.sessions.connections.map((c) => c.id)).toEqual(['b', 'c']);
    expect([panel.view.total, panel.view.shown]).toEqual([3, 3]);
    expect(panel.link.status).toBe('connecting');
    expect(background().got.map((m) => m.type)).toEqual(['panel-hello']);
    await welcome(true);
    expect(panel.link.status).toBe('connected');
    expect(panel.paused).toBe(true);
    expect(background().got.map((m) => m.type)).toEqual(['panel-hello', 'get-rules', 'page-session-query']);
    panel.dispose();
  });

  it('refreshes the session on screen after stored notes, throttled', async () => {
    const { panel, db, send, welcome } = await openPanel(twoSessions);
    await welcome();
    await writeEvents(db, 'cur', 'https://x/', [connect('d'), frame('d', 1, 'new')]);
    const version = panel.view.dataVersion;
    await send(message({ type: 'stored', sessionId: 'cur', connectionIds: ['d'] }));
    await send(message({ type: 'stored', sessionId: 'cur', connectionIds: ['d'] }));
    expect(panel.view.total).toBe(3);
    await until(() => panel.view.total === 4);
    expect(panel.sessions.connections.map((c) => c.id)).toEqual(['b', 'c', 'd']);
    expect(panel.sessions.session?.frameCount).toBe(4);
    expect(panel.view.dataVersion).toBeGreaterThan(version);
    panel.dispose();
  });

  it('re-reads only the connections a stored note names; a reconnect reads the whole list again', async () => {
    const { panel, db, send, welcome, background, ports } = await openPanel(twoSessions);
    await welcome();
    await writeEvents(db, 'cur', 'https://x/', [connect('d'), frame('d', 1, 'new'), frame('b', 9, 'more')]);
    const reads: string[] = [];
    const getAllFromIndex = db.getAllFromIndex.bind(db);
    (db as { getAllFromIndex: unknown }).getAllFromIndex = (store: string, ...rest: unknown[]) => {
      if (store === 'connections') reads.push('all');
      return (getAllFromIndex as (...a: unknown[]) => unknown)(store, ...rest);
    };
    const transaction = db.transaction.bind(db);
    (db as { transaction: unknown }).transaction = (...args: unknown[]) => {
      const tx = (transaction as (...a: unknown[]) => ReturnType<typeof db.transaction>)(...args);
      const objectStore = tx.objectStore.bind(tx);
      (tx as { objectStore: unknown }).objectStore = (name: string) => {
        const store = objectStore(name as never);
        if (name !== 'connections') return store;
        const getOne = store.get.bind(store);
        (store as { get: unknown }).get = (id: string) => (reads.push(id), getOne(id as never));
        return store;
      };
      return tx;
    };
    await send(message({ type: 'stored', sessionId: 'cur', connectionIds: ['d', 'b'] }));
    await until(() => panel.sessions.connections.length === 3 && panel.view.total === 5);
    expect(reads).toEqual(['d', 'b']);
    expect(panel.sessions.connections.map((c) => c.id)).toEqual(['b', 'c', 'd']);
    expect(panel.sessions.connectionById('b')?.lastSeq).toBe(9);
    await writeEvents(db, 'cur', 'https://x/', [connect('e')]);
    reads.length = 0;
    background().port.disconnect(); // the worker restarted: notes may have been missed
    await until(() => ports.length === 2);
    await welcome();
    await until(() => panel.sessions.connections.length === 4);
    expect(reads).toContain('all');
    panel.dispose();
  });

  it('lists a session it did not know when the background stores into it, without switching to it', async () => {
    const { panel, db, send } = await openPanel(twoSessions);
    await store(db, 'other', [connect('z'), frame('z', 1)], { tabId: 99, startedAt: 30 });
    await send(message({ type: 'stored', sessionId: 'other', connectionIds: ['z'] }));
    await until(() => panel.sessions.sessions.some((s) => s.id === 'other'));
    expect(panel.sessions.sessionId).toBe('cur');
    panel.dispose();
  });

  it('follows a new page load in the tab, unless the user picked a session', async () => {
    const { panel, db, send } = await openPanel(twoSessions);
    await store(db, 'next', [connect('n'), frame('n', 1)], { tabId: TAB, startedAt: 30 });
    await send(message({ type: 'session-started', sessionId: 'next' }));
    // The session changes at once; its rows follow.
    await until(() => panel.sessions.sessionId === 'next' && panel.view.total === 1);
    await panel.pickSession('old');
    expect(panel.sessions.pinned).toBe(true);
    await store(db, 'later', [connect('l')], { tabId: TAB, startedAt: 40 });
    await send(message({ type: 'session-started', sessionId: 'later' }));
    await until(() => panel.sessions.sessions.some((s) => s.id === 'later'));
    expect(panel.sessions.sessionId).toBe('old');
    // Picking the tab's newest session follows the tab again.
    await panel.pickSession('later');
    expect(panel.sessions.pinned).toBe(false);
    panel.dispose();
  });

  it('shows the page’s own session as soon as it says which, and forgets the old page’s holds', async () => {
    const { panel, send, background, navigate } = await openPanel(twoSessions);
    await send(message({ type: 'page-session', tabId: TAB, sessionId: 'cur' }));
    expect(panel.sessions.pageSessionId).toBe('cur');
    await send(message({ type: 'page-notice', tabId: TAB, notice: { kind: 'held', holdId: 'h', connectionId: 'b', dir: 'send', data: { encoding: 'text', payload: 'x' }, rule: 'r', time: 1 } }));
    await send(message({ type: 'page-notice', tabId: TAB + 1, notice: { kind: 'held', holdId: 'other-tab', connectionId: 'b', dir: 'send', data: { encoding: 'text', payload: 'x' }, rule: 'r', time: 1 } }));
    expect(panel.act.held.map((h) => h.holdId)).toEqual(['h']);
    navigate();
    await tick();
    expect(background().got.filter((m) => m.type === 'page-session-query')).toHaveLength(1);
    await send(message({ type: 'page-session', tabId: TAB, sessionId: 'fresh' }));
    await until(() => panel.sessions.sessionId === 'fresh' && panel.view.total === 0);
    expect(panel.act.held).toEqual([]);
    expect(panel.sessions.connections).toEqual([]);
    // Another tab's page, or no session: nothing changes.
    await send(message({ type: 'page-session', tabId: TAB + 1, sessionId: 'x' }));
    await send(message({ type: 'page-session', tabId: TAB, sessionId: null }));
    expect(panel.sessions.pageSessionId).toBe('fresh');
    panel.dispose();
  });

  it('takes capture state, rules and command results from the background', async () => {
    const { panel, send, background, welcome } = await openPanel(twoSessions);
    await welcome();
    await send(message({ type: 'capture-state', tabId: TAB, paused: true }));
    await send(message({ type: 'capture-state', tabId: TAB + 1, paused: false }));
    expect(panel.paused).toBe(true);
    await send(message({ type: 'rules', rules: [], holdTimeoutMs: 1234 }));
    expect(panel.act.holdTimeoutMs).toBe(1234);
    expect(panel.act.rulesKnown).toBe(true);
    const result = panel.link.command({ kind: 'close', connectionId: 'b' });
    await tick();
    const request = background().got.find((m) => m.type === 'page-command');
    expect(request).toMatchObject({ tabId: TAB, command: { kind: 'close', connectionId: 'b' } });
    await send(message({ type: 'command-result', requestId: request!.type === 'page-command' ? request!.requestId : '', ok: false, error: 'closed' }));
    expect(await result).toEqual({ ok: false, error: 'closed' });
    panel.dispose();
  });

  it('asks the background to pause and clear, and says so when it cannot', async () => {
    const { panel, background, welcome } = await openPanel(twoSessions);
    await welcome();
    panel.setPaused(true);
    panel.clearSession();
    panel.clearAll();
    await tick();
    expect(background().got.slice(-3)).toEqual([
      message({ type: 'set-paused', tabId: TAB, paused: true }),
      message({ type: 'clear', scope: 'session', sessionId: 'cur' }),
      message({ type: 'clear', scope: 'all' }),
    ]);
    panel.dispose();
    panel.setPaused(false);
    expect(panel.notice).toMatch(/Not connected/);
    panel.notice = '';
    panel.clearAll();
    expect(panel.notice).toMatch(/nothing was cleared/);
  });

  it('goes back to the tab’s session when the one on screen is cleared', async () => {
    const { panel, db, send } = await openPanel(twoSessions);
    await panel.pickSession('old');
    await db.delete('sessions', 'old');
    await send(message({ type: 'cleared', scope: 'session', sessionId: 'old' }));
    await until(() => panel.sessions.sessionId === 'cur');
    expect(panel.sessions.pinned).toBe(false);
    panel.dispose();
  });

  it('rebuilds the view when the filter changes, keeping the selected row if it still matches', async () => {
    const { panel } = await openPanel(twoSessions);
    await panel.view.select(2); // b3 "hello again"
    await panel.filters.setFilter({ contains: 'hello' });
    expect([panel.view.total, panel.view.shown]).toEqual([3, 2]);
    expect(panel.view.selected?.seq).toBe(3);
    expect(panel.view.selectedIndex).toBe(1);
    await panel.filters.setFilter({ regex: '(' });
    expect(panel.filters.regexError).toBeDefined();
    await panel.filters.resetFilter();
    expect(panel.view.shown).toBe(3);
    await panel.selectConnection('c');
    expect(panel.view.total).toBe(1);
    panel.dispose();
  });

  it('shows sessions asked for at once one after the other: the last wins, with its own rows and decoders', async () => {
    const json = (type: string) => JSON.stringify({ type });
    const { panel } = await openPanel(async (db) => {
      await store(db, 'one', [connect('a'), frame('a', 1, json('x')), frame('a', 2, json('y'))], { tabId: TAB, startedAt: 10 });
      await store(db, 'two', [connect('b'), frame('b', 1, json('z'))], { tabId: TAB, startedAt: 20 });
    });
    // What the conversation slice is told: every session it is shown comes with that session's decoders.
    const shown: Array<{ sessionId: string | null; decoderIds: Record<string, string | null> }> = [];
    panel.conversation.show = async (scope) => void shown.push({ sessionId: scope.sessionId, decoderIds: { ...scope.decoderIds } });
    // Both at once, as the panel's start and the page's page-session answer can be.
    await Promise.all([panel.pickSession('one'), panel.pickSession('two'), panel.pickSession('one'), panel.pickSession('two')]);
    await tick();
    const expected = { one: { a: 'json' }, two: { b: 'json' } } as Record<string, Record<string, string>>;
    for (const call of shown) expect(call.decoderIds, `shown ${call.sessionId}`).toEqual(expected[call.sessionId!]);
    expect(shown.at(-1)?.sessionId).toBe('two');
    expect(panel.sessions.sessionId).toBe('two');
    expect(panel.sessions.connections.map((c) => c.id)).toEqual(['b']);
    expect(panel.decoderIdsInUse()).toEqual({ b: 'json' });
    expect([panel.view.total, panel.view.shown]).toEqual([1, 1]);
    expect((await panel.view.rowsAt(0, 5)).map((r) => r.connectionId)).toEqual(['b']);
    panel.dispose();
  });

  it('filters by decoded fields, and scans again when a connection’s decoder changes', async () => {
    const json = (type: string) => JSON.stringify({ type });
    const { panel } = await openPanel(async (db) => {
      await store(db, 's', [connect('j'), connect('t'), frame('j', 1, json('ping')), frame('j', 2, json('chat')), frame('t', 1, json('chat'))], { tabId: TAB });
      // Connection t's first row is JSON, but the user decodes it as nothing (back to detection) later.
    });
    expect(panel.decoderIdsInUse()).toEqual({ j: 'json', t: 'json' });
    await panel.filters.setDecodedQuery('type:chat');
    expect(panel.view.shown).toBe(2);
    await panel.setDecoderOverride('t', 'cbor');
    expect(panel.decoderIdsInUse()).toEqual({ j: 'json', t: 'cbor' });
    expect(panel.view.shown).toBe(1);
    panel.dispose();
  });

  it('opens a search hit: its session, its connection, and the row itself', async () => {
    const { panel } = await openPanel(twoSessions);
    await panel.filters.setFilter({ contains: 'zzz' });
    await panel.search.search('old one');
    expect(panel.search.hits).toHaveLength(1);
    await panel.openSearchHit(panel.search.hits[0]);
    expect(panel.sessions.sessionId).toBe('old');
    expect(panel.sessions.pinned).toBe(true);
    expect(panel.sessions.connectionId).toBe('a');
    expect(panel.filters.filter.contains).toBe('');
    expect(panel.view.selected?.seq).toBe(1);
    expect(panel.view.detailOpen).toBe(true);
    panel.dispose();
  });

  it('reconnects when the worker restarts, and re-reads what it may have missed', async () => {
    const { panel, db, ports, background, welcome } = await openPanel(twoSessions);
    await welcome();
    background().port.disconnect();
    await tick();
    expect(panel.link.status).toBe('reconnecting');
    await until(() => ports.length === 2);
    await writeEvents(db, 'cur', 'https://x/', [frame('b', 4, 'missed')]);
    await welcome();
    expect(panel.link.status).toBe('connected');
    expect(background().got.map((m) => m.type)).toEqual(['panel-hello', 'get-rules', 'page-session-query']);
    await tick(REFRESH_MS);
    await until(() => panel.view.total === 4);
    panel.dispose();
  });

  it('is gone when the background speaks another protocol', async () => {
    const { panel, send } = await openPanel(twoSessions);
    await send(message({ type: 'panel-welcome', protocolVersion: PROTOCOL_VERSION + 1, tabId: TAB, paused: true }));
    expect(panel.link.status).toBe('gone');
    expect(panel.paused).toBe(false);
    panel.dispose();
  });

  it('without a tab: connected at once, the newest stored session, no page commands', async () => {
    const { panel, background, opened } = await openPanel(twoSessions, null);
    expect(panel.link.status).toBe('connected');
    expect(background().got).toEqual([]);
    expect(panel.sessions.sessionId).toBe('cur');
    panel.openInTab();
    expect(opened).toEqual(['panel.html?tabId=null']);
    panel.setPaused(true);
    expect(background().got).toEqual([]);
    panel.dispose();
  });
});
