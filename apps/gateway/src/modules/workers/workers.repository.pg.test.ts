// The placement history on the real PostgreSQL server: every epoch bump records who holds the new
// epoch, in the bump's own transaction, and the migration that adds the table backfills the
// sessions placed at upgrade time.
import { asc, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../../test-support/postgres.js';
import { MIGRATIONS_FOLDER, openDatabase, schema, type Database, type DatabaseHandle } from '../../db/index.js';
import { createWorkersRepository } from './workers.repository.js';

const { users, workers, sessions, sessionPlacements } = schema;

let dir: string;
const databases: TestDatabase[] = [];
const handles: DatabaseHandle[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wagate-placements-'));
});
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
  await Promise.all(databases.map((d) => d.drop()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function newDatabase(): Promise<TestDatabase> {
  const created = await createTestDatabase();
  databases.push(created);
  return created;
}

async function open(url: string): Promise<Database> {
  const handle = await openDatabase({ databaseUrl: url, dataDir: dir });
  handles.push(handle);
  return handle.db;
}

async function seed(db: Database, workerCount: number): Promise<{ sessionId: string; workerIds: string[] }> {
  const [user] = await db.insert(users).values({ email: `pl-${Math.random().toString(36).slice(2)}@example.test`, passwordHash: 'x' }).returning();
  const workerIds: string[] = [];
  for (let i = 0; i < workerCount; i++) {
    const [w] = await db.insert(workers).values({ endpoint: `http://w${i}-${Math.random().toString(36).slice(2)}.test:4000`, status: 'ONLINE', maxSessions: 10 }).returning();
    workerIds.push(w!.id);
  }
  const [session] = await db.insert(sessions).values({ userId: user!.id, name: 'placements' }).returning();
  return { sessionId: session!.id, workerIds };
}

describe('workers repository: placement history', () => {
  let db: Database;

  beforeAll(async () => {
    db = await open((await newDatabase()).url);
  });

  const historyOf = async (sessionId: string) =>
    (await db.select().from(sessionPlacements).where(eq(sessionPlacements.sessionId, sessionId)).orderBy(asc(sessionPlacements.epoch))).map((r) => [r.epoch, r.workerId]);

  it('records who holds each new epoch on every assign, a re-placement on the same worker included', async () => {
    const repo = createWorkersRepository(db);
    const { sessionId, workerIds } = await seed(db, 2);
    const [w1, w2] = workerIds as [string, string];
    expect(await db.transaction((tx) => repo.assign(tx, sessionId, w1))).toBe(1);
    expect(await db.transaction((tx) => repo.assign(tx, sessionId, w2))).toBe(2);
    expect(await db.transaction((tx) => repo.assign(tx, sessionId, w2))).toBe(3);
    expect(await historyOf(sessionId)).toEqual([
      [1, w1],
      [2, w2],
      [3, w2],
    ]);
  });

  it('writes the history row in the caller’s transaction: a rolled-back placement leaves neither epoch nor row', async () => {
    const repo = createWorkersRepository(db);
    const { sessionId, workerIds } = await seed(db, 2);
    await db.transaction((tx) => repo.assign(tx, sessionId, workerIds[0]!));
    await expect(
      db.transaction(async (tx) => {
        await repo.assign(tx, sessionId, workerIds[1]!);
        throw new Error('the worker refused the session');
      }),
    ).rejects.toThrow('refused');
    expect((await db.select().from(sessions).where(eq(sessions.id, sessionId)))[0]!.epoch).toBe(1);
    expect(await historyOf(sessionId)).toEqual([[1, workerIds[0]]]);
  });

  it('keeps the history when the worker row is deleted, and drops it with the session', async () => {
    const repo = createWorkersRepository(db);
    const { sessionId, workerIds } = await seed(db, 1);
    await db.transaction((tx) => repo.assign(tx, sessionId, workerIds[0]!));
    await repo.delete(workerIds[0]!);
    expect(await historyOf(sessionId)).toEqual([[1, workerIds[0]]]);
    await db.delete(sessions).where(eq(sessions.id, sessionId));
    expect(await historyOf(sessionId)).toEqual([]);
  });
});

describe('migration 0005: session_placements backfill', () => {
  it('records the current holder of every placed session at upgrade time, and nothing for unplaced ones', async () => {
    const target = await newDatabase();
    // The migrations as they stood before this one: a copy of the folder with the journal cut before 0005.
    const before = join(dir, 'migrations-before-0005');
    await cp(MIGRATIONS_FOLDER, before, { recursive: true });
    const journalFile = join(before, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { idx: number; tag: string }[] };
    const cut = journal.entries.findIndex((e) => e.tag === '0005_session_placements');
    expect(cut).toBe(5);
    await writeFile(journalFile, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));

    const pool = new pg.Pool({ connectionString: target.url, max: 2 });
    try {
      const old = drizzle({ client: pool });
      await migrate(old, { migrationsFolder: before });
      const tables = await pool.query(`select to_regclass('public.session_placements') as t`);
      expect(tables.rows[0].t).toBeNull();
      // A placed session at epoch 3, a released one (no holder), a never-placed one.
      const user = await pool.query(`insert into users (id, email, password_hash) values ('usr_backfill', 'backfill@example.test', 'x') returning id`);
      await pool.query(`insert into workers (id, endpoint, status, max_sessions) values ('wkr_backfill', 'http://backfill.test:4000', 'ONLINE', 10)`);
      await pool.query(
        `insert into sessions (id, user_id, name, worker_id, epoch) values
           ('ses_placed', $1, 'placed', 'wkr_backfill', 3),
           ('ses_released', $1, 'released', null, 2),
           ('ses_never', $1, 'never', null, 0)`,
        [user.rows[0].id],
      );
    } finally {
      await pool.end();
    }

    const db = await open(target.url);
    const rows = await db.select({ sessionId: sessionPlacements.sessionId, epoch: sessionPlacements.epoch, workerId: sessionPlacements.workerId }).from(sessionPlacements);
    expect(rows).toEqual([{ sessionId: 'ses_placed', epoch: 3, workerId: 'wkr_backfill' }]);
    // The next move goes on from there.
    const next = await db.transaction((tx) => createWorkersRepository(db).assign(tx, 'ses_placed', 'wkr_backfill'));
    expect(next).toBe(4);
    expect(await db.$count(sessionPlacements, sql`${sessionPlacements.sessionId} = 'ses_placed'`)).toBe(2);
  });
});
