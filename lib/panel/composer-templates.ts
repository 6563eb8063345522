/**
 * The composer's templates: `{{name}}` variables expanded when a message is sent, so a favourite kept as a
 * template gives a fresh id or time each time. Pure: the clock, the counter and the random sources come in a
 * context (unit-tested with fixed ones).
 *
 * Syntax: `{{name}}` (spaces inside the braces allowed); `\{{` is a literal `{{` (the backslash is dropped). An
 * unknown name or a `{{` that is never closed is an error, shown before sending: nothing is sent silently with a
 * typo left in it.
 */
import { randomId } from '../shared/random-id';

export interface TemplateContext {
  /** Milliseconds since the epoch: every `{{timestamp}}` and `{{iso}}` of one message says the same instant. */
  now: number;
  /** This message's number among the composer's messages on its connection (1 for the first). */
  counter: number;
  /** A new v4 UUID per call: each `{{uuid}}` is a different one. */
  uuid(): string;
  /** A new integer in [0, 2^32) per call. */
  random(): number;
}

/** The variables, in the order the composer's help lists them. */
export const TEMPLATE_VARIABLES: ReadonlyArray<{ name: string; help: string; value(context: TemplateContext): string }> = [
  { name: 'timestamp', help: 'milliseconds since 1970 (e.g. 1765012680123)', value: (c) => String(c.now) },
  { name: 'iso', help: 'the time in ISO 8601, UTC (e.g. 2025-12-06T09:18:00.123Z)', value: (c) => new Date(c.now).toISOString() },
  { name: 'uuid', help: 'a random v4 UUID, a new one at each place it appears', value: (c) => c.uuid() },
  { name: 'counter', help: 'the message’s number on this connection: 1, 2, 3… (each message the composer sends or delivers)', value: (c) => String(c.counter) },
  { name: 'random', help: 'a random integer from 0 to 4294967295, a new one at each place', value: (c) => String(c.random()) },
];

const BY_NAME = new Map(TEMPLATE_VARIABLES.map((v) => [v.name, v]));

export type Expansion = { ok: true; text: string } | { ok: false; error: string };

/** True when `template` has anything to expand (a variable or an escape): the composer shows a preview then. */
export function isTemplate(template: string): boolean {
  return template.includes('{{');
}

/** Expands every variable of `template`; an error names the first unknown or unclosed one. */
export function expandTemplate(template: string, context: TemplateContext): Expansion {
  let out = '';
  let at = 0;
  for (;;) {
    const open = template.indexOf('{{', at);
    if (open < 0) return { ok: true, text: out + template.slice(at) };
    if (open > 0 && template[open - 1] === '\\') {
      // Escaped: drop the backslash, keep "{{" and read on after it.
      out += template.slice(at, open - 1) + '{{';
      at = open + 2;
      continue;
    }
    const close = template.indexOf('}}', open + 2);
    if (close < 0) return { ok: false, error: `"{{" at character ${open + 1} is never closed by "}}". Write \\{{ for a literal "{{".` };
    const name = template.slice(open + 2, close).trim();
    const variable = BY_NAME.get(name);
    if (!variable) {
      const known = TEMPLATE_VARIABLES.map((v) => `{{${v.name}}}`).join(', ');
      return { ok: false, error: `Unknown variable {{${name}}}. Known: ${known}. Write \\{{ for a literal "{{".` };
    }
    out += template.slice(at, open) + variable.value(context);
    at = close + 2;
  }
}

/** The context of a real send: the clock now, fresh UUIDs and random integers. */
export function liveContext(counter: number, now = Date.now()): TemplateContext {
  return {
    now,
    counter,
    uuid: randomId,
    random: () => crypto.getRandomValues(new Uint32Array(1))[0],
  };
}

/**
 * The composer's message numbers per connection, for `{{counter}}`: the next is 1 on a connection the composer
 * has not sent on yet. Kept for the panel's lifetime (a connection's numbers survive switching to another one).
 */
export class ComposerCounters {
  private readonly sent = new Map<string, number>();

  /** The number the next message on `connectionId` gets. */
  next(connectionId: string): number {
    return (this.sent.get(connectionId) ?? 0) + 1;
  }

  /** A message went out on `connectionId` (sent or delivered): the next one gets the following number. */
  advance(connectionId: string): void {
    this.sent.set(connectionId, this.next(connectionId));
  }
}
