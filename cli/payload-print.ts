/**
 * Payloads for the terminal: JSON pretty-printed, other text as it is, binary as a hex dump, and a one-line
 * summary; control characters are escaped so a server cannot drive the terminal.
 */
import type { ReplayMessage } from './replay-script';

export function hexDump(bytes: Uint8Array, indent = ''): string {
  if (bytes.length === 0) return `${indent}(empty)`;
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const slice = bytes.subarray(offset, offset + 16);
    const hex = [...slice].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...slice].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${indent}${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** Control characters (and the escape of terminal sequences) are shown escaped: a server cannot drive the terminal. */
export function safeText(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A payload for the terminal: JSON pretty-printed, other text as it is, binary as a hex dump. */
export function renderPayload(message: ReplayMessage, indent = '  '): string {
  if (message.opcode === 2) return hexDump(message.bytes ?? new Uint8Array(0), indent);
  const text = message.text ?? '';
  const trimmed = text.trim();
  if ((trimmed.startsWith('{') && trimmed.endsWith('}')) || (trimmed.startsWith('[') && trimmed.endsWith(']'))) {
    try {
      return safeText(JSON.stringify(JSON.parse(trimmed), null, 2)).split('\n').map((l) => indent + l).join('\n');
    } catch {
      // not JSON after all: print as text
    }
  }
  return safeText(text).split('\n').map((l) => indent + l).join('\n');
}

export function byteLength(message: ReplayMessage): number {
  return message.opcode === 2 ? (message.bytes?.length ?? 0) : Buffer.byteLength(message.text ?? '');
}

/** One line about a message: its type, size and the start of its payload. */
export function describeMessage(message: ReplayMessage): string {
  if (message.opcode === 2) {
    const bytes = message.bytes ?? new Uint8Array(0);
    const head = [...bytes.subarray(0, 32)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    return `binary ${bytes.length} B: ${head}${bytes.length > 32 ? ' …' : ''}`;
  }
  const text = message.text ?? '';
  const quoted = safeText(JSON.stringify(text.length > 200 ? text.slice(0, 200) : text));
  return `text ${Buffer.byteLength(text)} B: ${quoted}${text.length > 200 ? ' …' : ''}`;
}

