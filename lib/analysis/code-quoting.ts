/**
 * String literals for copied code: POSIX shell words, JavaScript and Python string literals. Each returns a
 * literal that evaluates to exactly the given string. Payloads and URLs come from a hostile page, so in JS and
 * Python every invisible or layout-changing character (controls, bidirectional overrides, zero-width and other
 * format characters, line/paragraph separators: Unicode categories Cc, Cf, Zl, Zp, Cs) is written as an escape,
 * so what the reader sees is what runs ("Trojan Source", CVE-2021-42574). POSIX single quotes have no escapes:
 * `hasInvisibleCharacters` lets a shell command say that such a payload is carried raw.
 */

/** Characters a reader cannot see or that reorder what they see. \n and \t are visible enough to keep raw in shell words. */
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
const INVISIBLE_ALL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/** True when the text has characters a shell word would carry raw but a reader cannot see (other than \n and \t). */
export function hasInvisibleCharacters(text: string): boolean {
  return INVISIBLE.test(text.replace(/[\n\t]/g, ''));
}

/** A POSIX shell word for `text`: single quotes, each `'` written as `'\''`. Shell words cannot hold NUL. */
export function shellQuote(text: string): string {
  if (text.includes('\0')) throw new Error('a shell word cannot hold a NUL character');
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\', '"': '\\"' };

/** A double-quoted JavaScript string literal. */
export function jsString(text: string): string {
  const body = text.replace(/[\n\r\t\\"]/g, (c) => SHORT[c]).replace(INVISIBLE_ALL, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${hex(code, 1)}}` : `\\u${hex(code, 4)}`;
  });
  return `"${body}"`;
}

/** A double-quoted Python 3 string literal (source files are UTF-8: visible non-ASCII characters stay as they are). */
export function pythonString(text: string): string {
  const body = text.replace(/[\n\r\t\\"]/g, (c) => SHORT[c]).replace(INVISIBLE_ALL, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${hex(code, 2)}` : code > 0xffff ? `\\U${hex(code, 8)}` : `\\u${hex(code, 4)}`;
  });
  return `"${body}"`;
}
