// keyRange: the one place the store spells out a share of its compound keys (lib/store/schema.ts).
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { keyRange } from '@/lib/store/schema';

describe('keyRange', () => {
  it('holds every key of its prefix ending in a number in [from, to], bounds included, and no other prefix’s', () => {
    const session = keyRange(['s']);
    for (const key of [['s', -Infinity], ['s', 0], ['s', 1e9], ['s', Infinity]]) expect(session.includes(key)).toBe(true);
    for (const key of [['s2', 0], ['r', 0], ['s', 'x']]) expect(session.includes(key)).toBe(false);

    const window = keyRange(['s', 'a'], 2, 4);
    for (const key of [['s', 'a', 2], ['s', 'a', 3.5], ['s', 'a', 4]]) expect(window.includes(key)).toBe(true);
    for (const key of [['s', 'a', 1], ['s', 'a', 5], ['s', 'b', 3], ['s', 'ab', 3]]) expect(window.includes(key)).toBe(false);

    const tab = keyRange([7], -Infinity, 10);
    expect([tab.includes([7, 10]), tab.includes([7, 11]), tab.includes([8, 0])]).toEqual([true, false, false]);
  });
});
