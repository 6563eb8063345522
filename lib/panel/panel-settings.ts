/**
 * The panel's settings (saved filters, preferences, "Decode as" choices), kept in the database's `settings`
 * store. Slices read and write through this small interface so each can be tested with an in-memory one.
 */
import type { InspectorDatabase } from '../store/frame-store';

export const SAVED_FILTERS_KEY = 'savedFilters';
export const PREFERENCES_KEY = 'panelPreferences';
/** Settings key of the user's "Decode as" choice for a connection. */
export const decoderOverrideKey = (connectionId: string): string => `decoder:${connectionId}`;

export interface PanelSettings {
  /** The stored value (undefined when none, or before the database is open); throws when unreadable. */
  read(key: string): Promise<unknown>;
  /** Stores a value; a failure is reported (the panel's notice), never thrown. */
  write(key: string, value: unknown): Promise<void>;
  /** Forgets a value; failures are ignored (the worst case is a stale choice). */
  remove(key: string): Promise<void>;
}

/** The settings of the panel's database (`db()` is undefined until it is open). */
export function databaseSettings(db: () => InspectorDatabase | undefined, report: (notice: string) => void): PanelSettings {
  return {
    read: async (key) => db()?.get('settings', key),
    async write(key, value) {
      try {
        await db()?.put('settings', value, key);
      } catch (error) {
        report(`Could not save settings: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async remove(key) {
      await db()
        ?.delete('settings', key)
        .catch(() => undefined);
    },
  };
}
