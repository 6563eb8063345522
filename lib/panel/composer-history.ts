/**
 * The composer's per-site history and named favourites, kept in the `settings` store of the frame store under
 * `composer:<site origin>`. List operations are pure (unit-tested); load/save take the database.
 */
import type { InspectorDatabase } from '../store/frame-store';
import type { EditFormat } from './payload-edit';

export interface ComposerEntry {
  format: EditFormat;
  text: string;
}
export interface ComposerFavourite extends ComposerEntry {
  name: string;
}
export interface ComposerMemory {
  history: ComposerEntry[];
  favourites: ComposerFavourite[];
}

export const HISTORY_LIMIT = 50;

/** The site a connection belongs to: the page's origin (history is shared by every socket of that site). */
export function siteKey(pageUrl: string): string {
  try {
    const origin = new URL(pageUrl).origin;
    return `composer:${origin === 'null' ? pageUrl : origin}`;
  } catch {
    return `composer:${pageUrl}`;
  }
}

/** Newest first, no duplicates, at most `limit`. */
export function addToHistory(history: readonly ComposerEntry[], entry: ComposerEntry, limit = HISTORY_LIMIT): ComposerEntry[] {
  const rest = history.filter((h) => h.format !== entry.format || h.text !== entry.text);
  return [{ format: entry.format, text: entry.text }, ...rest].slice(0, limit);
}

/** Adds or replaces a favourite by name (trimmed); sorted by name. */
export function upsertFavourite(favourites: readonly ComposerFavourite[], favourite: ComposerFavourite): ComposerFavourite[] {
  const name = favourite.name.trim();
  if (!name) throw new Error('A favourite needs a name.');
  const rest = favourites.filter((f) => f.name !== name);
  return [...rest, { name, format: favourite.format, text: favourite.text }].sort((a, b) => a.name.localeCompare(b.name));
}

/** Reads what is stored, dropping anything malformed (settings are user data: never trust their shape). */
export function parseComposerMemory(value: unknown): ComposerMemory {
  const v = (value ?? {}) as { history?: unknown; favourites?: unknown };
  const isFormat = (f: unknown): f is EditFormat => f === 'text' || f === 'hex' || f === 'base64';
  const entries = (list: unknown) =>
    (Array.isArray(list) ? list : []).filter(
      (e): e is ComposerFavourite => typeof e === 'object' && e !== null && isFormat((e as ComposerEntry).format) && typeof (e as ComposerEntry).text === 'string',
    );
  return {
    history: entries(v.history).map((e) => ({ format: e.format, text: e.text })).slice(0, HISTORY_LIMIT),
    favourites: entries(v.favourites).filter((e) => typeof e.name === 'string' && e.name.trim() !== ''),
  };
}

export async function loadComposerMemory(db: InspectorDatabase, key: string): Promise<ComposerMemory> {
  return parseComposerMemory(await db.get('settings', key));
}

export async function saveComposerMemory(db: InspectorDatabase, key: string, memory: ComposerMemory): Promise<void> {
  await db.put('settings', { history: memory.history, favourites: memory.favourites }, key);
}
