import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomId } from '../../lib/shared/random-id';

describe('randomId', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('is a version-4 UUID, different every time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('works where crypto.randomUUID does not exist (a plain-http page)', () => {
    const getRandomValues = crypto.getRandomValues.bind(crypto);
    vi.stubGlobal('crypto', { getRandomValues });
    expect(randomId()).toMatch(/^[0-9a-f-]{36}$/);
  });
});
