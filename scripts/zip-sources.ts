/**
 * What the sources zip (the one addons.mozilla.org asks for, made by `wxt zip -b firefox`) leaves out.
 *
 * WXT already leaves out node_modules, its own output folder and *.spec/*.test files. On top of that the zip
 * must not carry what git ignores (other build folders such as `.output-*`, test results, benchmark results,
 * `cli/dist`), so the `.gitignore` files at the root and one level down are turned into globs here: adding an
 * output folder to `.gitignore` keeps it out of the zip too. The tests are left out as a whole: they are not
 * needed to rebuild, and WXT's spec filter alone would ship half a suite.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Always left out, whatever .gitignore says. */
const ALWAYS_EXCLUDED = ['tests/**'];

/** Turns one .gitignore line, found in folder `base` ('' for the root), into fast-glob ignore patterns. */
export function gitignoreLineToGlobs(line: string, base = ''): string[] {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith('!')) return [];
  const anchored = trimmed.replace(/\/$/, '').includes('/');
  const pattern = trimmed.replace(/^\//, '').replace(/\/$/, '');
  const prefix = base === '' ? '' : `${base}/`;
  // A name without a slash matches at any depth; one with a slash is relative to the .gitignore's folder.
  const path = anchored ? `${prefix}${pattern}` : `${prefix}**/${pattern}`;
  return [path, `${path}/**`];
}

/** Globs for everything the root .gitignore and those of top-level folders ignore, plus ALWAYS_EXCLUDED. */
export function sourceExcludes(root = process.cwd()): string[] {
  const globs = [...ALWAYS_EXCLUDED];
  const read = (folder: string) => {
    const file = join(root, folder, '.gitignore');
    if (!existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) globs.push(...gitignoreLineToGlobs(line, folder));
  };
  read('');
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) read(entry.name);
  }
  return globs;
}
