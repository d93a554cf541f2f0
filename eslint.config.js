// Lint is also the architecture fence: which file may import what (STYLE.md, DESIGN.md §3).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import globals from 'globals';

/** SDKs that may only be imported by the adapter that wraps them. */
const sdkFences = [
  { name: 'baileys', message: 'Baileys is imported only under apps/worker/src/whatsapp/baileys/ (and by wa-sim).' },
  { name: 'ioredis', message: 'ioredis is imported only by the RedisCoordinator adapter.' },
  { name: 'pg', message: 'pg is imported only by the gateway database client.' },
  { name: '@electric-sql/pglite', message: 'PGlite is imported only by the gateway database client.' },
];
const sdkPatterns = [
  { group: ['@aws-sdk/*'], message: 'The AWS SDK is imported only by the S3BlobStore adapter.' },
  { group: ['drizzle-orm/node-postgres', 'drizzle-orm/node-postgres/*', 'drizzle-orm/pglite', 'drizzle-orm/pglite/*'], message: 'Drizzle drivers are chosen only in the gateway database client.' },
  {
    regex: '^@wagate/[^/]+/.+',
    message: 'Import another package only through its index (`@wagate/name`).',
  },
];

/** Same rule minus the names an adapter is allowed to use. */
function restrictedExcept(...allowed) {
  return [
    'error',
    {
      paths: sdkFences.filter((f) => !allowed.includes(f.name)),
      patterns: sdkPatterns.filter((p) => !p.group || !p.group.some((g) => allowed.some((a) => g.startsWith(a)))),
    },
  ];
}

const moduleFence = {
  regex: '^\\.\\./[^./][^/]*/(?!index\\.js$).+',
  message: 'A module imports another module only through its index.ts.',
};
const modulesFromOutside = {
  regex: '(^|/)modules/[^/]+/(?!index\\.js$).+',
  message: 'Reach a module only through its index.ts.',
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'apps/dashboard/**', '**/*.d.ts', 'data/**', 'coverage/**', '.ci/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.check.json'] })],
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'import-x/no-cycle': ['error', { ignoreExternal: true, maxDepth: 8 }],
      'no-restricted-imports': restrictedExcept(),
    },
  },
  // Gateway/worker: features are folders under modules/ reached only through index.ts.
  {
    files: ['apps/*/src/**/*.ts'],
    ignores: ['apps/*/src/modules/**'],
    rules: {
      'no-restricted-imports': (() => {
        const [level, opts] = restrictedExcept();
        return [level, { ...opts, patterns: [...opts.patterns, modulesFromOutside] }];
      })(),
    },
  },
  {
    files: ['apps/*/src/modules/**/*.ts'],
    rules: {
      'no-restricted-imports': (() => {
        const [level, opts] = restrictedExcept();
        return [level, { ...opts, patterns: [...opts.patterns, moduleFence, modulesFromOutside] }];
      })(),
    },
  },
  // The adapters, each allowed its own SDK.
  { files: ['apps/worker/src/whatsapp/baileys/**/*.ts', 'packages/wa-sim/src/**/*.ts'], rules: { 'no-restricted-imports': restrictedExcept('baileys') } },
  { files: ['packages/storage/src/redis-coordinator*.ts'], rules: { 'no-restricted-imports': restrictedExcept('ioredis') } },
  { files: ['packages/storage/src/s3-blob-store*.ts'], rules: { 'no-restricted-imports': restrictedExcept('@aws-sdk') } },
  {
    files: ['apps/gateway/src/db/client.ts', 'apps/gateway/src/db/client/**/*.ts', 'apps/gateway/drizzle.config.ts'],
    rules: { 'no-restricted-imports': restrictedExcept('pg', '@electric-sql/pglite', 'drizzle-orm/node-postgres', 'drizzle-orm/pglite') },
  },
  // Tests may reach real services and internals directly; the CLI and scripts talk to a terminal.
  {
    files: ['**/*.test.ts', '**/*.contract.ts', 'test-support/**/*.ts', 'tests/**/*.ts', 'bench/**'],
    rules: { 'no-restricted-imports': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { files: ['apps/cli/src/**/*.ts', 'scripts/**', 'bench/**', 'tests/**', '.ci/**'], rules: { 'no-console': 'off' } },
  { files: ['**/*.{js,mjs,cjs}'], ...tseslint.configs.disableTypeChecked },
);
