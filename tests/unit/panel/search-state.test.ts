import './runes';
import { describe, expect, it } from 'vitest';
import { SearchState } from '@/lib/panel/search-state.svelte';
import type { InspectorDatabase } from '@/lib/store/frame-store';
import { connect, frame, freshDb, store } from './fixtures';

describe('SearchState', () => {
  it('finds text in every stored session', async () => {
    const db = await freshDb();
    await store(db, 'a', [connect('c'), frame('c', 1, 'hello needle'), frame('c', 2, 'nothing')]);
    await store(db, 'b', [connect('d'), frame('d', 1, 'another NEEDLE')]);
    const search = new SearchState(() => db);
    await search.search('needle');
    expect(search.text).toBe('needle');
    expect(search.searching).toBe(false);
    expect(search.hits.map((h) => [h.session.id, h.row?.seq]).sort()).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('clears the hits for blank text, and does nothing before the database is open', async () => {
    const db = await freshDb();
    await store(db, 'a', [connect('c'), frame('c', 1, 'needle')]);
    const opened: { db?: InspectorDatabase } = {};
    const search = new SearchState(() => opened.db);
    await search.search('needle');
    expect(search.hits).toEqual([]);
    opened.db = db;
    await search.search('needle');
    expect(search.hits).toHaveLength(1);
    await search.search('   ');
    expect(search.hits).toEqual([]);
    expect(search.searching).toBe(false);
  });

  it('a new search replaces one still running', async () => {
    const db = await freshDb();
    await store(db, 'a', [connect('c'), frame('c', 1, 'first'), frame('c', 2, 'second')]);
    const search = new SearchState(() => db);
    const older = search.search('first');
    const newer = search.search('second');
    await Promise.all([older, newer]);
    expect(search.text).toBe('second');
    expect(search.hits.map((h) => h.row?.seq)).toEqual([2]);
    expect(search.searching).toBe(false);
  });

  it('a search cleared while it runs shows nothing when it ends', async () => {
    const db = await freshDb();
    await store(db, 'a', [connect('c'), frame('c', 1, 'needle')]);
    const search = new SearchState(() => db);
    // The URL matches at once, before the scan of stored rows starts.
    const running = search.search('wss://x/c');
    await search.search('');
    await running;
    expect(search.hits).toEqual([]);
    expect(search.text).toBe('');
  });
});
