// A throwaway PostgreSQL database per test file, on the real server (running locally and in CI).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server tests use: `TEST_DATABASE_URL`, or the local default. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabase {
  /** URL of the new, empty database. */
  url: string;
  /** Terminates its connections and drops it; idempotent. */
  drop(): Promise<void>;
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `wagate_test_<hex>` on the test server. */
export async function createTestDatabase(adminUrl = testDatabaseUrl()): Promise<TestDatabase> {
  const name = `wagate_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdmin(adminUrl, async (c) => {
        await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
        await c.query(`drop database if exists "${name}"`);
      });
    },
  };
}
