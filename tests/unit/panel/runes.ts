/**
 * Svelte's runes as plain values, for unit tests of the panel's `.svelte.ts` slices. vitest.config.ts has no
 * Svelte plugin, so a `$state(…)` left in a module would be an undefined global: import this module first. A
 * slice keeps its logic in methods and getters (no `$derived` fields), so a plain field behaves as the compiled
 * signal does when read back; what these tests do not see is Svelte's scheduling of effects.
 */
const same = <T>(value: T): T => value;

Object.assign(globalThis, {
  $state: Object.assign(same, { raw: same, snapshot: <T>(value: T): T => structuredClone(value) }),
});
