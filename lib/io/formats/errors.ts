/**
 * Errors for files we cannot read. Every message names the problem and where it is (a JSON path such as
 * `entries[3]._webSocketMessages[12]`, or a line and column for JSON syntax), so the user can fix the file.
 */
export class FormatError extends Error {
  constructor(
    /** JSON path of the offending value ('' for the whole file). */
    readonly where: string,
    readonly problem: string,
  ) {
    super(where ? `${where}: ${problem}` : problem);
    this.name = 'FormatError';
  }
}

type JsonType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'integer';

export function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return Number.isFinite(value) ? 'a number' : 'not a finite number';
  return typeof value;
}

function matches(value: unknown, type: JsonType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
  }
}

const ARTICLE: Record<JsonType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

type Obj = Record<string, unknown>;

/** A required field of the given type; throws "where: missing 'key'" or "where.key: expected …, got …". */
export function required<T>(obj: Obj, key: string, type: JsonType, where: string): T {
  if (!(key in obj) || obj[key] === undefined) throw new FormatError(where, `missing '${key}'`);
  const value = obj[key];
  if (!matches(value, type)) throw new FormatError(join(where, key), `expected ${ARTICLE[type]}, got ${typeOf(value)}`);
  return value as T;
}

/** An optional field: undefined when absent (or null), else it must have the type. */
export function optional<T>(obj: Obj, key: string, type: JsonType, where: string): T | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!matches(value, type)) throw new FormatError(join(where, key), `expected ${ARTICLE[type]}, got ${typeOf(value)}`);
  return value as T;
}

export function asObject(value: unknown, where: string): Obj {
  if (!matches(value, 'object')) throw new FormatError(where, `expected an object, got ${typeOf(value)}`);
  return value as Obj;
}

export function join(where: string, key: string | number): string {
  if (typeof key === 'number') return `${where}[${key}]`;
  return where ? `${where}.${key}` : key;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}

/**
 * JSON.parse with a message that says where the syntax breaks (line and column) and calls a file that simply
 * stops "truncated". Engines word their errors differently and V8 often gives no position, so on failure the text
 * is scanned once more by `findJsonSyntaxError`.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') throw new FormatError('', 'the file is empty');
    const found = findJsonSyntaxError(text);
    if (!found) throw new FormatError('', `invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
    if (found.offset >= text.length) {
      throw new FormatError('', `the file is truncated: the JSON ends before it is complete (at ${lineColumn(text, text.length)})`);
    }
    throw new FormatError('', `invalid JSON at ${lineColumn(text, found.offset)}: ${found.problem}`);
  }
}

/** The first JSON syntax error in `text` (offset === text.length: it ends early), or null when it is valid. */
export function findJsonSyntaxError(text: string): { offset: number; problem: string } | null {
  let i = 0;
  const n = text.length;
  const fail = (problem: string, at = i) => ({ offset: at, problem });
  const unexpected = () => fail(i >= n ? 'unexpected end' : `unexpected ${JSON.stringify(text[i]).replace(/^"|"$/g, "'")}`);
  const space = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  // An explicit stack instead of recursion: a hostile file may nest a million arrays.
  const stack: ('{' | '[')[] = [];
  type Step = { offset: number; problem: string } | null;
  const string = (): Step => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return null;
      }
      if (c < 0x20) return fail('control character in a string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === undefined) return fail('unexpected end', n);
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return i + 6 > n && /^[0-9a-fA-F]*$/.test(text.slice(i + 2)) ? fail('unexpected end', n) : fail('bad \\u escape');
          i += 6;
        } else if ('"\\/bfnrt'.includes(e)) i += 2;
        else return fail('bad escape');
      } else i++;
    }
    return fail('unexpected end', n);
  };
  const scalar = (): Step => {
    const c = text[i];
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return null;
      }
      if (word.startsWith(text.slice(i, n)) && i < n) return fail('unexpected end', n);
    }
    const number = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
    number.lastIndex = i;
    const m = number.exec(text);
    if (m && m[0].length > 0 && m[0] !== '-') {
      i += m[0].length;
      return null;
    }
    return unexpected();
  };
  /** An object member's name and its colon. */
  const memberName = (): Step => {
    if (text[i] !== '"') return unexpected();
    const err = string();
    if (err) return err;
    space();
    if (text[i] !== ':') return unexpected();
    i++;
    return null;
  };
  space();
  for (;;) {
    // Expecting a value.
    space();
    if (i >= n) return fail('unexpected end', n);
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      space();
      if (c === '{') {
        if (text[i] === '}') {
          stack.pop();
          i++;
        } else {
          const err = memberName();
          if (err) return err;
          continue;
        }
      } else if (text[i] === ']') {
        stack.pop();
        i++;
      } else continue;
    } else {
      const err = scalar();
      if (err) return err;
    }
    // After a value: a comma, a closing bracket, or the end.
    for (;;) {
      space();
      const top = stack[stack.length - 1];
      if (!top) {
        if (i < n) return fail(`unexpected ${JSON.stringify(text[i]).replace(/^"|"$/g, "'")} after the end of the JSON`);
        return null;
      }
      if (i >= n) return fail('unexpected end', n);
      if (text[i] === ',') {
        i++;
        space();
        if (top === '{') {
          const err = memberName();
          if (err) return err;
        }
        break;
      }
      if ((top === '{' && text[i] === '}') || (top === '[' && text[i] === ']')) {
        stack.pop();
        i++;
        continue;
      }
      return unexpected();
    }
  }
}

export function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}
