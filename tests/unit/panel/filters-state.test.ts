import './runes';
import { describe, expect, it, vi } from 'vitest';
import { FiltersState } from '@/lib/panel/filters-state.svelte';
import { SAVED_FILTERS_KEY } from '@/lib/panel/panel-settings';
import { emptyFilter } from '@/lib/shared/filters';
import type { FrameRecord } from '@/lib/shared/records';
import { memorySettings } from './fixtures';

function harness() {
  const notices: string[] = [];
  const settings = memorySettings((n) => notices.push(n));
  const changed = vi.fn(async () => undefined);
  const filters = new FiltersState({ settings, changed, notify: (n) => notices.push(n) });
  return { filters, settings, changed, notices };
}

const row = (data: string, dir: 'send' | 'receive' = 'send') => ({ kind: 'frame', dir, opcode: 1, data, size: data.length }) as unknown as FrameRecord;

describe('FiltersState', () => {
  it('merges a change into the filter (types one by one) and asks for a new view', async () => {
    const { filters, changed } = harness();
    await filters.setFilter({ contains: 'abc' });
    await filters.setFilter({ types: { binary: false } as never });
    expect(filters.filter).toEqual({ ...emptyFilter(), contains: 'abc', types: { ...emptyFilter().types, binary: false } });
    expect(changed).toHaveBeenCalledTimes(2);
  });

  it('compiles to null when the filter matches everything, and to a matcher otherwise', async () => {
    const { filters } = harness();
    expect(filters.compile()).toBeNull();
    await filters.setFilter({ contains: 'ping', direction: 'send' });
    const matches = filters.compile()!;
    expect(matches(row('a ping'))).toBe(true);
    expect(matches(row('a pong'))).toBe(false);
    expect(matches(row('a ping', 'receive'))).toBe(false);
  });

  it('keeps only rows in the time range picked (ends included, either order), ANDed with the rest; reset drops it', async () => {
    const { filters, changed } = harness();
    const at = (time: number, data = 'x') => ({ ...row(data), time }) as FrameRecord;
    await filters.setTimeRange({ from: 200, to: 100 });
    expect(filters.timeRange).toEqual({ from: 100, to: 200 });
    const inRange = filters.compile()!;
    expect([99, 100, 150, 200, 201].map((t) => inRange(at(t)))).toEqual([false, true, true, true, false]);
    await filters.setFilter({ contains: 'ping' });
    const both = filters.compile()!;
    expect([both(at(150, 'ping')), both(at(150, 'pong')), both(at(250, 'ping'))]).toEqual([true, false, false]);
    const calls = changed.mock.calls.length;
    await filters.setTimeRange({ from: 100, to: 200 }); // the same range: nothing to rebuild
    expect(changed.mock.calls.length).toBe(calls);
    await filters.resetFilter();
    expect(filters.timeRange).toBeNull();
    expect(filters.compile()).toBeNull();
  });

  it('says why a regex does not compile, and forgets it once fixed', async () => {
    const { filters } = harness();
    await filters.setFilter({ regex: '(' });
    filters.compile();
    expect(filters.regexError).toMatch(/./);
    await filters.setFilter({ regex: 'p.ng' });
    expect(filters.compile()!(row('pong'))).toBe(true);
    expect(filters.regexError).toBeUndefined();
  });

  it('changes the decoded query only when it differs; resets both', async () => {
    const { filters, changed } = harness();
    await filters.setDecodedQuery('type:ping');
    await filters.setDecodedQuery('type:ping');
    expect(changed).toHaveBeenCalledTimes(1);
    await filters.setFilter({ contains: 'x', direction: 'receive' });
    await filters.resetFilter();
    expect(filters.filter).toEqual(emptyFilter());
    expect(filters.decodedQuery).toBe('');
    expect(changed).toHaveBeenCalledTimes(3);
  });

  it('clears the text parts only when there are some', async () => {
    const { filters, changed } = harness();
    await filters.setFilter({ direction: 'send' });
    changed.mockClear();
    await filters.clearTextFilter();
    expect(changed).not.toHaveBeenCalled();
    await filters.setFilter({ contains: 'a', regex: 'b' });
    await filters.clearTextFilter();
    expect(filters.filter).toMatchObject({ contains: '', regex: '', direction: 'send' });
  });

  it('saves, applies and deletes named filters, kept in settings', async () => {
    const { filters, settings, notices, changed } = harness();
    await filters.setFilter({ contains: 'abc', direction: 'send' });
    await filters.saveFilter('  mine ');
    expect(notices).toEqual(['Saved filter "mine".']);
    expect(settings.values.get(SAVED_FILTERS_KEY)).toEqual([{ name: 'mine', filter: { ...emptyFilter(), contains: 'abc', direction: 'send' } }]);
    await filters.resetFilter();
    changed.mockClear();
    await filters.applySavedFilter('nope');
    expect(changed).not.toHaveBeenCalled();
    await filters.applySavedFilter('mine');
    expect(filters.filter).toMatchObject({ contains: 'abc', direction: 'send' });
    // Applying copies: editing the filter afterwards leaves the saved one as it was.
    await filters.setFilter({ types: { text: false } as never });
    expect(filters.savedFilters[0].filter.types.text).toBe(true);

    const reloaded = new FiltersState({ settings, changed, notify: () => undefined });
    await reloaded.load();
    expect(reloaded.savedFilters.map((s) => s.name)).toEqual(['mine']);
    await filters.deleteSavedFilter('mine');
    expect(settings.values.get(SAVED_FILTERS_KEY)).toEqual([]);
  });

  it('starts with no saved filters when the settings cannot be read', async () => {
    const { filters, settings } = harness();
    settings.read = async () => {
      throw new Error('unreadable');
    };
    await filters.load();
    expect(filters.savedFilters).toEqual([]);
  });

  it('clearFrameFilter empties the frame filter without a new view', async () => {
    const { filters, changed } = harness();
    await filters.setFilter({ contains: 'x' });
    await filters.setDecodedQuery('a:b');
    changed.mockClear();
    filters.clearFrameFilter();
    expect(filters.filter).toEqual(emptyFilter());
    expect(filters.decodedQuery).toBe('a:b');
    expect(changed).not.toHaveBeenCalled();
  });
});
