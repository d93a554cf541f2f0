import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:chaos`: the chaos set-test alone (tests/chaos). It starts
// its own fleet of processes and measures a ledger, so nothing else may run beside it. (Not
// mergeConfig: it would append to the base include/exclude lists instead of replacing them.)
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['tests/chaos/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    fileParallelism: false,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/vitest-chaos-report.json' }]] : ['default'],
  },
});
