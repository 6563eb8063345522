/**
 * A connection's handshake in files (issue #21 §3): HAR's request and response carry its headers as Chrome's HAR
 * does, `.wsi.json` keeps the stored `handshake` as it is. Exports hide the values of Cookie, Set-Cookie and
 * Authorization unless the user asks for secrets; imports read what the file has.
 */
import type { Handshake, HeaderEntry } from '../../shared/records';
import { FormatError, asObject, join, optional, required, typeOf } from './errors';

/** Headers whose values are secrets: hidden in exports unless asked for. */
export const SECRET_HEADERS = ['cookie', 'set-cookie', 'authorization'];
/** What a hidden value is replaced with. */
export const HIDDEN_VALUE = '(hidden: export with "include secrets" to keep it)';

export interface SecretsOption {
  /** Keep the values of Cookie, Set-Cookie and Authorization (default: hidden). */
  includeSecrets?: boolean;
}

/** The headers with secret values hidden (unless `includeSecrets`). */
export function exportHeaders(headers: HeaderEntry[], options: SecretsOption = {}): HeaderEntry[] {
  return headers.map((h) => (!options.includeSecrets && SECRET_HEADERS.includes(h.name.toLowerCase()) ? { name: h.name, value: HIDDEN_VALUE } : { name: h.name, value: h.value }));
}

/** The handshake as an export writes it. */
export function exportHandshake(handshake: Handshake, options: SecretsOption = {}): Handshake {
  return { ...handshake, requestHeaders: exportHeaders(handshake.requestHeaders, options), responseHeaders: exportHeaders(handshake.responseHeaders, options) };
}

/** Reads a header list (HAR's `[{name, value}]`); throws FormatError on anything else. */
export function readHeaders(value: unknown, where: string): HeaderEntry[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new FormatError(where, `expected an array of headers, got ${typeOf(value)}`);
  return value.map((h, i) => {
    const obj = asObject(h, join(where, i));
    return { name: required<string>(obj, 'name', 'string', join(where, i)), value: required<string>(obj, 'value', 'string', join(where, i)) };
  });
}

/** A `.wsi.json` connection's `handshake`; undefined when absent. */
export function readHandshake(value: unknown, where: string): Handshake | undefined {
  if (value === undefined) return undefined;
  const obj = asObject(value, where);
  const source = optional<string>(obj, 'source', 'string', where);
  const handshake: Handshake = {
    method: optional<string>(obj, 'method', 'string', where) ?? 'GET',
    url: optional<string>(obj, 'url', 'string', where) ?? '',
    status: optional<number>(obj, 'status', 'integer', where) ?? 0,
    statusText: optional<string>(obj, 'statusText', 'string', where) ?? '',
    requestHeaders: readHeaders(obj.requestHeaders, join(where, 'requestHeaders')),
    responseHeaders: readHeaders(obj.responseHeaders, join(where, 'responseHeaders')),
    source: source === 'devtools' || source === 'network' ? source : 'har',
  };
  const error = optional<string>(obj, 'error', 'string', where);
  if (error !== undefined) handshake.error = error;
  return handshake;
}

/**
 * The handshake of a HAR entry whose request has real headers (a HAR saved by a browser, or ours with a
 * handshake); undefined for entries without headers.
 */
export function handshakeFromHar(request: Record<string, unknown>, response: Record<string, unknown>, where: string): Handshake | undefined {
  const requestHeaders = readHeaders(request.headers, join(join(where, 'request'), 'headers'));
  const responseHeaders = readHeaders(response.headers, join(join(where, 'response'), 'headers'));
  if (requestHeaders.length === 0 && responseHeaders.length === 0) return undefined;
  return {
    method: typeof request.method === 'string' ? request.method : 'GET',
    url: typeof request.url === 'string' ? request.url : '',
    status: typeof response.status === 'number' ? response.status : 0,
    statusText: typeof response.statusText === 'string' ? response.statusText : '',
    requestHeaders,
    responseHeaders,
    source: 'har',
  };
}
