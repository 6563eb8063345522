import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * Where code may import from, by the context it runs in (docs/architecture.md). A zone forbids `target` to import
 * anything under `from` except `except` (paths relative to `from`).
 */
const lib = (folder) => `./lib/${folder}`;
const boundaries = [
  // Pure, imported by every context: imports nothing upward.
  { target: lib('shared'), from: './lib', except: ['./shared'], message: 'lib/shared is imported by every context and imports nothing from other lib folders.' },
  { target: lib('shared'), from: ['./components', './entrypoints'] },
  // The MAIN-world hook: a dependency-free script installed in every page.
  { target: lib('page'), from: './lib', except: ['./page', './shared'], message: 'The page hook imports only lib/shared.' },
  { target: lib('page'), from: ['./components', './entrypoints', './node_modules'], message: 'The page hook is dependency-free.' },
  { target: lib('relay'), from: './lib', except: ['./relay', './shared'], message: 'The relay imports only lib/shared.' },
  { target: lib('store'), from: './lib', except: ['./store', './shared'], message: 'The store imports only lib/shared.' },
  { target: lib('worker'), from: './lib', except: ['./worker', './shared', './store'], message: 'The service worker imports lib/shared and lib/store.' },
  { target: lib('io'), from: './lib', except: ['./io', './shared', './store', './decoders', './analysis'], message: 'The I/O worker imports lib/shared, lib/store, lib/decoders and lib/analysis.' },
  { target: lib('decoders'), from: './lib', except: ['./decoders', './shared'], message: 'Decoders are pure: they import only lib/shared.' },
  { target: lib('analysis'), from: './lib', except: ['./analysis', './shared', './decoders'], message: 'Analysis (pairing, stats, diff, code) is pure: it imports lib/shared and lib/decoders.' },
  // Nothing but the panel imports the panel or its components.
  { target: ['shared', 'page', 'relay', 'worker', 'store', 'io', 'decoders', 'analysis'].map(lib).concat(['./entrypoints/background.ts', './entrypoints/page-hook.content.ts', './entrypoints/relay.content.ts']), from: ['./lib/panel', './components'], message: 'Only the panel imports lib/panel and components/.' },
];

export default tseslint.config(
  { ignores: ['.output/**', '.output-*/**', 'cli/dist/**', '.wxt/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', 'demo-output/**', 'reports/**'] },
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['lib/**', 'entrypoints/**', 'components/**', 'cli/**'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: boundaries }],
      // Content scripts run in plain-http pages too, where secure-context-only APIs are missing (issue #10 §0).
      'no-restricted-properties': [
        'error',
        { object: 'crypto', property: 'randomUUID', message: 'Missing outside secure contexts: use randomId() from lib/shared/random-id.' },
        { object: 'crypto', property: 'subtle', message: 'Missing outside secure contexts (plain-http pages).' },
        { object: 'navigator', property: 'clipboard', message: 'Missing outside secure contexts: only the panel may copy (components/clipboard.ts).' },
      ],
    },
  },
);
