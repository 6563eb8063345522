import './runes';
import { describe, expect, it } from 'vitest';
import { LAYOUT_KEY, LayoutState } from '@/lib/panel/layout-state.svelte';
import { memorySettings } from './fixtures';

describe('layout: the timeline toggle', () => {
  it('is closed by default, and opening it is stored and read back by the next panel', async () => {
    const settings = memorySettings();
    const first = new LayoutState(settings);
    await first.load();
    expect(first.timelineOpen).toBe(false);
    first.setTimelineOpen(true);
    await Promise.resolve();
    expect((settings.values.get(LAYOUT_KEY) as { timelineOpen?: boolean }).timelineOpen).toBe(true);

    const second = new LayoutState(settings);
    await second.load();
    expect(second.timelineOpen).toBe(true);
    expect(second.connectionsOpen).toBe(true); // the rest as it was
  });

  it('ignores a stored value that is not a boolean', async () => {
    const settings = memorySettings();
    settings.values.set(LAYOUT_KEY, { timelineOpen: 'yes', filtersOpen: true });
    const layout = new LayoutState(settings);
    await layout.load();
    expect([layout.timelineOpen, layout.filtersOpen]).toEqual([false, true]);
  });
});
