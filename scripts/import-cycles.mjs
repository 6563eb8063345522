#!/usr/bin/env node
// Finds import cycles among the extension's and the CLI's sources, type imports included (import-x/no-cycle
// skips `import type`, and a cycle of types still ties two modules together). Exits 1 and lists each cycle.
// Run by `npm run lint`.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = /\.(ts|svelte)$/;
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
const EXTENSIONS = ['', '.ts', '.svelte.ts', '.svelte', '/index.ts'];

/** Every source file under `dirs` (relative to `root`). */
export function sourceFiles(root, dirs) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (SOURCE.test(name)) out.push(path);
    }
  };
  for (const dir of dirs) if (existsSync(join(root, dir))) walk(join(root, dir));
  return out;
}

/** The project files `file` imports (relative and `@/` specifiers; packages are not followed). */
export function importsOf(root, file, source) {
  const found = [];
  for (const match of source.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? match[3];
    let base;
    if (spec.startsWith('@/')) base = join(root, spec.slice(2));
    else if (spec.startsWith('.')) base = resolve(dirname(file), spec);
    else continue;
    const target = EXTENSIONS.map((e) => base + e).find((p) => existsSync(p) && statSync(p).isFile());
    if (target) found.push(target);
  }
  return found;
}

/** Strongly connected components of more than one file: each is a cycle (a recursive Svelte component importing itself is not). */
export function findCycles(graph) {
  let index = 0;
  const stack = [];
  const state = new Map();
  const cycles = [];
  const visit = (v) => {
    const s = { index, low: index, onStack: true };
    index++;
    state.set(v, s);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!state.has(w)) {
        visit(w);
        s.low = Math.min(s.low, state.get(w).low);
      } else if (state.get(w).onStack) s.low = Math.min(s.low, state.get(w).index);
    }
    if (s.low === s.index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        state.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!state.has(v)) visit(v);
  return cycles;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const graph = new Map();
  for (const file of sourceFiles(root, ['lib', 'components', 'entrypoints', 'cli'])) {
    if (file.includes(`${'/'}dist${'/'}`)) continue;
    graph.set(file, importsOf(root, file, readFileSync(file, 'utf8')));
  }
  const cycles = findCycles(graph);
  for (const cycle of cycles) console.error(`import cycle: ${cycle.map((f) => relative(root, f)).join(' ⇄ ')}`);
  if (cycles.length > 0) process.exit(1);
  console.log(`no import cycles among ${graph.size} files`);
}
