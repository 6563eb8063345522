/**
 * The user's settings that live in the panel's database: the theme override and the retention caps. The Settings
 * dialog shows them with the two that have their own home: the time format (`view.timeMode`, which the toolbar's
 * toggle also sets) and the hold timeout (`act.holdTimeoutMs`, stored by the background with the rules).
 *
 * The retention caps are the store's own record (lib/store/retention-settings.ts, key `retention` of the shared
 * extension-origin database): the background's eviction and the writer's per-session payload cap read that record,
 * so saving it here is what they enforce, with no message to the background.
 */
import { DEFAULT_RETENTION, RETENTION_KEY, retentionWithDefaults, type RetentionSettings } from '../store/retention-settings';
import type { PanelSettings } from './panel-settings';
import { isThemeOverride, type ThemeOverride } from './theme';

export const THEME_OVERRIDE_KEY = 'themeOverride';
export const DEFAULT_THEME_OVERRIDE: ThemeOverride = 'devtools';

const MIB = 1024 ** 2;
/** Past this many sessions the session picker and retention's scan get slow; a cap, not a goal. */
export const MAX_SESSIONS_LIMIT = 100_000;
/** 1 TiB: more than any browser's IndexedDB quota; larger numbers are typos. */
const MAX_MIB = 1024 ** 2;

/** The retention caps as the Settings form types them: sessions, and sizes in MiB. */
export interface RetentionForm {
  maxSessions: string;
  maxMiB: string;
  maxSessionMiB: string;
}

export function retentionToForm(settings: RetentionSettings): RetentionForm {
  const mib = (bytes: number) => String(Number((bytes / MIB).toFixed(3)));
  return { maxSessions: String(settings.maxSessions), maxMiB: mib(settings.maxBytes), maxSessionMiB: mib(settings.maxSessionBytes) };
}

/** The form's values as settings, or what is wrong with them (said so a person can fix it). */
export function parseRetentionForm(form: RetentionForm): { ok: true; value: RetentionSettings } | { ok: false; error: string } {
  const sessions = Number(form.maxSessions.trim());
  if (form.maxSessions.trim() === '' || !Number.isInteger(sessions) || sessions < 1 || sessions > MAX_SESSIONS_LIMIT) {
    return { ok: false, error: `Max sessions must be a whole number from 1 to ${MAX_SESSIONS_LIMIT.toLocaleString('en')}.` };
  }
  const size = (text: string, what: string): number | string => {
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isFinite(value) || value < 1 || value > MAX_MIB) return `${what} must be a number of MiB from 1 to ${MAX_MIB.toLocaleString('en')}.`;
    return Math.round(value * MIB);
  };
  const maxBytes = size(form.maxMiB, 'Max total size');
  if (typeof maxBytes === 'string') return { ok: false, error: maxBytes };
  const maxSessionBytes = size(form.maxSessionMiB, 'Max size per session');
  if (typeof maxSessionBytes === 'string') return { ok: false, error: maxSessionBytes };
  if (maxSessionBytes > maxBytes) return { ok: false, error: 'Max size per session cannot be more than the max total size.' };
  return { ok: true, value: { maxSessions: sessions, maxBytes, maxSessionBytes } };
}

export class PreferencesState {
  private readonly settings: PanelSettings;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- listeners, not shown
  private readonly themeListeners = new Set<() => void>();

  themeOverride = $state<ThemeOverride>(DEFAULT_THEME_OVERRIDE);
  retention = $state.raw<RetentionSettings>(DEFAULT_RETENTION);

  constructor(settings: PanelSettings) {
    this.settings = settings;
  }

  /** Reads what was stored (defaults when nothing or unreadable). */
  async load(): Promise<void> {
    const [theme, retention] = await Promise.all([this.read(THEME_OVERRIDE_KEY), this.read(RETENTION_KEY)]);
    if (isThemeOverride(theme)) this.applyTheme(theme);
    this.retention = retentionWithDefaults(retention);
  }

  /** Calls `listener` whenever the theme override changes (main.ts applies the theme); returns its cleanup. */
  watchTheme(listener: () => void): () => void {
    this.themeListeners.add(listener);
    return () => this.themeListeners.delete(listener);
  }

  async setThemeOverride(value: ThemeOverride): Promise<void> {
    this.applyTheme(value);
    await this.settings.write(THEME_OVERRIDE_KEY, value);
  }

  /** Stores the caps the store enforces (lib/store/retention-settings.ts reads the same record). */
  async setRetention(value: RetentionSettings): Promise<void> {
    this.retention = value;
    await this.settings.write(RETENTION_KEY, { ...value });
  }

  /** Back to the defaults of the settings kept here. */
  async reset(): Promise<void> {
    await Promise.all([this.setThemeOverride(DEFAULT_THEME_OVERRIDE), this.setRetention(DEFAULT_RETENTION)]);
  }

  private applyTheme(value: ThemeOverride): void {
    if (value === this.themeOverride) return;
    this.themeOverride = value;
    for (const listener of this.themeListeners) listener();
  }

  private async read(key: string): Promise<unknown> {
    try {
      return await this.settings.read(key);
    } catch {
      return undefined; // unreadable settings: the defaults
    }
  }
}
