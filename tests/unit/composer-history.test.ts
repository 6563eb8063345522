import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { addToHistory, loadComposerMemory, parseComposerMemory, saveComposerMemory, siteKey, upsertFavourite } from '../../lib/panel/composer-history';
import { openFrameStore } from '../../lib/store/frame-store';

describe('composer history', () => {
  it('keys by the page origin', () => {
    expect(siteKey('https://chat.example:8443/room/1?x')).toBe('composer:https://chat.example:8443');
    expect(siteKey('not a url')).toBe('composer:not a url');
  });
  it('keeps newest first without duplicates, bounded', () => {
    let h = addToHistory([], { format: 'text', text: 'a' });
    h = addToHistory(h, { format: 'text', text: 'b' });
    h = addToHistory(h, { format: 'text', text: 'a' });
    expect(h.map((e) => e.text)).toEqual(['a', 'b']);
    expect(addToHistory(h, { format: 'hex', text: 'a' }, 2).map((e) => e.format)).toEqual(['hex', 'text']);
  });
  it('names favourites, replacing by name', () => {
    let f = upsertFavourite([], { name: ' ping ', format: 'text', text: '1' });
    f = upsertFavourite(f, { name: 'auth', format: 'text', text: '2' });
    f = upsertFavourite(f, { name: 'ping', format: 'text', text: '3' });
    expect(f).toEqual([{ name: 'auth', format: 'text', text: '2' }, { name: 'ping', format: 'text', text: '3' }]);
    expect(() => upsertFavourite(f, { name: '  ', format: 'text', text: '' })).toThrow(/name/);
  });
  it('drops malformed stored data', () => {
    expect(parseComposerMemory({ history: [{ format: 'x', text: 1 }, { format: 'text', text: 'ok' }], favourites: 'no' })).toEqual({
      history: [{ format: 'text', text: 'ok' }],
      favourites: [],
    });
    expect(parseComposerMemory(undefined)).toEqual({ history: [], favourites: [] });
  });
  it('round-trips through the settings store', async () => {
    const db = await openFrameStore(`composer-${Math.random()}`);
    const key = siteKey('http://127.0.0.1:1/');
    await saveComposerMemory(db, key, { history: [{ format: 'text', text: 'hi' }], favourites: [{ name: 'n', format: 'hex', text: '00' }] });
    expect(await loadComposerMemory(db, key)).toEqual({ history: [{ format: 'text', text: 'hi' }], favourites: [{ name: 'n', format: 'hex', text: '00' }] });
    db.close();
  });
});
