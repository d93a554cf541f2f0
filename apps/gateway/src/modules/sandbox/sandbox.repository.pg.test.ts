// The per-user phone cap on real PostgreSQL with two connection pools: PGlite runs one transaction
// at a time, so only here do parallel creates really race inside the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../../test-support/postgres.js';
import { openDatabase, schema, type DatabaseHandle } from '../../db/index.js';
import { createSandboxPhonesRepository, type SandboxPhonesRepository } from './sandbox.repository.js';

let testDb: TestDatabase;
let handles: DatabaseHandle[] = [];
let repos: SandboxPhonesRepository[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  // Two handles = two pools, as two gateway replicas would have.
  handles = [await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' })];
  handles.push(await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent', migrate: false }));
  repos = handles.map((h) => createSandboxPhonesRepository(h.db));
}, 60_000);

afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
  await testDb?.drop();
});

async function newUser(email: string): Promise<string> {
  const [row] = await handles[0]!.db.insert(schema.users).values({ email, passwordHash: 'x' }).returning();
  return row!.id;
}

describe('sandbox phone cap on PostgreSQL', () => {
  it('lets exactly `cap` of 24 parallel inserts across two pools through', async () => {
    const userId = await newUser('racer@example.com');
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => repos[i % 2]!.insert({ phoneNumber: `1555100${String(i).padStart(4, '0')}`, userId, name: `p${i}` }, 5)),
    );
    expect(results.filter((r) => r === 'inserted')).toHaveLength(5);
    expect(results.filter((r) => r === 'limit')).toHaveLength(19);
    expect(await repos[0]!.countOwned(userId)).toBe(5);
  });

  it('tops up to the cap from where the user stands, and says "taken" for a held number', async () => {
    const [a, b] = [await newUser('a@example.com'), await newUser('b@example.com')];
    expect(await repos[0]!.insert({ phoneNumber: '15551010001', userId: a, name: 'a1' }, 3)).toBe('inserted');
    expect(await repos[1]!.insert({ phoneNumber: '15551010001', userId: b, name: 'b1' }, 3)).toBe('taken');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => repos[i % 2]!.insert({ phoneNumber: `1555102000${i}`, userId: a, name: `a${i}` }, 3)));
    expect(results.filter((r) => r === 'inserted')).toHaveLength(2);
    expect(await repos[0]!.countOwned(a)).toBe(3);
    expect(await repos[0]!.countOwned(b)).toBe(0);
  });
});
