/**
 * A JSON-aware diff: the changes between two parsed JSON values as a list of JSON paths (`$.a.b[2]`), each
 * added, removed or changed (old → new). Pure; used by the panel's diff view (through payload-diff.ts) and by
 * `ws-inspector replay --expect --ignore`.
 *
 * API
 * - `diffJson(before, after, { ignore?, maxChanges? }) → JsonDiff`: the changes, in document order.
 *   - Objects are compared by key (key order does not matter); arrays **by index**: an element inserted at the
 *     front shows as every later index changed plus one added at the end (no move detection: indexes are what
 *     a `$.items[3]` path names, and what a test that ignores `$.items[0].ts` means).
 *   - A value whose type changes (object → array, number → string, …) is one `changed` at its path.
 *   - `ignore`: parsed JSON paths (see `parseJsonPath`); a change at or below an ignored path is left out.
 * - `parseJsonPath(text) → JsonPathPattern` (throws `JsonPathError`): `$`, `.key`, `['key']`, `["key"]`, `[3]`,
 *   and `*` / `[*]` for any key or index. Enough for the fields a test wants to ignore; not filters or `..`.
 * - `formatJsonPath(segments) → string`: the path as `$.a["odd key"][2]` (dots where the key is an identifier).
 * - `parseJson(text) → { ok: true, value } | { ok: false }`: JSON.parse without throwing.
 */

export type JsonPathSegment = string | number;

export type JsonChangeKind = 'added' | 'removed' | 'changed';

export interface JsonChange {
  kind: JsonChangeKind;
  /** The path as text, e.g. `$.items[2].name`. */
  path: string;
  segments: JsonPathSegment[];
  /** The old value (removed, changed). */
  before?: unknown;
  /** The new value (added, changed). */
  after?: unknown;
}

export interface JsonDiff {
  changes: JsonChange[];
  /** True when more than maxChanges changes were found: `changes` holds the first maxChanges. */
  truncated: boolean;
}

/** A parsed path pattern: a key, an index, or '*' (any key or index). */
export type JsonPathPattern = Array<JsonPathSegment | { any: true }>;

export class JsonPathError extends Error {}

export interface JsonDiffOptions {
  ignore?: readonly JsonPathPattern[];
  /** Stop collecting after this many changes (default 10,000): a diff of two huge documents stays bounded. */
  maxChanges?: number;
}

const MAX_DEPTH = 500;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function parseJsonPath(text: string): JsonPathPattern {
  const pattern: JsonPathPattern = [];
  const fail = (why: string): never => {
    throw new JsonPathError(`${JSON.stringify(text)}: ${why} (expected a path like $.ts, $.items[0].id, $["a key"] or $.items[*].ts)`);
  };
  if (!text.startsWith('$')) fail('a JSON path starts with $');
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') fail('.. (any depth) is not supported');
      const match = /^(\*|[^.[\]]+)/.exec(text.slice(i + 1));
      if (!match) fail(`a key is missing after the dot at character ${i + 1}`);
      pattern.push(match![1] === '*' ? { any: true } : match![1]);
      i += 1 + match![1].length;
    } else if (c === '[') {
      const rest = text.slice(i);
      const index = /^\[(\d+|\*)\]/.exec(rest);
      if (index) {
        pattern.push(index[1] === '*' ? { any: true } : Number(index[1]));
        i += index[0].length;
        continue;
      }
      const quoted = /^\[("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\]/.exec(rest);
      if (!quoted) fail(`a bracket at character ${i + 1} holds neither an index, * nor a quoted key`);
      const literal = quoted![1];
      // Single-quoted keys: turned into a JSON string (swap the quotes, escape inner double quotes).
      const json = literal.startsWith('"') ? literal : `"${literal.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`;
      try {
        pattern.push(JSON.parse(json) as string);
      } catch {
        fail(`the key ${literal} is not a valid quoted string`);
      }
      i += quoted![0].length;
    } else {
      fail(`unexpected ${JSON.stringify(c)} at character ${i + 1}`);
    }
  }
  return pattern;
}

/** True when `segments` is at or below the pattern's path (an ignored field's children are ignored too). */
function matchesPrefix(pattern: JsonPathPattern, segments: readonly JsonPathSegment[]): boolean {
  if (segments.length < pattern.length) return false;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (typeof p === 'object') continue;
    if (p !== segments[i]) return false;
  }
  return true;
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

type Shape = 'object' | 'array' | 'primitive';
const shapeOf = (v: unknown): Shape => (Array.isArray(v) ? 'array' : v !== null && typeof v === 'object' ? 'object' : 'primitive');
/** Deep equality of two JSON values with an explicit stack: no depth is too deep for it. */
function deepEqual(b: unknown, a: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[b, a]];
  while (stack.length > 0) {
    const [x, y] = stack.pop()!;
    const sx = shapeOf(x);
    if (sx !== shapeOf(y)) return false;
    if (sx === 'primitive') {
      if (x !== y) return false;
    } else if (sx === 'array') {
      const xa = x as unknown[];
      const ya = y as unknown[];
      if (xa.length !== ya.length) return false;
      for (let i = 0; i < xa.length; i++) stack.push([xa[i], ya[i]]);
    } else {
      const xo = x as Record<string, unknown>;
      const yo = y as Record<string, unknown>;
      const keys = Object.keys(xo);
      if (keys.length !== Object.keys(yo).length) return false;
      for (const k of keys) {
        if (!hasOwn(yo, k)) return false;
        stack.push([xo[k], yo[k]]);
      }
    }
  }
  return true;
}
const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function diffJson(before: unknown, after: unknown, options: JsonDiffOptions = {}): JsonDiff {
  const ignore = options.ignore ?? [];
  const max = options.maxChanges ?? 10_000;
  const changes: JsonChange[] = [];
  let truncated = false;
  const path: JsonPathSegment[] = [];

  const ignored = () => ignore.some((p) => matchesPrefix(p, path));
  const push = (kind: JsonChangeKind, b: unknown, a: unknown, has: { before: boolean; after: boolean }) => {
    if (ignored()) return;
    if (changes.length >= max) {
      truncated = true;
      return;
    }
    const change: JsonChange = { kind, path: formatJsonPath(path), segments: [...path] };
    if (has.before) change.before = b;
    if (has.after) change.after = a;
    changes.push(change);
  };

  const walk = (b: unknown, a: unknown) => {
    if (truncated || ignored()) return;
    const sb = shapeOf(b);
    const sa = shapeOf(a);
    // JSON.parse takes nesting far deeper than a recursive walk can: past MAX_DEPTH, whole subtrees are compared.
    if (path.length >= MAX_DEPTH && sb !== 'primitive') {
      if (!deepEqual(b, a)) push('changed', b, a, { before: true, after: true });
      return;
    }
    if (sb !== sa) {
      push('changed', b, a, { before: true, after: true });
      return;
    }
    if (sb === 'primitive') {
      if (b !== a) push('changed', b, a, { before: true, after: true });
      return;
    }
    if (sb === 'array') {
      const x = b as unknown[];
      const y = a as unknown[];
      const n = Math.max(x.length, y.length);
      for (let i = 0; i < n && !truncated; i++) {
        path.push(i);
        if (i >= y.length) push('removed', x[i], undefined, { before: true, after: false });
        else if (i >= x.length) push('added', undefined, y[i], { before: false, after: true });
        else walk(x[i], y[i]);
        path.pop();
      }
      return;
    }
    const x = b as Record<string, unknown>;
    const y = a as Record<string, unknown>;
    // Keys in the old document's order, then keys only the new one has: changes read top to bottom.
    for (const key of Object.keys(x)) {
      if (truncated) return;
      path.push(key);
      if (!hasOwn(y, key)) push('removed', x[key], undefined, { before: true, after: false });
      else walk(x[key], y[key]);
      path.pop();
    }
    for (const key of Object.keys(y)) {
      if (truncated) return;
      if (hasOwn(x, key)) continue;
      path.push(key);
      push('added', undefined, y[key], { before: false, after: true });
      path.pop();
    }
  };
  walk(before, after);
  return { changes, truncated };
}
