import { describe, expect, it } from 'vitest';
import { parseJsonPath } from '../../../lib/analysis/json-diff';
import { diffPayloads } from '../../../lib/analysis/payload-diff';
import { diffLineLists, hexLines, sideBySideRows } from '../../../lib/analysis/text-diff';

const compact = (rows: ReturnType<typeof sideBySideRows>) => rows.map((r) => [r.kind, r.left && `${r.left.line}:${r.left.text}`, r.right && `${r.right.line}:${r.right.text}`]);

describe('sideBySideRows', () => {
  it('pairs a removed run with the added run after it as changed rows, the rest on one side', () => {
    const { runs, exact } = diffLineLists(['a', 'b', 'c', 'd'], ['a', 'B', 'C', 'X', 'd', 'e']);
    expect(exact).toBe(true);
    expect(compact(sideBySideRows(runs))).toEqual([
      ['same', '1:a', '1:a'],
      ['changed', '2:b', '2:B'],
      ['changed', '3:c', '3:C'],
      ['added', null, '4:X'],
      ['same', '4:d', '5:d'],
      ['added', null, '6:e'],
    ]);
  });

  it('shows lone removals with an empty right side', () => {
    expect(compact(sideBySideRows(diffLineLists(['a', 'b', 'c'], ['a', 'c']).runs))).toEqual([
      ['same', '1:a', '1:a'],
      ['removed', '2:b', null],
      ['same', '3:c', '2:c'],
    ]);
  });

  it('gives up past maxEditLength: all removed then all added, paired', () => {
    const diff = diffLineLists(['1', '2', '3'], ['4', '5', '6'], { maxEditLength: 1 });
    expect(diff.exact).toBe(false);
    expect(compact(sideBySideRows(diff.runs))).toEqual([
      ['changed', '1:1', '1:4'],
      ['changed', '2:2', '2:5'],
      ['changed', '3:3', '3:6'],
    ]);
  });
});

describe('diffPayloads', () => {
  it('JSON: changes by path and rows of both pretty-printed', () => {
    const diff = diffPayloads('{"a":1,"b":[1,2]}', '{"a":2,"b":[1,2,3]}');
    expect(diff.mode).toBe('json');
    expect(diff.identical).toBe(false);
    expect(diff.json!.changes.map((c) => `${c.kind} ${c.path}`)).toEqual(['changed $.a', 'added $.b[2]']);
    expect(diff.notes.join(' ')).toMatch(/arrays by index/);
    expect(compact(diff.rows).filter((r) => r[0] !== 'same')).toEqual([
      ['changed', '2:  "a": 1,', '2:  "a": 2,'],
      ['changed', '5:    2', '5:    2,'],
      ['added', null, '6:    3'],
    ]);
  });

  it('JSON with ignored paths is identical when only those differ', () => {
    const diff = diffPayloads('{"ts":1,"v":1}', '{"ts":2,"v":1}', { ignore: [parseJsonPath('$.ts')] });
    expect(diff.identical).toBe(true);
    expect(diff.json!.changes).toEqual([]);
  });

  it('falls back to a line diff when either side is not JSON', () => {
    const diff = diffPayloads('hello\nworld', '{"hello":1}');
    expect(diff.mode).toBe('text');
    expect(diff.json).toBeNull();
    expect(compact(diff.rows)).toEqual([
      ['changed', '1:hello', '1:{"hello":1}'],
      ['removed', '2:world', null],
    ]);
    expect(diffPayloads('same\r\ntext', 'same\ntext')).toMatchObject({ mode: 'text', identical: false });
    expect(diffPayloads('a\nb', 'a\nb')).toMatchObject({ mode: 'text', identical: true });
  });

  it('binary: compared as hex lines', () => {
    const a = new Uint8Array(40).map((_, i) => i);
    const b = a.slice();
    b[20] = 0xff;
    const diff = diffPayloads(a, b.buffer);
    expect(diff.mode).toBe('binary');
    expect(diff.identical).toBe(false);
    expect(compact(diff.rows).map((r) => r[0])).toEqual(['same', 'changed', 'same']);
    expect(diff.rows[1].right!.text).toBe('00000010  10 11 12 13 ff 15 16 17 18 19 1a 1b 1c 1d 1e 1f  ................');
    expect(hexLines(new TextEncoder().encode('AB'))).toEqual(['00000000  41 42' + ' '.repeat(42) + '  AB']);
    expect(diffPayloads(a, a.slice()).identical).toBe(true);
  });

  it('text against binary: both as bytes, with a note', () => {
    const diff = diffPayloads('AB', new Uint8Array([0x41, 0x42]));
    expect(diff).toMatchObject({ mode: 'binary', identical: true });
    expect(diff.notes[0]).toMatch(/one message is text and the other binary/i);
  });

  it('caps each side at maxBytes with a note', () => {
    const big = 'x'.repeat(3000);
    const diff = diffPayloads(big, big + 'y', { maxBytes: 1024 });
    expect(diff.identical).toBe(true);
    expect(diff.notes).toEqual([
      'The left payload is 2.9 KiB: only its first 1.0 KiB is compared.',
      'The right payload is 2.9 KiB: only its first 1.0 KiB is compared.',
    ]);
  });

  it('a 1 MiB side with every line different stays bounded', () => {
    const left = Array.from({ length: 60_000 }, (_, i) => `line ${i}`).join('\n');
    const right = Array.from({ length: 60_000 }, (_, i) => `LINE ${i}`).join('\n');
    const started = performance.now();
    const diff = diffPayloads(left, right);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(diff.rows).toHaveLength(60_000);
    expect(diff.notes.join(' ')).toMatch(/Too many lines differ/);
  });
});
