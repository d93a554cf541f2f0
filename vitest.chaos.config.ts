import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:chaos`: the chaos set-test alone (tests/chaos). It starts
// its own fleet of processes and measures a ledger, so nothing else may run beside it. (Not
// mergeConfig: it would append to the base include/exclude lists instead of replacing them.)
// The base config's projects are left out: this one runs the chaos file and nothing else.
const { projects: _projects, ...baseTest } = base.test ?? {};

export default defineConfig({
  ...base,
  test: {
    ...baseTest,
    include: ['tests/chaos/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/vitest-chaos-report.json' }]] : ['default'],
  },
});
