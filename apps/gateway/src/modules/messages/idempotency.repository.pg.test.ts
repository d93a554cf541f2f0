// The claim on real PostgreSQL with a connection pool: PGlite has one connection, so only here do
// concurrent claims really race inside the database.
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../../test-support/postgres.js';
import { openDatabase, schema, type DatabaseHandle } from '../../db/index.js';
import { createIdempotencyRepository, type IdempotencyRepository } from './idempotency.repository.js';

let testDb: TestDatabase;
let handles: DatabaseHandle[] = [];
let repos: IdempotencyRepository[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase();
  // Two handles = two pools, as two gateway replicas would have.
  handles = [await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent' })];
  handles.push(await openDatabase({ databaseUrl: testDb.url, dataDir: '/nonexistent', migrate: false }));
  repos = handles.map((h) => createIdempotencyRepository(h.db));
}, 60_000);

afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
  await testDb?.drop();
});

const input = (key: string, requestHash = 'h1') => ({ scope: 'session:ses_1:POST /api/v1/messages', key, requestHash, ttlMs: 86_400_000 });

describe('idempotency claims on PostgreSQL', () => {
  it('lets exactly one of 20 concurrent claims across two pools win', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => repos[i % 2]!.claim(input('race-1'))));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'in-progress')).toHaveLength(19);
  });

  it('replays the stored answer once the winner completes, and refuses another body', async () => {
    const claim = await repos[0]!.claim(input('race-2'));
    expect(claim.kind).toBe('claimed');
    if (claim.kind !== 'claimed') return;
    await repos[0]!.complete(claim.rowId, 202, { message: { id: 'm1' } });
    expect(await repos[1]!.claim(input('race-2'))).toEqual({ kind: 'replay', status: 202, body: { message: { id: 'm1' } } });
    expect(await repos[1]!.claim(input('race-2', 'other'))).toEqual({ kind: 'mismatch' });
  });

  it('lets exactly one of many concurrent claims take over an expired key', async () => {
    const first = await repos[0]!.claim(input('race-3'));
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    await repos[0]!.complete(first.rowId, 202, { old: true });
    await handles[0]!.db.update(schema.idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(schema.idempotencyKeys.key, 'race-3'));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => repos[i % 2]!.claim(input('race-3', 'new body'))));
    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.some((r) => r.kind === 'replay')).toBe(false);
  });

  it('lets exactly one retry take over a claim abandoned by a gateway that died mid-request, and not before its lease ends', async () => {
    const first = await repos[0]!.claim(input('race-5'));
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    expect((await repos[1]!.claim(input('race-5'))).kind).toBe('in-progress');
    await handles[0]!.db.update(schema.idempotencyKeys).set({ createdAt: sql`now() - interval '10 minutes'` }).where(eq(schema.idempotencyKeys.key, 'race-5'));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => repos[i % 2]!.claim(input('race-5'))));
    expect(results.filter((r) => r.kind === 'claimed')).toEqual([{ kind: 'claimed', rowId: first.rowId }]);
    expect(results.filter((r) => r.kind === 'in-progress')).toHaveLength(9);
  });

  it('keeps a renewed claim from being taken over, and lets it go one lease after the renewals stop', async () => {
    const first = await repos[0]!.claim(input('race-6'));
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    const age = (seconds: number) => handles[0]!.db.update(schema.idempotencyKeys).set({ createdAt: sql`now() - make_interval(secs => ${seconds})` }).where(eq(schema.idempotencyKeys.key, 'race-6'));
    // Older than a lease (15 s), but renewed just now: a retry still finds it in progress.
    await age(20);
    await repos[0]!.renew(first.rowId);
    expect((await repos[1]!.claim(input('race-6'))).kind).toBe('in-progress');
    // The claimant died: no renewal for a whole lease, and a retry takes the key over.
    await age(16);
    expect(await repos[1]!.claim(input('race-6'))).toEqual({ kind: 'claimed', rowId: first.rowId });
    // A renewal does not touch an answered key.
    await repos[1]!.complete(first.rowId, 202, { message: { id: 'm6' } });
    await age(60);
    await repos[0]!.renew(first.rowId);
    expect(await repos[0]!.claim(input('race-6'))).toEqual({ kind: 'replay', status: 202, body: { message: { id: 'm6' } } });
  });

  it('frees a released key for the next claim', async () => {
    const claim = await repos[0]!.claim(input('race-4'));
    if (claim.kind !== 'claimed') throw new Error('expected a claim');
    await repos[0]!.release(claim.rowId);
    expect((await repos[1]!.claim(input('race-4'))).kind).toBe('claimed');
  });

  it('sweeps only expired keys', async () => {
    await repos[0]!.claim(input('sweep-live'));
    await repos[0]!.claim(input('sweep-old'));
    await handles[0]!.db.update(schema.idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(schema.idempotencyKeys.key, 'sweep-old'));
    expect(await repos[0]!.deleteExpired()).toBeGreaterThanOrEqual(1);
    const keys = (await handles[0]!.db.select({ key: schema.idempotencyKeys.key }).from(schema.idempotencyKeys)).map((r) => r.key);
    expect(keys).toContain('sweep-live');
    expect(keys).not.toContain('sweep-old');
  });
});
