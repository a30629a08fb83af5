// Prints the plain `N passed, N failed` line CI reads, from vitest's JSON report.
import { existsSync, readFileSync } from 'node:fs';

const reportPath = process.argv[2] ?? '.cache/vitest-report.json';
if (!existsSync(reportPath)) {
  console.log('0 passed, 0 failed');
  console.error(
    `no vitest report at ${reportPath}: the test run stopped before vitest (lint or type check failed)`,
  );
  process.exit(0);
}
const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`,
);
