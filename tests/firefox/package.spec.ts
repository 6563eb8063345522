/**
 * The Firefox package as AMO sees it: `web-ext lint` finds no errors, the manifest is MV3 with an event page,
 * every permission either manifest requests is explained in the README's "Permissions" section, and the sources
 * zip rebuilds the shipped add-on exactly.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { test, expect } from '@playwright/test';
import { FIREFOX_EXTENSION_DIR, GECKO_ID } from './fixtures';

const CHROME_EXTENSION_DIR = resolve(process.env.WXT_OUT_DIR ?? '.output', 'chrome-mv3');

interface LintMessage {
  code: string;
  message: string;
  file?: string;
  line?: number;
}

function readManifest(dir: string): Record<string, unknown> {
  const file = resolve(dir, 'manifest.json');
  if (!existsSync(file)) throw new Error(`${file} is missing: build first (npm run build && npm run build:firefox)`);
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

test('web-ext lint reports no errors on the Firefox build', async () => {
  readManifest(FIREFOX_EXTENSION_DIR);
  const { stdout } = await promisify(execFile)(resolve('node_modules/.bin/web-ext'), ['lint', '--output', 'json', '--source-dir', FIREFOX_EXTENSION_DIR], {
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; message: string }) => {
    // web-ext exits non-zero when it finds errors; the report is still on stdout.
    if (error.stdout) return { stdout: error.stdout };
    throw error;
  });
  const report = JSON.parse(stdout) as { errors: LintMessage[]; warnings: LintMessage[]; metadata: { id: string; manifestVersion: number } };
  for (const w of report.warnings) test.info().annotations.push({ type: 'web-ext warning', description: `${w.code} ${w.message} (${w.file ?? ''}:${w.line ?? ''})` });
  expect(report.errors.map((e) => `${e.code}: ${e.message} (${e.file ?? ''}:${e.line ?? ''})`)).toEqual([]);
  expect(report.metadata).toMatchObject({ id: GECKO_ID, manifestVersion: 3 });
});

test('the Firefox manifest: MV3, an event page, the MAIN-world hook at document_start', () => {
  const manifest = readManifest(FIREFOX_EXTENSION_DIR) as {
    manifest_version: number;
    background: Record<string, unknown>;
    content_scripts: Array<{ world?: string; run_at?: string; all_frames?: boolean; js: string[] }>;
    browser_specific_settings: { gecko: { id: string } };
  };
  expect(manifest.manifest_version).toBe(3);
  // Firefox MV3 has no background service worker: WXT emits an event page (background.scripts).
  expect(manifest.background).toEqual({ scripts: ['background.js'] });
  expect(manifest.browser_specific_settings.gecko.id).toBe(GECKO_ID);
  const hook = manifest.content_scripts.find((c) => c.world === 'MAIN');
  expect(hook).toMatchObject({ run_at: 'document_start', all_frames: true, js: ['content-scripts/page-hook.js'] });
});

test('every permission either manifest requests is explained in the README', () => {
  const readme = readFileSync('README.md', 'utf8');
  const section = /^## Permissions\n([\s\S]*?)(?=^## )/m.exec(readme + '\n## end')?.[1];
  expect(section, 'README.md has a "## Permissions" section').toBeTruthy();
  for (const dir of [FIREFOX_EXTENSION_DIR, CHROME_EXTENSION_DIR]) {
    const manifest = readManifest(dir) as {
      permissions?: string[];
      host_permissions?: string[];
      optional_permissions?: string[];
      optional_host_permissions?: string[];
      content_scripts?: Array<{ matches: string[] }>;
    };
    // Content-script matches are host access too: they are what the install prompt warns about.
    const requested = new Set([
      ...(manifest.permissions ?? []),
      ...(manifest.host_permissions ?? []),
      ...(manifest.optional_permissions ?? []),
      ...(manifest.optional_host_permissions ?? []),
      ...(manifest.content_scripts ?? []).flatMap((c) => c.matches),
    ]);
    expect(requested.size).toBeGreaterThan(0);
    for (const permission of requested) expect(section, `README "Permissions" explains \`${permission}\` (${dir})`).toContain(`\`${permission}\``);
  }
});

test('the sources zip rebuilds the Firefox zip file for file, and carries nothing git ignores', async () => {
  test.setTimeout(240_000);
  const run = promisify(execFile);
  const work = mkdtempSync(join(tmpdir(), 'wsi-zip-'));
  try {
    // `wxt zip -b firefox` builds, zips the extension and zips the sources, into a folder of our own.
    const out = join(work, 'out');
    await run(resolve('node_modules/.bin/wxt'), ['zip', '-b', 'firefox'], { env: { ...process.env, WXT_OUT_DIR: out }, maxBuffer: 16 << 20 });
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    const extensionZip = zips.find((f) => f.endsWith('-firefox.zip'));
    const sourcesZip = zips.find((f) => f.endsWith('-sources.zip'));
    expect(extensionZip && sourcesZip, `zips made: ${zips.join(', ')}`).toBeTruthy();

    const list = async (zip: string) => (await run('unzip', ['-Z1', join(out, zip)])).stdout.split('\n').filter((l) => l && !l.endsWith('/'));
    const sources = await list(sourcesZip!);
    for (const needed of ['package.json', 'package-lock.json', 'wxt.config.ts', 'tsconfig.json', 'README.md', 'scripts/zip-sources.ts', 'entrypoints/page-hook.content.ts', 'lib/page/index.ts', 'public/icon/128.png']) {
      expect(sources, `the sources zip holds ${needed}`).toContain(needed);
    }
    const leaked = sources.filter((f) => /^(node_modules|\.output|\.wxt|test-results|playwright-report|bench-results|demo-output|tests)\/|\.log$|^cli\/dist\//.test(f));
    expect(leaked, 'nothing ignored, built or test-only in the sources zip').toEqual([]);

    // A reviewer's rebuild: unpack the sources, install (here: the same node_modules), build for Firefox.
    const src = join(work, 'src');
    await run('unzip', ['-q', join(out, sourcesZip!), '-d', src]);
    symlinkSync(resolve('node_modules'), join(src, 'node_modules'), 'dir');
    const { WXT_OUT_DIR: _ignored, ...env } = process.env;
    await run(join(src, 'node_modules/.bin/wxt'), ['build', '-b', 'firefox'], { cwd: src, env, maxBuffer: 16 << 20 });

    const extension = join(work, 'extension');
    await run('unzip', ['-q', join(out, extensionZip!), '-d', extension]);
    const digest = (dir: string) =>
      Object.fromEntries(
        (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
          .filter((e) => e.isFile())
          .map((e) => {
            const path = join(e.parentPath, e.name);
            return [relative(dir, path), createHash('sha256').update(readFileSync(path)).digest('hex')];
          }),
      );
    const shipped = digest(extension);
    expect(Object.keys(shipped)).toContain('manifest.json');
    expect(digest(join(src, '.output/firefox-mv3'))).toEqual(shipped);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
