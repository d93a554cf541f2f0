// The only place that picks a database driver: embedded PGlite (no DATABASE_URL) or node-postgres.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import * as schema from './schema/index.js';

/**
 * What `db.execute(sql…)` resolves to on either driver: both node-postgres' QueryResult and PGlite's
 * Results carry `rows` (and an affected-row count, under different names), so raw queries such as
 * `FOR UPDATE SKIP LOCKED` claims read `rows` without knowing the driver.
 */
export interface DatabaseQueryResultHKT extends PgQueryResultHKT {
  type: QueryRows<this['row']>;
}
export interface QueryRows<Row> {
  rows: Row[];
}

/** One type both drivers satisfy (PgliteDatabase and NodePgDatabase both extend it). */
export type Database = PgDatabase<DatabaseQueryResultHKT, typeof schema>;
/** The database or a transaction on it: repositories take this so a use case can join them in one transaction. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0];

export interface DatabaseHandle {
  db: Database;
  kind: 'pglite' | 'postgres';
  /** Resolves when the database answers `select 1`. */
  ping(): Promise<void>;
  /** Closes the pool / the embedded database; idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL (`sslmode=` honoured by pg); absent → embedded PGlite under `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite stores its files in `<dataDir>/db`. */
  dataDir: string;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
}

/** Works from src/db (tsx, Vitest) and dist/db (built): both resolve to apps/gateway/src/db/migrations. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../src/db/migrations', import.meta.url));

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.migrate ?? true);
  const dir = join(options.dataDir, 'db');
  await mkdir(options.dataDir, { recursive: true });
  const client = await PGlite.create(dir);
  return openDatabaseFromPglite(client, { migrate: options.migrate ?? true });
}

/**
 * Wraps an already open PGlite (e.g. `new PGlite()` in memory, or `template.clone()` of a migrated
 * one in tests). The handle owns the client: `close()` closes it.
 */
export async function openDatabaseFromPglite(client: PGlite, options: { migrate?: boolean } = {}): Promise<DatabaseHandle> {
  const db = drizzlePglite({ client, schema });
  try {
    if (options.migrate ?? true) await migratePglite(db, { migrationsFolder: MIGRATIONS_FOLDER });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
  let closed = false;
  return {
    db,
    kind: 'pglite',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** Arbitrary, fixed key of the advisory lock that serialises migrations ('wagate:m' as bytes). */
const MIGRATION_LOCK_KEY = 0x7761_6761_7465_3a6dn;

/**
 * N gateway replicas start at once against one database; without a lock they all try to create the
 * migrations table and apply the same files, and all but one fail. A session advisory lock held on
 * its own connection makes the others wait, then find nothing left to apply.
 */
async function migrateExclusively(pool: pg.Pool, run: () => Promise<void>): Promise<void> {
  const lockClient = await pool.connect();
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      await run();
    } finally {
      await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
    }
  } finally {
    lockClient.release();
  }
}

async function openPostgres(url: string, runMigrations: boolean): Promise<DatabaseHandle> {
  // A blackholed database host must fail the start (and each checkout) in seconds, not after the OS's TCP timeout.
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000, application_name: 'wagate-gateway' });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const db = drizzlePg({ client: pool, schema });
  try {
    if (runMigrations) await migrateExclusively(pool, () => migratePg(db, { migrationsFolder: MIGRATIONS_FOLDER }));
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  let closed = false;
  return {
    db,
    kind: 'postgres',
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
