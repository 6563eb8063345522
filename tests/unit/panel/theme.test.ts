import { describe, expect, it } from 'vitest';
import { resolveTheme } from '@/lib/panel/theme';

describe('resolveTheme', () => {
  it('takes ?theme= first, then DevTools’ theme, then the system’s', () => {
    expect(resolveTheme('dark', 'default', false)).toBe('dark');
    expect(resolveTheme('light', 'dark', true)).toBe('light');
    expect(resolveTheme(null, 'dark', false)).toBe('dark');
    expect(resolveTheme('bogus', 'default', true)).toBe('light');
    expect(resolveTheme(null, undefined, true)).toBe('dark');
    expect(resolveTheme(null, undefined, false)).toBe('light');
  });
});
