import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests, so `npm test` needs no build.
const src = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Files that start fleets of processes: they run after the rest, one at a time. */
const ALONE = ['tests/e2e/**/*.test.ts', 'tests/browser/**/*.test.ts'];

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@wagate\/contracts$/, replacement: src('./packages/contracts/src/index.ts') },
      { find: /^@wagate\/storage$/, replacement: src('./packages/storage/src/index.ts') },
      { find: /^@wagate\/wa-sim$/, replacement: src('./packages/wa-sim/src/index.ts') },
      { find: /^@wagate\/gateway$/, replacement: src('./apps/gateway/src/index.ts') },
      { find: /^@wagate\/worker$/, replacement: src('./apps/worker/src/index.ts') },
    ],
  },
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/vitest-report.json' }]] : ['default'],
    // Two groups, one after the other. Most files wait on child processes, sockets and timers, so
    // two forks on a 2-core machine beat vitest's default of one (CPUs - 1). The end-to-end files
    // start whole fleets of processes and link dozens of sessions: beside another fork the failover
    // test once hit a fetch timeout in CI, so they run afterwards, one at a time, with the machine
    // to themselves. The chaos set-test is not here: `npm run test:chaos` runs it alone.
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**', 'tests/chaos/**', ...ALONE],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
