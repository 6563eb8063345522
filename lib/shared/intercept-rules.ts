/**
 * Intercept rules: breakpoints (hold a frame for the user to edit, forward or drop), match & replace, and
 * block. They are evaluated synchronously in the page hook for every frame, so compiling happens once per rule
 * change and matching uses only natives the caller saved before page code ran (a page may replace
 * RegExp.prototype.exec or String.prototype.includes).
 */
import type { CompiledRule, Direction, InterceptRule, RuleDecision } from './protocol';

export type { CompiledRule, InterceptRule, RuleAction, RuleDecision } from './protocol';

/** Natives the matcher calls; the page hook passes ones it saved before page code ran. */
export interface MatcherNatives {
  exec(re: RegExp, text: string): RegExpExecArray | null;
  replace(re: RegExp, text: string, replacement: string): string;
}

export const DEFAULT_NATIVES: MatcherNatives = {
  exec: (re, text) => re.exec(text),
  replace: (re, text, replacement) => text.replace(re, replacement),
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Checks a rule before it is saved: returns the problem in words, or undefined. */
export function validateRule(rule: InterceptRule): string | undefined {
  if (rule.regex && rule.pattern) {
    try {
      new RegExp(rule.pattern);
    } catch (error) {
      return `Invalid regular expression: ${(error as Error).message}`;
    }
  }
  if (rule.action === 'replace' && !rule.pattern) return 'A replace rule needs something to match.';
  return undefined;
}

/** Compiles enabled, valid rules into regular expressions. Invalid rules are skipped. */
/** How long a held frame waits for the user before it goes on unchanged, unless the rules say otherwise. */
export const DEFAULT_HOLD_TIMEOUT_MS = 30_000;
/** The storage.local key the background keeps the rules under; every relay reads them from there. */
export const RULES_STORAGE_KEY = 'interceptRules';

/**
 * The storage.local key under which the background lists the tabs a panel watches now (number[]). A relay cannot
 * know its own tab: it only reads whether the list is empty (then nothing is held anywhere), and asks the
 * background otherwise (watch-query).
 */
export const WATCHED_TABS_STORAGE_KEY = 'watchedTabs';

/** A page origin as scopes compare it: lower case, no trailing slash. */
function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/**
 * Whether a rule's scope covers a page of `origin` (the relay's own `location.origin`): '*' or no scope (rules
 * saved before scopes existed) means every site; otherwise the origins must be equal. An opaque origin ('null':
 * sandboxed and data: frames) gets only the rules for every site.
 */
export function scopeMatches(scope: string | undefined, origin: string): boolean {
  if (scope === undefined || scope === '*' || scope === '') return true;
  if (typeof scope !== 'string' || origin === 'null') return false;
  return normalOrigin(scope) === normalOrigin(origin);
}

/** The rules whose scope covers a page of `origin`: the only ones a relay of that page may hand its hook. */
export function rulesForOrigin(rules: readonly InterceptRule[], origin: string): InterceptRule[] {
  return rules.filter((rule) => scopeMatches(rule.scope, origin));
}

export function compileRules(rules: readonly InterceptRule[]): CompiledRule[] {
  const compiled: CompiledRule[] = [];
  for (const rule of rules) {
    if (!rule.enabled || validateRule(rule)) continue;
    const url = rule.urlPattern
      ? new RegExp(rule.urlPattern.includes('*') ? '^' + rule.urlPattern.split('*').map(escapeRegExp).join('.*') + '$' : escapeRegExp(rule.urlPattern))
      : undefined;
    const pattern = rule.pattern ? new RegExp(rule.regex ? rule.pattern : escapeRegExp(rule.pattern), rule.action === 'replace' ? 'g' : '') : undefined;
    compiled.push({ rule, url, pattern });
  }
  return compiled;
}

/**
 * The first rule that applies to a frame, in list order, and for `replace` the new text. `text` is the payload
 * for text frames and undefined for binary ones.
 */
export function decide(
  rules: readonly CompiledRule[],
  dir: Direction,
  url: string,
  text: string | undefined,
  natives: MatcherNatives = DEFAULT_NATIVES,
): RuleDecision | undefined {
  for (let i = 0; i < rules.length; i++) {
    const { rule, url: urlRe, pattern } = rules[i];
    if (rule.direction !== 'both' && rule.direction !== dir) continue;
    if (urlRe) {
      urlRe.lastIndex = 0;
      if (natives.exec(urlRe, url) === null) continue;
    }
    if (pattern) {
      if (text === undefined) continue;
      pattern.lastIndex = 0;
      if (natives.exec(pattern, text) === null) continue;
    }
    if (rule.action === 'replace') {
      if (text === undefined || !pattern) continue;
      pattern.lastIndex = 0;
      return { rule, replaced: natives.replace(pattern, text, rule.replacement) };
    }
    return { rule, replaced: undefined };
  }
  return undefined;
}
