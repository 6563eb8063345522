import { describe, expect, it } from 'vitest';
import { ALL_SITES, defaultScope, isAllSites, pageOrigin, scopeText } from '@/lib/panel/rule-scope';

describe('rule scope', () => {
  it('defaults a new rule to the inspected page\'s origin, all sites only without one', () => {
    expect(defaultScope('https://app.example:8443/path?q=1#x')).toBe('https://app.example:8443');
    expect(defaultScope('http://myapp.test/')).toBe('http://myapp.test');
    expect(defaultScope(undefined)).toBe(ALL_SITES);
    expect(defaultScope('')).toBe(ALL_SITES);
    expect(defaultScope('about:blank')).toBe(ALL_SITES);
    expect(defaultScope('not a url')).toBe(ALL_SITES);
    expect(pageOrigin('chrome-extension://abc/panel.html')).toBeUndefined();
  });

  it('says where a rule applies; rules from before scopes apply everywhere', () => {
    expect(scopeText({ scope: 'https://a.example' })).toBe('Applies to https://a.example');
    expect(scopeText({ scope: '*' })).toBe('All sites');
    expect(scopeText({})).toBe('All sites');
    expect(isAllSites(undefined)).toBe(true);
    expect(isAllSites('https://a.example')).toBe(false);
  });
});
