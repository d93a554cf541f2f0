// Run from the repository root: `npm run db:generate` (drizzle-kit generate --config apps/gateway/drizzle.config.ts).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './apps/gateway/src/db/schema/index.ts',
  out: './apps/gateway/src/db/migrations',
  strict: true,
  verbose: true,
});
