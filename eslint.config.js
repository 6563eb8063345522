import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['.output/**', '.output-*/**', 'cli/dist/**', '.wxt/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', 'demo-output/**', '**/*.svelte'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['lib/**', 'entrypoints/**', 'components/**'],
    rules: {
      // Content scripts run in plain-http pages too, where secure-context-only APIs are missing (issue #10 §0).
      'no-restricted-properties': [
        'error',
        { object: 'crypto', property: 'randomUUID', message: 'Missing outside secure contexts: use randomId() from lib/random-id.' },
        { object: 'crypto', property: 'subtle', message: 'Missing outside secure contexts (plain-http pages).' },
        { object: 'navigator', property: 'clipboard', message: 'Missing outside secure contexts: only the panel may copy (components/clipboard.ts).' },
      ],
    },
  },
);
