import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import { findCycles, importsOf } from '../../scripts/import-cycles.mjs';

describe('import-cycles', () => {
  it('finds a cycle of any length, and none in a tree', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['d']],
      ['self', ['self']],
    ]);
    expect(findCycles(graph)).toEqual([['a', 'b', 'c']]);
    expect(findCycles(new Map([['x', ['y']], ['y', []]]))).toEqual([]);
  });

  it('counts type imports and re-exports, not packages', () => {
    const root = process.cwd();
    const file = `${root}/lib/shared/packed-batch.ts`;
    const source = "import type { A } from './protocol';\nexport { B } from './wire';\nimport { openDB } from 'idb';\n";
    expect(importsOf(root, file, source).map((p: string) => p.slice(root.length))).toEqual(['/lib/shared/protocol/index.ts', '/lib/shared/wire.ts']);
  });
});
