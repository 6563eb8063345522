/**
 * Editing payloads in the panel: text (with JSON validation and pretty-printing) and binary as hex or base64.
 * Every parser returns the bytes or a message a person can act on, never throws.
 */
import type { WireCommand } from '../shared/protocol';
import { bytesToBase64 } from '../shared/wire';

export type EditFormat = 'text' | 'hex' | 'base64';

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON check for a text payload: undefined when it is not JSON-looking, else ok or the parser's message. */
export function checkJson(text: string): { ok: true } | { ok: false; error: string } | undefined {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    JSON.parse(text);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: `Invalid JSON: ${(error as Error).message}` };
  }
}

/** Pretty-prints JSON with two spaces; an error message when the text is not JSON. */
export function prettyPrintJson(text: string): Parsed<string> {
  try {
    return { ok: true, value: JSON.stringify(JSON.parse(text), null, 2) };
  } catch (error) {
    return { ok: false, error: `Invalid JSON: ${(error as Error).message}` };
  }
}

/** Compacts JSON onto one line (what most servers expect on the wire). */
export function compactJson(text: string): Parsed<string> {
  try {
    return { ok: true, value: JSON.stringify(JSON.parse(text)) };
  } catch (error) {
    return { ok: false, error: `Invalid JSON: ${(error as Error).message}` };
  }
}

/** Bytes as spaced hex pairs, 16 to a line. */
export function bytesToHex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const line: string[] = [];
    for (let j = i; j < Math.min(i + 16, bytes.length); j++) line.push(bytes[j].toString(16).padStart(2, '0'));
    lines.push(line.join(' '));
  }
  return lines.join('\n');
}

/** Hex to bytes: whitespace, `0x` prefixes, `:` and `,` separators are allowed; anything else is reported by position. */
export function hexToBytes(hex: string): Parsed<Uint8Array> {
  const digits: string[] = [];
  const cleaned = hex.replace(/0x/gi, '  ');
  for (let i = 0; i < cleaned.length; i++) {
    const c = cleaned[i];
    if (/\s|[:,]/.test(c)) continue;
    if (!/[0-9a-fA-F]/.test(c)) return { ok: false, error: `Not a hex digit at position ${i + 1}: "${c}"` };
    digits.push(c);
  }
  if (digits.length % 2 !== 0) return { ok: false, error: `Odd number of hex digits (${digits.length}): each byte needs two.` };
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits[2 * i] + digits[2 * i + 1], 16);
  return { ok: true, value: bytes };
}

/** Base64 (standard or URL-safe, padding optional, whitespace ignored) to bytes. */
export function base64ToBytesChecked(text: string): Parsed<Uint8Array> {
  const compact = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  const bad = compact.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return { ok: false, error: `Not a base64 character: "${compact[bad]}"` };
  const body = compact.replace(/=+$/, '');
  if (body.includes('=')) return { ok: false, error: 'Base64 padding "=" may only appear at the end.' };
  if (body.length % 4 === 1) return { ok: false, error: 'Base64 text has a stray character at the end (length is one more than a multiple of 4).' };
  const padded = body + '='.repeat((4 - (body.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return { ok: true, value: bytes };
}

/** Renders bytes in the chosen binary format. */
export function formatBytes(bytes: Uint8Array, format: 'hex' | 'base64'): string {
  return format === 'hex' ? bytesToHex(bytes) : bytesToBase64(bytes);
}

/** Parses edited binary text in the chosen format. */
export function parseBytes(text: string, format: 'hex' | 'base64'): Parsed<Uint8Array> {
  return format === 'hex' ? hexToBytes(text) : base64ToBytesChecked(text);
}

/** Switches an edited binary text between hex and base64, keeping the bytes; fails (and keeps the text) if it does not parse. */
export function convertBinaryText(text: string, from: 'hex' | 'base64', to: 'hex' | 'base64'): Parsed<string> {
  if (from === to) return { ok: true, value: text };
  const parsed = parseBytes(text, from);
  return parsed.ok ? { ok: true, value: formatBytes(parsed.value, to) } : parsed;
}

/** The name of the editors' deliberate override for text that looks like JSON but does not parse. */
export const SEND_AS_TEXT_ANYWAY = 'Send as text anyway';

/**
 * An editor's content as the wire encoding the protocol carries: text as is, binary as base64. Text that looks
 * like JSON but does not parse is refused unless `invalidJsonAsText` says the person chose to send it anyway
 * (issue #23: never a silent send under a red "Invalid JSON").
 */
export function toEncodedPayload(text: string, format: EditFormat, invalidJsonAsText = false): Parsed<{ encoding: 'text' | 'base64'; payload: string }> {
  if (format === 'text') {
    const json = invalidJsonAsText ? undefined : checkJson(text);
    if (json && !json.ok) return { ok: false, error: `${json.error}. Fix it, or tick "${SEND_AS_TEXT_ANYWAY}".` };
    return { ok: true, value: { encoding: 'text', payload: text } };
  }
  const parsed = parseBytes(text, format);
  return parsed.ok ? { ok: true, value: { encoding: 'base64', payload: bytesToBase64(parsed.value) } } : parsed;
}

export type PayloadAction = 'send' | 'simulate-receive';

/**
 * Sends an editor's payload on a live connection, or delivers it to the page as received, through `run` (the
 * panel's page command), and says how it went in one wording for every editor that does this.
 */
export async function actOnPayload(
  run: (command: WireCommand) => Promise<{ ok: boolean; error?: string }>,
  kind: PayloadAction,
  connectionId: string,
  text: string,
  format: EditFormat,
  invalidJsonAsText = false,
): Promise<{ ok: boolean; text: string }> {
  const encoded = toEncodedPayload(text, format, invalidJsonAsText);
  if (!encoded.ok) return { ok: false, text: `Not sent: ${encoded.error}` };
  const result = await run({ kind, connectionId, ...encoded.value });
  if (result.ok) return { ok: true, text: kind === 'send' ? 'Sent on the live connection.' : 'Delivered to the page as a received message.' };
  return { ok: false, text: `${kind === 'send' ? 'Could not send' : 'Could not simulate'}: ${result.error ?? 'unknown error'}` };
}
