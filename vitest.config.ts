import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources in tests, so `npm test` needs no build.
const src = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

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
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tests/**/*.test.ts'],
    // The chaos set-test needs the whole machine for minutes: `npm run test:chaos` runs it alone.
    exclude: ['**/node_modules/**', '**/dist/**', 'tests/chaos/**'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default', ['json', { outputFile: '.ci/vitest-report.json' }]] : ['default'],
  },
});
