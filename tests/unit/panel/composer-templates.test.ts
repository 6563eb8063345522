import { describe, expect, it } from 'vitest';
import { ComposerCounters, expandTemplate, isTemplate, liveContext, TEMPLATE_VARIABLES, type TemplateContext } from '@/lib/panel/composer-templates';

/** A fixed context: the clock at 2025-12-06T09:18:00.123Z, counter 7, numbered UUIDs and randoms. */
function fixed(): TemplateContext {
  let uuids = 0;
  let randoms = 0;
  return { now: Date.UTC(2025, 11, 6, 9, 18, 0, 123), counter: 7, uuid: () => `uuid-${++uuids}`, random: () => 100 + ++randoms };
}

const expanded = (template: string) => {
  const result = expandTemplate(template, fixed());
  if (!result.ok) throw new Error(result.error);
  return result.text;
};

describe('expandTemplate', () => {
  it('expands every variable where it stands, the rest of the text as is', () => {
    expect(expanded('{"t":{{timestamp}},"at":"{{iso}}","n":{{counter}}}')).toBe('{"t":1765012680123,"at":"2025-12-06T09:18:00.123Z","n":7}');
    expect(expanded('plain text, no variables')).toBe('plain text, no variables');
    expect(expanded('{{ counter }}')).toBe('7');
    expect(expanded('')).toBe('');
  });

  it('gives each {{uuid}} and {{random}} a fresh value, one instant to every time', () => {
    expect(expanded('{{uuid}} {{uuid}} {{random}} {{random}} {{timestamp}} {{timestamp}}')).toBe('uuid-1 uuid-2 101 102 1765012680123 1765012680123');
  });

  it('keeps \\{{ as a literal "{{" (the backslash dropped), and lone braces alone', () => {
    expect(expanded('\\{{uuid}} is {{uuid}}')).toBe('{{uuid}} is uuid-1');
    expect(expanded('a \\{{ b')).toBe('a {{ b');
    expect(expanded('{"a":{"b":1}}')).toBe('{"a":{"b":1}}');
    expect(expanded('a } b { c }}')).toBe('a } b { c }}');
  });

  it('refuses an unknown variable and names it, and an unclosed "{{"', () => {
    expect(expandTemplate('id={{uid}}', fixed())).toEqual({ ok: false, error: expect.stringMatching(/^Unknown variable \{\{uid\}\}\. Known: \{\{timestamp\}\}, .*\{\{random\}\}/) });
    expect(expandTemplate('{{}}', fixed())).toMatchObject({ ok: false, error: expect.stringContaining('Unknown variable {{}}') });
    expect(expandTemplate('x {{uuid', fixed())).toEqual({ ok: false, error: '"{{" at character 3 is never closed by "}}". Write \\{{ for a literal "{{".' });
    // An error anywhere refuses the whole message, even after good variables.
    expect(expandTemplate('{{uuid}} {{nope}}', fixed()).ok).toBe(false);
  });

  it('says when a text is a template', () => {
    expect(isTemplate('{{uuid}}')).toBe(true);
    expect(isTemplate('\\{{')).toBe(true);
    expect(isTemplate('{"a":1}')).toBe(false);
  });

  it('documents every variable it knows', () => {
    for (const v of TEMPLATE_VARIABLES) expect(expandTemplate(`{{${v.name}}}`, fixed()).ok).toBe(true);
    expect(TEMPLATE_VARIABLES.map((v) => v.name)).toEqual(['timestamp', 'iso', 'uuid', 'counter', 'random']);
  });
});

describe('liveContext', () => {
  it('makes real v4 UUIDs and 32-bit integers, different each call', () => {
    const context = liveContext(1, 5);
    const [a, b] = [context.uuid(), context.uuid()];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    const r = context.random();
    expect(Number.isInteger(r) && r >= 0 && r < 2 ** 32).toBe(true);
    expect(expandTemplate('{{timestamp}}/{{counter}}', context)).toEqual({ ok: true, text: '5/1' });
  });
});

describe('ComposerCounters', () => {
  it('numbers each connection’s messages from 1', () => {
    const counters = new ComposerCounters();
    expect(counters.next('a')).toBe(1);
    expect(counters.next('a')).toBe(1);
    counters.advance('a');
    counters.advance('a');
    expect([counters.next('a'), counters.next('b')]).toEqual([3, 1]);
  });
});
