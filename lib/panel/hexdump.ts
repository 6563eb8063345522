/**
 * Hex views of binary payloads: the classic dump (offset, 16 bytes of hex, ASCII column) computed one window of
 * lines at a time, so a multi-megabyte frame never becomes one giant string, and the plain hex string copied by
 * "Copy as hex".
 */

export const BYTES_PER_LINE = 16;

export interface HexLine {
  /** Offset of the line's first byte, 8 hex digits. */
  offset: string;
  /** Hex pairs separated by spaces, an extra space after the eighth byte, padded for a short last line. */
  hex: string;
  /** Printable ASCII (0x20–0x7e) as itself, everything else as ".". */
  ascii: string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function lineCount(byteLength: number): number {
  return Math.ceil(byteLength / BYTES_PER_LINE);
}

/** Lines [firstLine, firstLine + count) of the dump. */
export function hexDumpLines(bytes: Uint8Array, firstLine = 0, count = lineCount(bytes.length)): HexLine[] {
  const lines: HexLine[] = [];
  const last = Math.min(lineCount(bytes.length), firstLine + count);
  for (let line = Math.max(0, firstLine); line < last; line++) {
    const start = line * BYTES_PER_LINE;
    const end = Math.min(start + BYTES_PER_LINE, bytes.length);
    let hex = '';
    let ascii = '';
    for (let i = 0; i < BYTES_PER_LINE; i++) {
      if (i > 0) hex += i === 8 ? '  ' : ' ';
      const at = start + i;
      if (at < end) {
        const b = bytes[at];
        hex += HEX[b];
        ascii += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : '.';
      } else hex += '  ';
    }
    lines.push({ offset: start.toString(16).padStart(8, '0'), hex, ascii });
  }
  return lines;
}

/** The whole dump as text (what "Copy" of the hex view gives). */
export function hexDumpText(bytes: Uint8Array): string {
  return hexDumpLines(bytes)
    .map((l) => `${l.offset}  ${l.hex}  ${l.ascii}`)
    .join('\n');
}

/** Bytes as contiguous lowercase hex ("48656c6c6f"). */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}
