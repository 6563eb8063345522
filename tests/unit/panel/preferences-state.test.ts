import './runes';
import { describe, expect, it } from 'vitest';
import { parseRetentionForm, PreferencesState, retentionToForm, THEME_OVERRIDE_KEY } from '@/lib/panel/preferences-state.svelte';
import { DEFAULT_RETENTION, getRetention, RETENTION_KEY } from '@/lib/store/retention-settings';
import { databaseSettings } from '@/lib/panel/panel-settings';
import { freshDb, memorySettings } from './fixtures';

const form = (maxSessions: string, maxMiB = '1024', maxSessionMiB = '256') => ({ maxSessions, maxMiB, maxSessionMiB });

describe('PreferencesState', () => {
  it('starts at the defaults, and keeps the theme override in settings', async () => {
    const settings = memorySettings();
    const prefs = new PreferencesState(settings);
    await prefs.load();
    expect([prefs.themeOverride, prefs.retention]).toEqual(['devtools', DEFAULT_RETENTION]);
    const seen: string[] = [];
    const stop = prefs.watchTheme(() => seen.push(prefs.themeOverride));
    await prefs.setThemeOverride('dark');
    expect(settings.values.get(THEME_OVERRIDE_KEY)).toBe('dark');
    const later = new PreferencesState(settings);
    later.watchTheme(() => seen.push(`later ${later.themeOverride}`));
    await later.load();
    expect(later.themeOverride).toBe('dark');
    stop();
    await prefs.setThemeOverride('light');
    expect(seen).toEqual(['dark', 'later dark']);
  });

  it('ignores junk in settings and unreadable settings', async () => {
    const settings = memorySettings();
    settings.values.set(THEME_OVERRIDE_KEY, 'purple');
    settings.values.set(RETENTION_KEY, { maxSessions: 'ten', maxBytes: 5 });
    const prefs = new PreferencesState(settings);
    await prefs.load();
    expect(prefs.themeOverride).toBe('devtools');
    expect(prefs.retention).toEqual({ ...DEFAULT_RETENTION, maxBytes: 5 });
    const broken = new PreferencesState({ ...settings, read: () => Promise.reject(new Error('gone')) });
    await broken.load();
    expect(broken.retention).toEqual(DEFAULT_RETENTION);
  });

  it('saves the retention caps as the record the store enforces, and resets to the defaults', async () => {
    const db = await freshDb();
    const prefs = new PreferencesState(databaseSettings(() => db, () => undefined));
    await prefs.load();
    await prefs.setRetention({ maxSessions: 2, maxBytes: 10 * 1024 ** 2, maxSessionBytes: 1024 ** 2 });
    expect(await getRetention(db)).toEqual({ maxSessions: 2, maxBytes: 10 * 1024 ** 2, maxSessionBytes: 1024 ** 2 });
    await prefs.setThemeOverride('dark');
    await prefs.reset();
    expect(await getRetention(db)).toEqual(DEFAULT_RETENTION);
    expect(prefs.themeOverride).toBe('devtools');
  });
});

describe('the retention form', () => {
  it('reads sessions and MiB, and says what is wrong', () => {
    expect(retentionToForm(DEFAULT_RETENTION)).toEqual({ maxSessions: '100', maxMiB: '1024', maxSessionMiB: '256' });
    expect(parseRetentionForm(form(' 2 ', '1.5', '1'))).toEqual({ ok: true, value: { maxSessions: 2, maxBytes: 1.5 * 1024 ** 2, maxSessionBytes: 1024 ** 2 } });
    expect(parseRetentionForm(form(''))).toEqual({ ok: false, error: 'Max sessions must be a whole number from 1 to 100,000.' });
    expect(parseRetentionForm(form('2.5')).ok).toBe(false);
    expect(parseRetentionForm(form('0')).ok).toBe(false);
    expect(parseRetentionForm(form('abc')).ok).toBe(false);
    expect(parseRetentionForm(form('5', 'lots'))).toEqual({ ok: false, error: 'Max total size must be a number of MiB from 1 to 1,048,576.' });
    expect(parseRetentionForm(form('5', '100', '-1'))).toEqual({ ok: false, error: 'Max size per session must be a number of MiB from 1 to 1,048,576.' });
    expect(parseRetentionForm(form('5', '100', '200'))).toEqual({ ok: false, error: 'Max size per session cannot be more than the max total size.' });
  });
});
