import './runes';
import { describe, expect, it } from 'vitest';
import { formatRowTime, isTimeMode } from '@/lib/panel/message-format';
import { ViewState } from '@/lib/panel/view-state.svelte';
import { PREFERENCES_KEY } from '@/lib/panel/panel-settings';
import { resolveTheme } from '@/lib/panel/theme';
import { memorySettings } from './fixtures';

const at = Date.UTC(2026, 10, 25, 14, 3, 7, 123) + 0.456;

describe('formatRowTime', () => {
  it('says a row’s time as the clock, relative, ISO or epoch', () => {
    expect(formatRowTime(at, 'absolute', undefined)).toMatch(/^\d\d:03:07\.123$/);
    expect(formatRowTime(at, 'relative', at - 1234)).toBe('+1.234 s');
    expect(formatRowTime(at, 'relative', undefined)).toMatch(/^\d\d:03:07\.123$/);
    expect(formatRowTime(at, 'iso', undefined)).toBe('2026-11-25T14:03:07.123Z');
    expect(formatRowTime(at, 'epoch', undefined)).toBe(String(Date.UTC(2026, 10, 25, 14, 3, 7, 123)));
    expect([isTimeMode('iso'), isTimeMode('sideways')]).toEqual([true, false]);
  });
});

describe('the time mode, one source for the toggle and Settings', () => {
  it('stores ISO and epoch, and the toggle returns to the absolute format last picked', async () => {
    const settings = memorySettings();
    const view = new ViewState(settings);
    await view.loadPreferences();
    view.setTimeMode('iso');
    view.toggleRelative();
    expect(view.timeMode).toBe('relative');
    view.toggleRelative();
    expect(view.timeMode).toBe('iso');
    view.setTimeMode('epoch');
    view.toggleRelative();
    await Promise.resolve();
    expect(settings.values.get(PREFERENCES_KEY)).toEqual({ timeMode: 'relative', absoluteMode: 'epoch' });
    const later = new ViewState(settings);
    await later.loadPreferences();
    expect(later.timeMode).toBe('relative');
    later.toggleRelative();
    expect(later.timeMode).toBe('epoch');
  });
});

describe('resolveTheme with the Settings override', () => {
  it('takes ?theme= first, then the override, then DevTools and the system', () => {
    expect(resolveTheme('light', 'dark', true, 'dark')).toBe('light');
    expect(resolveTheme(null, 'default', false, 'dark')).toBe('dark');
    expect(resolveTheme(null, 'dark', true, 'light')).toBe('light');
    expect(resolveTheme(null, 'dark', false, 'devtools')).toBe('dark');
    expect(resolveTheme(null, undefined, true)).toBe('dark');
  });
});
