import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/cli/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', ['json', { outputFile: 'reports/unit.json' }]],
  },
  resolve: { alias: { '@': new URL('.', import.meta.url).pathname.replace(/\/$/, '') } },
});
