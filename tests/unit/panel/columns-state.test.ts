import './runes';
import { describe, expect, it } from 'vitest';
import { COLUMNS_KEY, ColumnsState } from '@/lib/panel/columns-state.svelte';
import { GRID_COLUMNS } from '@/lib/panel/grid-columns';
import { memorySettings } from './fixtures';

const all = { timeMode: 'absolute' as const, allConnections: true };
const one = { timeMode: 'absolute' as const, allConnections: false };
const ids = (columns: { id: string }[]) => columns.map((c) => c.id);

describe('ColumnsState', () => {
  it('shows every column by default, Conn only when all connections are shown', () => {
    const columns = new ColumnsState(memorySettings());
    expect(ids(columns.visible(all))).toEqual(['dir', 'conn', 'time', 'size', 'type', 'summary', 'data']);
    expect(ids(columns.visible(one))).toEqual(['dir', 'time', 'size', 'type', 'summary', 'data']);
    expect(columns.width('time')).toBe(92);
  });

  it('hides and shows columns, stores only what changed, and a new panel reads it back', async () => {
    const settings = memorySettings();
    const columns = new ColumnsState(settings);
    expect(columns.setShown('size', false)).toBe(true);
    columns.resize('time', 150);
    await columns.commit();
    expect(settings.values.get(COLUMNS_KEY)).toEqual({ shown: { size: false }, widths: { time: 150 } });
    const again = new ColumnsState(settings);
    await again.load();
    expect(ids(again.visible(one))).toEqual(['dir', 'time', 'type', 'summary', 'data']);
    expect(again.width('time')).toBe(150);
  });

  it('keeps at least one column that shows in every view', () => {
    const columns = new ColumnsState(memorySettings());
    for (const c of GRID_COLUMNS.filter((c) => c.id !== 'summary')) columns.setShown(c.id, false);
    expect(ids(columns.visible(one))).toEqual(['summary']);
    expect(columns.canHide('summary')).toBe(false);
    expect(columns.setShown('summary', false)).toBe(false);
    expect(ids(columns.visible(one))).toEqual(['summary']);
  });

  it('clamps widths to the column minimum and a sane maximum', () => {
    const columns = new ColumnsState(memorySettings());
    columns.resize('time', 3);
    expect(columns.width('time')).toBe(40);
    columns.resize('time', 1e9);
    expect(columns.width('time')).toBe(2000);
    columns.resize('nope', 100);
    expect(columns.width('nope')).toBe(0);
  });

  it('reset shows the defaults and forgets what was stored', async () => {
    const settings = memorySettings();
    const columns = new ColumnsState(settings);
    columns.setShown('type', false);
    columns.resize('summary', 300);
    await columns.commit();
    await columns.reset();
    expect(columns.isShown('type')).toBe(true);
    expect(columns.width('summary')).toBe(160);
    expect(settings.values.has(COLUMNS_KEY)).toBe(false);
  });

  it('drops unknown columns and malformed values, and shows the defaults if nothing would be left', async () => {
    const settings = memorySettings();
    settings.values.set(COLUMNS_KEY, { shown: { ghost: true, size: 'no', type: false }, widths: { time: 'wide', data: 90, ghost: 5 } });
    const columns = new ColumnsState(settings);
    await columns.load();
    expect(columns.shownChoice).toEqual({ type: false });
    expect(columns.widthChoice).toEqual({ data: 90 });
    settings.values.set(COLUMNS_KEY, { shown: Object.fromEntries(GRID_COLUMNS.map((c) => [c.id, false])), widths: {} });
    await columns.load();
    expect(ids(columns.visible(one))).toHaveLength(6);
  });

  it('starts with defaults when settings are unreadable', async () => {
    const columns = new ColumnsState({ read: () => Promise.reject(new Error('gone')), write: async () => undefined, remove: async () => undefined });
    await columns.load();
    expect(columns.isShown('data')).toBe(true);
  });
});
