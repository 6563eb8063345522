// Prints "N passed, N failed[, N skipped][, N flaky]" from the vitest and Playwright JSON reports in a folder,
// after the name of each test that failed first and passed on its retry (so a flaky test is seen, not hidden).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'reports';
let passed = 0;
let failed = 0;
let skipped = 0;
let reports = 0;
const flaky = [];

function walkPlaywright(suite) {
  for (const spec of suite.specs ?? []) {
    for (const t of spec.tests ?? []) {
      const status = t.status ?? (t.results?.at(-1)?.status === 'passed' ? 'expected' : 'unexpected');
      if (status === 'flaky') flaky.push(`[${t.projectName}] ${spec.file}:${spec.line} › ${spec.title}`);
      if (status === 'expected' || status === 'flaky') passed++;
      else if (status === 'skipped') skipped++;
      else failed++;
    }
  }
  for (const child of suite.suites ?? []) walkPlaywright(child);
}

if (existsSync(dir)) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
    reports++;
    if (Array.isArray(report.testResults) && typeof report.numPassedTests === 'number') {
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    } else if (Array.isArray(report.suites)) {
      for (const suite of report.suites) walkPlaywright(suite);
      failed += (report.errors ?? []).length;
    }
  }
}
if (reports === 0) failed = Math.max(failed, 1); // no report at all: the suite did not run
for (const name of flaky) console.log(`flaky (failed, then passed on its retry): ${name}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}${flaky.length ? `, ${flaky.length} flaky` : ''}`);
