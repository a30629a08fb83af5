import { defineConfig } from 'vitest/config';

// One run covers every workspace. The JSON report feeds the `N passed, N failed` line of .ci/run.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    // .cache holds reports, screenshots and scratch files, never tests of the project.
    exclude: ['**/node_modules/**', '**/dist/**', 'test/fixtures/**', '.cache/**'],
    reporters: ['default', 'json'],
    outputFile: { json: '.cache/vitest-report.json' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
