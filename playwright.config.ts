import { defineConfig } from '@playwright/test';

// One worker: each test launches its own Chromium with the extension, and the machine has two cores.
export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  // In CI a test that fails gets one more run: a browser test that fails once in ~200 (a panel closed while
  // IndexedDB still wrote, session 13) must not hold back everything else. scripts/ci-summary.mjs names each test
  // that needed its retry, so a flake is reported and fixed, not hidden. Locally a failure is a failure.
  retries: process.env.CI ? 1 : 0,
  reporter: [['list'], ['json', { outputFile: 'reports/e2e.json' }]],
  use: { trace: 'off' },
  projects: [
    { name: 'chromium', testDir: 'tests/e2e' },
    // Firefox ESR driven by puppeteer-core over WebDriver BiDi (tests/firefox/fixtures.ts); Playwright only runs them.
    { name: 'firefox', testDir: 'tests/firefox' },
  ],
});
