import { describe, expect, it } from 'vitest';
import { diffJson, formatJsonPath, JsonPathError, parseJsonPath } from '../../../lib/analysis/json-diff';

const summary = (before: unknown, after: unknown, ignore: string[] = []) =>
  diffJson(before, after, { ignore: ignore.map(parseJsonPath) }).changes.map((c) => [c.kind, c.path, c.before, c.after]);

describe('diffJson', () => {
  it('lists added, removed and changed paths, nested, in document order', () => {
    expect(summary({ a: 1, b: { c: 'x', d: true }, e: null }, { a: 2, b: { c: 'x', f: [1] }, g: 0 })).toEqual([
      ['changed', '$.a', 1, 2],
      ['removed', '$.b.d', true, undefined],
      ['added', '$.b.f', undefined, [1]],
      ['removed', '$.e', null, undefined],
      ['added', '$.g', undefined, 0],
    ]);
  });

  it('keeps before/after keys only where they exist (an added null is not a removal)', () => {
    const [added] = diffJson({}, { x: null }).changes;
    expect(added).toEqual({ kind: 'added', path: '$.x', segments: ['x'], after: null });
    expect('before' in added).toBe(false);
  });

  it('compares arrays by index', () => {
    expect(summary({ items: [1, 2, 3] }, { items: [0, 1, 2, 3] })).toEqual([
      ['changed', '$.items[0]', 1, 0],
      ['changed', '$.items[1]', 2, 1],
      ['changed', '$.items[2]', 3, 2],
      ['added', '$.items[3]', undefined, 3],
    ]);
    expect(summary([{ id: 1 }, { id: 2 }], [{ id: 1 }])).toEqual([['removed', '$[1]', { id: 2 }, undefined]]);
  });

  it('reports a type change once at its path, and nothing for equal documents with other key order', () => {
    expect(summary({ a: { b: 1 } }, { a: [1] })).toEqual([['changed', '$.a', { b: 1 }, [1]]]);
    expect(summary({ a: 1 }, { a: '1' })).toEqual([['changed', '$.a', 1, '1']]);
    expect(summary({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toEqual([]);
    expect(summary(1, 2)).toEqual([['changed', '$', 1, 2]]);
  });

  it('names odd keys with brackets', () => {
    expect(summary({ 'a key': 1, 'x.y': 2, '0': 3 }, { 'a key': 2, 'x.y': 3, '0': 4 }).map((c) => c[1])).toEqual(['$["0"]', '$["a key"]', '$["x.y"]']);
    expect(formatJsonPath(['a', 0, 'b"c', '$ok'])).toBe('$.a[0]["b\\"c"].$ok');
  });

  it('leaves out ignored paths and everything under them, with * for any key or index', () => {
    const before = { ts: 1, id: 'a', data: { ts: 5, v: 1 }, items: [{ ts: 1, v: 1 }, { ts: 2, v: 2 }] };
    const after = { ts: 2, id: 'b', data: { ts: 6, v: 1 }, items: [{ ts: 3, v: 1 }, { ts: 4, v: 3 }] };
    expect(summary(before, after, ['$.ts', '$.id', '$.items[*].ts', "$['data']"])).toEqual([['changed', '$.items[1].v', 2, 3]]);
    expect(summary(before, after, ['$.*'])).toEqual([]);
    expect(summary({ a: 1 }, { a: 1, added: 2 }, ['$.added'])).toEqual([]);
  });

  it('stops at maxChanges and says so', () => {
    const diff = diffJson(Array.from({ length: 50 }, (_, i) => i), Array.from({ length: 50 }, (_, i) => i + 1), { maxChanges: 10 });
    expect(diff.changes).toHaveLength(10);
    expect(diff.truncated).toBe(true);
  });

  it('survives nesting deeper than a recursive walk can go', () => {
    const deep = (n: number, leaf: number) => JSON.parse('['.repeat(n) + leaf + ']'.repeat(n)) as unknown;
    const diff = diffJson(deep(20_000, 1), deep(20_000, 2));
    expect(diff.changes).toHaveLength(1);
    expect(diff.changes[0].segments).toHaveLength(500);
    expect(diffJson(deep(20_000, 1), deep(20_000, 1)).changes).toEqual([]);
  });
});

describe('parseJsonPath', () => {
  it('parses dots, indexes, quoted keys and wildcards', () => {
    expect(parseJsonPath('$')).toEqual([]);
    expect(parseJsonPath('$.a.b[2]')).toEqual(['a', 'b', 2]);
    expect(parseJsonPath('$["a key"][\'it\\\'s\'].*[*]')).toEqual(['a key', "it's", { any: true }, { any: true }]);
  });

  it('refuses what it does not understand, saying why', () => {
    expect(() => parseJsonPath('ts')).toThrow(JsonPathError);
    expect(() => parseJsonPath('ts')).toThrow(/starts with \$/);
    expect(() => parseJsonPath('$..ts')).toThrow(/not supported/);
    expect(() => parseJsonPath('$.a[x]')).toThrow(/bracket/);
    expect(() => parseJsonPath('$.')).toThrow(/key is missing/);
  });
});
