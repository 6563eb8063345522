import './runes';
import { describe, expect, it } from 'vitest';
import { SessionsState } from '@/lib/panel/sessions-state.svelte';
import { connect, frame, freshDb, store } from './fixtures';

async function seeded() {
  const db = await freshDb();
  await store(db, 'old', [connect('a'), frame('a', 1)], { tabId: 5, startedAt: 10 });
  await store(db, 'new', [connect('b'), connect('c'), frame('b', 1)], { tabId: 5, startedAt: 20 });
  await store(db, 'elsewhere', [connect('z')], { tabId: 9, startedAt: 30 });
  return db;
}

describe('SessionsState', () => {
  it('lists stored sessions newest first and enters one with its connections', async () => {
    const db = await seeded();
    const sessions = new SessionsState(5);
    await sessions.reload(db);
    expect(sessions.sessions.map((s) => s.id)).toEqual(['elsewhere', 'new', 'old']);
    await sessions.enter(db, 'new', true);
    expect(sessions.sessionId).toBe('new');
    expect(sessions.pinned).toBe(true);
    expect(sessions.session?.id).toBe('new');
    expect(sessions.connections.map((c) => c.id)).toEqual(['b', 'c']);
    expect(sessions.connectionNumber('c')).toBe(2);
    expect(sessions.connectionNumber('nope')).toBe(0);
    expect(sessions.connectionById('b')?.url).toBe('wss://x/b');
    expect(sessions.connection).toBeUndefined();
    sessions.connectionId = 'b';
    expect(sessions.connection?.id).toBe('b');
    // Entering another session shows all its connections.
    await sessions.enter(db, 'old', false);
    expect(sessions.connectionId).toBeNull();
    expect(sessions.connections.map((c) => c.id)).toEqual(['a']);
    await sessions.enter(db, null, false);
    expect(sessions.connections).toEqual([]);
  });

  it('opens on the page’s own session, else the tab’s newest, else (no tab) the newest stored', async () => {
    const db = await seeded();
    const tab = new SessionsState(5);
    expect(await tab.defaultSessionId(db)).toBe('new');
    tab.pageSessionId = 'fresh';
    expect(await tab.defaultSessionId(db)).toBe('fresh');
    expect(await new SessionsState(77).defaultSessionId(db)).toBeNull();
    const noTab = new SessionsState(null);
    await noTab.reload(db);
    expect(await noTab.defaultSessionId(db, noTab.sessions[0])).toBe('elsewhere');
  });

  it('pins a picked session unless it is the tab’s newest or its page load’s', async () => {
    const db = await seeded();
    const sessions = new SessionsState(5);
    expect(await sessions.pins(db, 'old')).toBe(true);
    expect(await sessions.pins(db, 'new')).toBe(false);
    expect(await sessions.pins(db, null)).toBe(false);
    sessions.pageSessionId = 'old';
    expect(await sessions.pins(db, 'old')).toBe(false);
  });

  it('reads a session again and updates its record', async () => {
    const db = await seeded();
    const sessions = new SessionsState(5);
    await sessions.reload(db);
    const { session, connections } = await sessions.read(db, 'new');
    expect(connections).toHaveLength(2);
    sessions.update({ ...session!, frameCount: 99 });
    expect(sessions.sessions.find((s) => s.id === 'new')?.frameCount).toBe(99);
    expect(sessions.sessions).toHaveLength(3);
  });

  it('reads only the connections named, and merges them in the store\'s order', async () => {
    const db = await seeded();
    await store(db, 'new', [connect('d'), frame('d', 1)], { tabId: 5, startedAt: 20 });
    const sessions = new SessionsState(5);
    await sessions.enter(db, 'new', false);
    expect(sessions.connections.map((c) => c.id)).toEqual(['b', 'c', 'd']);
    const { connections, session } = await sessions.readNamed(db, 'new', ['c', 'a', 'gone']);
    // 'a' is another session's, 'gone' is not stored: neither is merged in.
    expect(connections.map((c) => c.id)).toEqual(['c']);
    expect(session?.id).toBe('new');
    const list = sessions.connections;
    const c = { ...connections[0], sentCount: 7 };
    sessions.merge([c]);
    expect(sessions.connections).not.toBe(list);
    expect(sessions.connections.map((x) => [x.id, x.sentCount])).toEqual([['b', 1], ['c', 7], ['d', 1]]);
    expect(sessions.connectionById('c')).toBe(c);
    // New ones go where listConnections would put them: by start time, then by the counter ending the id.
    const like = (id: string, startedAt: number) => ({ ...connections[0], id, startedAt });
    sessions.merge([like('x-10', 5), like('x-9', 5), like('late', 99), like('early', -1)]);
    expect(sessions.connections.map((x) => x.id)).toEqual(['early', 'b', 'c', 'd', 'x-9', 'x-10', 'late']);
    expect(sessions.connectionNumber('x-10')).toBe(6);
    expect(sessions.connectionNumber('nope')).toBe(0);
    expect(sessions.connectionById('nope')).toBeUndefined();
  });
});
