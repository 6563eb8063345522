import './runes';
import { describe, expect, it } from 'vitest';
import { LAYOUT_DEFAULTS, LAYOUT_KEY, LAYOUT_LIMITS, LayoutState } from '@/lib/panel/layout-state.svelte';
import { memorySettings } from './fixtures';

describe('LayoutState', () => {
  it('starts with the defaults when nothing is stored', async () => {
    const layout = new LayoutState(memorySettings());
    await layout.load();
    expect(layout.snapshot).toEqual(LAYOUT_DEFAULTS);
  });

  it('remembers folds and sizes: a new panel reads what the last one stored', async () => {
    const settings = memorySettings();
    const first = new LayoutState(settings);
    await first.load();
    first.setConnectionsOpen(false);
    first.setFiltersOpen(true);
    first.resize('sideWidth', 333);
    first.resize('detailWidth', 512);
    first.resize('detailHeight', 199);
    await first.commit();

    const second = new LayoutState(settings);
    await second.load();
    expect(second.snapshot).toEqual({ connectionsOpen: false, filtersOpen: true, sideWidth: 333, detailWidth: 512, detailHeight: 199, timelineOpen: false });
  });

  it('stores a drag only when it is committed', async () => {
    const settings = memorySettings();
    const layout = new LayoutState(settings);
    layout.resize('sideWidth', 300);
    expect(layout.sideWidth).toBe(300);
    expect(settings.values.has(LAYOUT_KEY)).toBe(false);
    await layout.commit();
    expect((settings.values.get(LAYOUT_KEY) as { sideWidth: number }).sideWidth).toBe(300);
  });

  it('keeps sizes within bounds, on screen and when read back', async () => {
    const settings = memorySettings();
    const layout = new LayoutState(settings);
    layout.resize('sideWidth', 5);
    expect(layout.sideWidth).toBe(LAYOUT_LIMITS.sideWidth.min);
    layout.resize('detailHeight', 1e9);
    expect(layout.detailHeight).toBe(LAYOUT_LIMITS.detailHeight.max);
    layout.resize('detailWidth', Number.NaN);
    expect(layout.detailWidth).toBe(LAYOUT_DEFAULTS.detailWidth);

    settings.values.set(LAYOUT_KEY, { sideWidth: -40, detailWidth: 99_999, detailHeight: 150.6 });
    const read = new LayoutState(settings);
    await read.load();
    expect([read.sideWidth, read.detailWidth, read.detailHeight]).toEqual([LAYOUT_LIMITS.sideWidth.min, LAYOUT_LIMITS.detailWidth.max, 151]);
  });

  it('ignores malformed fields and unreadable settings, keeping the defaults', async () => {
    const settings = memorySettings();
    settings.values.set(LAYOUT_KEY, { connectionsOpen: 'no', filtersOpen: 1, sideWidth: '300', detailWidth: null });
    const layout = new LayoutState(settings);
    await layout.load();
    expect(layout.snapshot).toEqual(LAYOUT_DEFAULTS);

    settings.values.set(LAYOUT_KEY, 'garbage');
    await layout.load();
    expect(layout.snapshot).toEqual(LAYOUT_DEFAULTS);

    const broken = { ...memorySettings(), read: async () => Promise.reject(new Error('closed')) };
    const unread = new LayoutState(broken);
    await unread.load();
    expect(unread.snapshot).toEqual(LAYOUT_DEFAULTS);
  });

  it('reports a failed write through the settings and keeps the change on screen', async () => {
    const notices: string[] = [];
    const settings = memorySettings((n) => notices.push(n));
    settings.failWrites = true;
    const layout = new LayoutState(settings);
    layout.setConnectionsOpen(false);
    await layout.commit();
    expect(layout.connectionsOpen).toBe(false);
    expect(notices[0]).toMatch(/Could not save settings/);
  });
});
