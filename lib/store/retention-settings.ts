/**
 * The retention setting: how much the store keeps in total (sessions, bytes) and how much payload one session may
 * store while its page is open. Kept as one record in the `settings` store; read by retention (eviction) and by the
 * writer (the per-session cap), so it lives apart from both.
 */
import type { InspectorDatabase } from './schema';

export interface RetentionSettings {
  /** Sessions kept at most (the oldest go first). */
  maxSessions: number;
  /** Payload bytes kept at most, all sessions together (the oldest go first). */
  maxBytes: number;
  /**
   * Payload bytes one captured session may store while its page is open; past it, its frames are still recorded
   * (rows, counts, sizes) but without payloads (see lib/store/payload-cap.ts).
   */
  maxSessionBytes: number;
}

/** Settings as a caller gives them: a record stored before maxSessionBytes existed has none (the default applies). */
export type RetentionInput = Omit<RetentionSettings, 'maxSessionBytes'> & Partial<Pick<RetentionSettings, 'maxSessionBytes'>>;

/** The setting's key in the `settings` store (the panel's Settings dialog writes it, retention and the writer read it). */
export const RETENTION_KEY = 'retention';

export const DEFAULT_RETENTION: RetentionSettings = {
  maxSessions: 100,
  maxBytes: 1024 ** 3,
  // A quarter of the total: a runaway page (one that sent 1.2 GB in 40 s on a closed socket, issue #9 §3) stops
  // storing payloads at 256 MiB and leaves at least three quarters of the store to the user's other sessions,
  // while an ordinary debugging session (a few MiB to tens of MiB) never comes near it.
  maxSessionBytes: 256 * 1024 ** 2,
};

/** Every field of `stored` that is a number, the default for the rest (older records, missing or junk fields). */
export function retentionWithDefaults(stored: unknown): RetentionSettings {
  const given = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const pick = (key: keyof RetentionSettings): number => (typeof given[key] === 'number' ? given[key] : DEFAULT_RETENTION[key]);
  return { maxSessions: pick('maxSessions'), maxBytes: pick('maxBytes'), maxSessionBytes: pick('maxSessionBytes') };
}

/** The payload bytes one live session may store: its own cap, and never more than the total. */
export function sessionPayloadLimit(settings: RetentionInput): number {
  return Math.min(settings.maxSessionBytes ?? DEFAULT_RETENTION.maxSessionBytes, settings.maxBytes);
}

export async function getRetention(db: InspectorDatabase): Promise<RetentionSettings> {
  return retentionWithDefaults(await db.get('settings', RETENTION_KEY));
}

/** Replaces the stored setting; fields left out read back as their defaults. */
export async function setRetention(db: InspectorDatabase, settings: RetentionInput): Promise<void> {
  await db.put('settings', settings, RETENTION_KEY);
}
