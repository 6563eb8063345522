import './runes';
import { describe, expect, it } from 'vitest';
import { DialogsState } from '@/lib/panel/dialogs-state.svelte';

describe('DialogsState', () => {
  it('shows one dialog at a time, each with its own payload, cleared when another opens', () => {
    const dialogs = new DialogsState();
    dialogs.show('replay', { replayFrom: { connectionId: 'c', seq: 3 } });
    expect(dialogs.open).toBe('replay');
    expect(dialogs.replayFrom).toEqual({ connectionId: 'c', seq: 3 });

    const diff = { left: { connectionId: 'c', seq: 1 }, right: { connectionId: 'd', seq: 2 } };
    dialogs.show('diff', { diff });
    expect(dialogs.open).toBe('diff');
    expect(dialogs.diff).toEqual(diff);
    expect(dialogs.replayFrom).toBeNull();

    dialogs.show('code', { code: { connectionId: 'c', fromSeq: 1, toSeq: 5 } });
    expect(dialogs.code).toEqual({ connectionId: 'c', fromSeq: 1, toSeq: 5 });
    expect(dialogs.diff).toBeNull();

    dialogs.show('stats', { stats: { connectionId: 'c' } });
    expect(dialogs.stats).toEqual({ connectionId: 'c' });
    expect(dialogs.code).toBeNull();
  });

  it('stats without a subject show the session; toggle and close clear every payload', () => {
    const dialogs = new DialogsState();
    dialogs.toggle('stats');
    expect(dialogs.open).toBe('stats');
    expect(dialogs.stats).toEqual({ connectionId: null });
    dialogs.toggle('stats');
    expect(dialogs.open).toBeNull();
    expect(dialogs.stats).toBeNull();

    dialogs.show('code', { code: { connectionId: 'c' } });
    dialogs.close();
    expect(dialogs.open).toBeNull();
    expect(dialogs.code).toBeNull();
  });

  it('keeps the existing dialogs working as before (rules, settings without payloads)', () => {
    const dialogs = new DialogsState();
    dialogs.show('rules');
    expect(dialogs.open).toBe('rules');
    expect([dialogs.replayFrom, dialogs.diff, dialogs.code, dialogs.stats]).toEqual([null, null, null, null]);
    dialogs.toggle('settings');
    expect(dialogs.open).toBe('settings');
  });
});
