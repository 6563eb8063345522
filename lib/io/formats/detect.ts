/**
 * Reads any file we accept — our `.wsi.json`, a HAR saved by Chrome DevTools, or our own HAR — from its text,
 * deciding by content rather than by file name (people rename files).
 */
import { FormatError, parseJsonText } from './errors';
import { looksLikeHar, readHar } from './har';
import type { PortableSession } from './model';
import { WSI_FORMAT, looksLikeWsi, readWsi } from './wsi-json';

export function readSessionJson(json: unknown): PortableSession {
  if (looksLikeWsi(json)) return readWsi(json);
  if (looksLikeHar(json)) return readHar(json);
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const format = (json as { format?: unknown }).format;
    if (format !== undefined) throw new FormatError('format', `unknown format ${JSON.stringify(format)}; expected "${WSI_FORMAT}" or a HAR file`);
    if ('log' in json) return readHar(json);
  }
  throw new FormatError('', `not a WebSocket Inspector export or a HAR file (expected a "format": "${WSI_FORMAT}" field or a "log" with "entries")`);
}

/** Parses and validates a whole file. Throws FormatError naming the problem and where it is. */
export function readSessionText(text: string): PortableSession {
  // Some editors on Windows save UTF-8 with a byte-order mark, which JSON does not allow.
  return readSessionJson(parseJsonText(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text));
}
