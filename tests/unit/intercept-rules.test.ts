import { describe, expect, it } from 'vitest';
import { compileRules, decide, rulesForOrigin, scopeMatches, validateRule, type InterceptRule } from '@/lib/shared/intercept-rules';

const rule = (fields: Partial<InterceptRule>): InterceptRule => ({
  id: 'r', name: 'r', enabled: true, action: 'breakpoint', direction: 'both', urlPattern: '', pattern: '', regex: false, replacement: '', ...fields,
});

describe('intercept rules', () => {
  it('matches by direction, URL substring or glob, and text or regex pattern, first rule wins', () => {
    const rules = compileRules([
      rule({ name: 'sendOnly', direction: 'send', pattern: 'x' }),
      rule({ name: 'glob', urlPattern: 'wss://*.example.com/*', pattern: '^hi', regex: true }),
      rule({ name: 'sub', urlPattern: '/chat', pattern: '(literal)' }),
    ]);
    expect(decide(rules, 'send', 'ws://a/', 'xyz')?.rule.name).toBe('sendOnly');
    expect(decide(rules, 'receive', 'ws://a/', 'xyz')).toBeUndefined();
    expect(decide(rules, 'receive', 'wss://api.example.com/socket', 'hi there')?.rule.name).toBe('glob');
    expect(decide(rules, 'receive', 'wss://example.org/socket', 'hi there')).toBeUndefined();
    expect(decide(rules, 'receive', 'ws://h/chat?x', 'a (literal) b')?.rule.name).toBe('sub');
    expect(decide(rules, 'receive', 'ws://h/chat?x', 'a literal b')).toBeUndefined(); // text patterns are not regexes
  });

  it('binary frames only match rules without a pattern', () => {
    const rules = compileRules([rule({ name: 'text', pattern: 'a' }), rule({ name: 'any', action: 'block' })]);
    expect(decide(rules, 'send', 'ws://h/', undefined)?.rule.name).toBe('any');
  });

  it('replace rewrites every match, with regex groups, repeatedly (no lastIndex leaks)', () => {
    const rules = compileRules([rule({ action: 'replace', pattern: 'id-(\\d+)', regex: true, replacement: 'ID<$1>' })]);
    for (let i = 0; i < 3; i++) expect(decide(rules, 'send', 'ws://h/', 'id-1 and id-22')?.replaced).toBe('ID<1> and ID<22>');
    const literal = compileRules([rule({ action: 'replace', pattern: 'a.b', replacement: 'X' })]);
    expect(decide(literal, 'send', 'ws://h/', 'a.b axb')?.replaced).toBe('X axb');
  });

  it('skips disabled and invalid rules, and says why a rule is invalid', () => {
    expect(validateRule(rule({ regex: true, pattern: '(' }))).toMatch(/Invalid regular expression/);
    expect(validateRule(rule({ action: 'replace', pattern: '' }))).toMatch(/needs something to match/);
    const rules = compileRules([rule({ enabled: false }), rule({ regex: true, pattern: '(' }), rule({ name: 'ok', pattern: 'z' })]);
    expect(rules.map((r) => r.rule.name)).toEqual(['ok']);
  });

  it('uses only the natives it is given', () => {
    const rules = compileRules([rule({ pattern: 'q' })]);
    let calls = 0;
    const natives = { exec: (re: RegExp, t: string) => (calls++, RegExp.prototype.exec.call(re, t)), replace: () => '' };
    expect(decide(rules, 'send', 'ws://h/', 'q', natives)).toBeDefined();
    expect(calls).toBe(1);
  });

  it('scopes a rule to one page origin, or to every site (\'*\' or no scope, as rules saved before scopes)', () => {
    expect(scopeMatches(undefined, 'https://a.example')).toBe(true);
    expect(scopeMatches('*', 'https://a.example')).toBe(true);
    expect(scopeMatches('*', 'null')).toBe(true);
    expect(scopeMatches('https://a.example', 'https://a.example')).toBe(true);
    expect(scopeMatches('HTTPS://A.example/', 'https://a.example')).toBe(true);
    expect(scopeMatches('https://a.example', 'https://b.example')).toBe(false);
    expect(scopeMatches('https://a.example', 'http://a.example')).toBe(false);
    expect(scopeMatches('https://a.example', 'https://a.example:8443')).toBe(false);
    expect(scopeMatches('https://a.example', 'https://sub.a.example')).toBe(false);
    expect(scopeMatches('null', 'null')).toBe(false); // opaque origins share no rules but every site's
    const rules = [rule({ id: 'a', scope: 'https://a.example' }), rule({ id: 'b', scope: 'https://b.example' }), rule({ id: 'all', scope: '*' })];
    expect(rulesForOrigin(rules, 'https://b.example').map((r) => r.id)).toEqual(['b', 'all']);
  });
});
