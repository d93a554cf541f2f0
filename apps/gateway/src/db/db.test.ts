// The database layer on both drivers: embedded PGlite and the real PostgreSQL server.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, getTableName, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../../test-support/postgres.js';
import { createSystemLogsRepository } from '../modules/system-logs/index.js';
import { isId, newId, openDatabase, ownedBy, ownedRow, schema } from './index.js';
import type { DatabaseHandle } from './index.js';

const { users, sessions, apiKeys, systemLogs, usageRecords } = schema;

/** drizzle wraps driver errors; the SQLSTATE sits somewhere on the cause chain. */
function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

async function rejectsWithState(p: Promise<unknown>, state: string): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected SQLSTATE ${state}`).toBeDefined();
  expect(sqlState(caught)).toBe(state);
}

interface Target {
  open(): Promise<{ handle: DatabaseHandle; cleanup(): Promise<void> }>;
}

const targets: [string, Target][] = [
  [
    'pglite',
    {
      async open() {
        const dataDir = await mkdtemp(join(tmpdir(), 'wagate-db-'));
        const handle = await openDatabase({ dataDir });
        return { handle, cleanup: () => rm(dataDir, { recursive: true, force: true }) };
      },
    },
  ],
  [
    'postgres',
    {
      async open() {
        const test = await createTestDatabase();
        const handle = await openDatabase({ databaseUrl: test.url, dataDir: '/nonexistent' });
        return { handle, cleanup: () => test.drop() };
      },
    },
  ],
];

describe.each(targets)('database on %s', (kind, target) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    const started = performance.now();
    const opened = await target.open();
    handle = opened.handle;
    cleanup = opened.cleanup;
    // Reported so the open + migrate cost is visible in the test log.
    process.stderr.write(`[db.test] ${kind}: open + migrate ${Math.round(performance.now() - started)} ms\n`);
  });

  afterAll(async () => {
    await handle?.close();
    await handle?.close(); // idempotent
    await cleanup();
  });

  async function createUser(email = `u-${newId('usr').slice(4, 12)}@example.com`) {
    const [u] = await handle.db.insert(users).values({ email: email.toLowerCase(), passwordHash: 'x' }).returning();
    return u!;
  }

  it('applies the migrations and answers ping', async () => {
    expect(handle.kind).toBe(kind);
    await handle.ping();
    const result = await handle.db.execute<{ name: string }>(
      sql`select table_name as name from information_schema.tables where table_schema = 'public'`,
    );
    // The Database type promises typed `rows` on both drivers; no cast needed.
    const created = result.rows.map((r) => r.name).sort();
    // Every table the schema declares exists after migrating, and no table exists that it does not declare.
    const declared = Object.values(schema).filter((t) => is(t, PgTable)).map((t) => getTableName(t)).sort();
    expect(declared.length).toBeGreaterThan(10);
    expect(created).toEqual(declared);
  });

  it('inserts a user, a session and an api key with defaults', async () => {
    const user = await createUser();
    expect(user.role).toBe('USER');
    expect(user.tier).toBe('BASIC');
    expect(user.isActive).toBe(true);
    expect(user.createdAt).toBeInstanceOf(Date);
    const [session] = await handle.db.insert(sessions).values({ userId: user.id, name: 'main' }).returning();
    expect(session!.status).toBe('DISCONNECTED');
    expect(session!.epoch).toBe(0);
    expect(session!.workerId).toBeNull();
    const [key] = await handle.db
      .insert(apiKeys)
      .values({ sessionId: session!.id, userId: user.id, name: 'k', prefix: 'wg_live_abcd', keyHash: 'a'.repeat(64) + user.id })
      .returning();
    expect(isId(user.id, 'usr')).toBe(true);
    expect(isId(session!.id, 'ses')).toBe(true);
    expect(isId(key!.id, 'key')).toBe(true);
  });

  it('rejects a duplicate email', async () => {
    const email = `dup-${newId('usr').slice(4, 10)}@example.com`.toLowerCase();
    await createUser(email);
    await rejectsWithState(handle.db.insert(users).values({ email, passwordHash: 'y' }), '23505');
  });

  it('refuses an email that is not lowercase, so the unique index cannot be dodged by case', async () => {
    await rejectsWithState(handle.db.insert(users).values({ email: 'Mixed@Example.com', passwordHash: 'y' }), '23514');
  });

  it('cascades a user delete to sessions and keys', async () => {
    const user = await createUser();
    const [session] = await handle.db.insert(sessions).values({ userId: user.id, name: 's' }).returning();
    await handle.db.insert(apiKeys).values({ sessionId: session!.id, userId: user.id, name: 'k', prefix: 'p', keyHash: newId('key') });
    await handle.db.delete(users).where(eq(users.id, user.id));
    expect(await handle.db.select().from(sessions).where(eq(sessions.userId, user.id))).toEqual([]);
    expect(await handle.db.select().from(apiKeys).where(eq(apiKeys.userId, user.id))).toEqual([]);
  });

  it('makes prefixed, distinct, random ids', () => {
    const ids = Array.from({ length: 1000 }, () => newId('log'));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^log_[A-Za-z0-9_-]{22}$/);
    expect(newId('usr').startsWith('usr_')).toBe(true);
    expect(isId(newId('whk'), 'usr')).toBe(false);
  });

  it('treats NULL session/key as one usage bucket (NULLS NOT DISTINCT)', async () => {
    const user = await createUser();
    const periodStart = new Date('2026-01-01T10:00:00Z');
    await handle.db.insert(usageRecords).values({ userId: user.id, periodStart, metric: 'messages.sent', count: 1 });
    await rejectsWithState(
      handle.db.insert(usageRecords).values({ userId: user.id, periodStart, metric: 'messages.sent', count: 1 }),
      '23505',
    );
  });

  it('scopes by owner: another user sees nothing', async () => {
    const alice = await createUser();
    const bob = await createUser();
    const [s] = await handle.db.insert(sessions).values({ userId: alice.id, name: 'alice' }).returning();
    expect(await handle.db.select().from(sessions).where(ownedBy(sessions, alice.id))).toHaveLength(1);
    expect(await handle.db.select().from(sessions).where(ownedBy(sessions, bob.id))).toEqual([]);
    expect(await handle.db.select().from(sessions).where(ownedRow(sessions, s!.id, bob.id))).toEqual([]);
    expect(await handle.db.select().from(sessions).where(ownedRow(sessions, s!.id, alice.id))).toHaveLength(1);
  });

  it('appends system logs and pages through them newest first', async () => {
    const repo = createSystemLogsRepository(handle.db);
    const category = `test-${newId('log').slice(4, 12)}`;
    const first = await repo.append({ level: 'info', category, message: 'first', userId: 'usr_a', metadata: { n: 0 } });
    expect(isId(first.id, 'log')).toBe(true);
    expect(first.metadata).toEqual({ n: 0 });
    for (let i = 1; i < 25; i++) await repo.append({ level: i % 2 ? 'warn' : 'info', category, message: `m${i}`, userId: i % 5 === 0 ? 'usr_b' : 'usr_a' });
    // 20 rows in one statement share created_at exactly: the id tiebreak must keep paging exact.
    await handle.db.insert(systemLogs).values(Array.from({ length: 20 }, (_, i) => ({ level: 'debug' as const, category, message: `batch${i}` })));

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await repo.list({ category, limit: 20, cursor });
      pages++;
      seen.push(...page.data.map((r) => r.id));
      for (let i = 1; i < page.data.length; i++) {
        expect(page.data[i - 1]!.createdAt.getTime()).toBeGreaterThanOrEqual(page.data[i]!.createdAt.getTime());
      }
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
    expect(seen.at(-1)).toBe(first.id); // oldest last
    const firstPage = await repo.list({ category });
    expect(firstPage.data).toHaveLength(20); // default limit
    expect(firstPage.data.every((r) => r.message.startsWith('batch'))).toBe(true); // newest first

    const bLogs = await repo.list({ category, userId: 'usr_b', limit: 100 });
    expect(bLogs.data.map((r) => r.message).sort()).toEqual(['m10', 'm15', 'm20', 'm5']);
    expect(bLogs.nextCursor).toBeNull();
    const warns = await repo.list({ category, level: 'warn', limit: 100 });
    expect(warns.data).toHaveLength(12);

    await expect(repo.list({ cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('caps the page size at 100', async () => {
    const repo = createSystemLogsRepository(handle.db);
    const category = `cap-${newId('log').slice(4, 12)}`;
    await handle.db.insert(systemLogs).values(Array.from({ length: 120 }, (_, i) => ({ level: 'info' as const, category, message: `c${i}` })));
    const page = await repo.list({ category, limit: 1000 });
    expect(page.data).toHaveLength(100);
    expect(page.nextCursor).not.toBeNull();
    const rest = await repo.list({ category, limit: 1000, cursor: page.nextCursor });
    expect(rest.data).toHaveLength(20);
    expect(rest.nextCursor).toBeNull();
  });
});

describe('migrations on PostgreSQL', () => {
  it('lets several replicas start at once on an empty database', async () => {
    const test = await createTestDatabase();
    try {
      const results = await Promise.allSettled([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: test.url, dataDir: '/nonexistent' })));
      const first = results[0]?.status === 'fulfilled' ? results[0].value : undefined;
      // Named connections, so an operator can tell the gateway's sessions apart in pg_stat_activity.
      const named = await first?.db.execute<{ name: string }>(sql`select current_setting('application_name') as name`);
      for (const r of results) if (r.status === 'fulfilled') await r.value.close();
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(named?.rows[0]).toEqual({ name: 'wagate-gateway' });
    } finally {
      await test.drop();
    }
  });
});
