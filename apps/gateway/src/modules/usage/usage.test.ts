import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type DatabaseHandle } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';
import { createUsageMeter } from './usage-meter.js';

describe('usage', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('counts exactly the authenticated calls a user made, by day', async () => {
    const user = await gw.signUp();
    const calls = 17;
    for (let i = 0; i < calls; i++) expect((await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(user.token) })).statusCode).toBe(200);
    // Refused calls are not usage.
    await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: 'Bearer nope' } });
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/usage', headers: gw.auth(user.token) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const today = new Date().toISOString().slice(0, 10);
    // The usage call itself is an API call too.
    expect(body.totals).toEqual({ 'api.calls': calls + 1 });
    expect(body.days).toEqual([{ date: today, metrics: { 'api.calls': calls + 1 } }]);
    expect(body.to).toBe(today);
    // The tier's allowances come along, so the dashboard draws against them without copying numbers.
    expect(body.limits).toEqual({ tier: 'BASIC', messagesPerHour: 100, apiCallsPerHour: 1_000, sessions: gw.config.SESSION_LIMIT_BASIC });
  });

  it('counts API-key calls per session and key, and shows a user only their own usage', async () => {
    const [alice, bob] = await Promise.all([gw.signUp(), gw.signUp()]);
    const [session] = await gw.db.insert(schema.sessions).values({ userId: alice.userId, name: 's' }).returning();
    const { apiKey } = (await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${session!.id}/api-keys`, headers: gw.auth(alice.token), payload: { name: 'k' } })).json();
    for (let i = 0; i < 5; i++) expect((await gw.app.inject({ method: 'GET', url: '/api/v1/session', headers: { 'x-api-key': apiKey.key } })).statusCode).toBe(200);

    const bySession = (await gw.app.inject({ method: 'GET', url: `/api/v1/usage?sessionId=${session!.id}`, headers: gw.auth(alice.token) })).json();
    expect(bySession.totals).toEqual({ 'api.calls': 5 });
    const rows = await gw.db.select().from(schema.usageRecords).where(eq(schema.usageRecords.sessionId, session!.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ apiKeyId: apiKey.id, metric: 'api.calls', count: 5 });
    expect(rows[0]!.periodStart.getTime() % 3_600_000).toBe(0);

    const bobs = (await gw.app.inject({ method: 'GET', url: `/api/v1/usage?sessionId=${session!.id}`, headers: gw.auth(bob.token) })).json();
    expect(bobs.totals).toEqual({});
  });

  it('refuses an inverted or unknown range parameter', async () => {
    const user = await gw.signUp();
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/usage?from=2025-02-01&to=2025-01-01', headers: gw.auth(user.token) })).statusCode).toBe(400);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/usage?since=2025-01-01', headers: gw.auth(user.token) })).statusCode).toBe(400);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/usage?from=yesterday', headers: gw.auth(user.token) })).statusCode).toBe(400);
  });
});

describe('usage meter', () => {
  let database: DatabaseHandle;
  let userId: string;
  const logger = pino({ level: 'silent' });
  beforeAll(async () => {
    database = await openTestPglite();
    const [user] = await database.db.insert(schema.users).values({ email: 'meter@example.test', passwordHash: 'x' }).returning();
    userId = user!.id;
  });
  afterAll(async () => {
    await database?.close();
  });

  const total = async (metric: string) =>
    (await database.db.select().from(schema.usageRecords).where(eq(schema.usageRecords.metric, metric))).reduce((sum, r) => sum + r.count, 0);

  it('adds concurrent flushes into one row per bucket and flushes what is left on close', async () => {
    const meter = createUsageMeter({ db: database.db, logger, flushIntervalMs: 60_000 });
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 1000; i++) {
      meter.record({ userId, metric: 'messages.sent', count: 2 });
      if (i % 100 === 0) flushes.push(meter.flush());
    }
    await Promise.all(flushes);
    meter.record({ userId, metric: 'messages.sent' });
    await meter.close();
    expect(await total('messages.sent')).toBe(2001);
    const rows = await database.db.select().from(schema.usageRecords).where(eq(schema.usageRecords.metric, 'messages.sent'));
    expect(rows).toHaveLength(1);
  });

  it('keeps the counts of a failed flush for the next one', async () => {
    let fail = true;
    const flaky = new Proxy(database.db, {
      get(target, prop, receiver) {
        if (prop === 'execute' && fail) return async () => Promise.reject(new Error('database went away'));
        return Reflect.get(target, prop, receiver);
      },
    });
    const meter = createUsageMeter({ db: flaky, logger, flushIntervalMs: 60_000 });
    meter.record({ userId, metric: 'messages.received', count: 3 });
    await meter.flush();
    expect(await total('messages.received')).toBe(0);
    fail = false;
    meter.record({ userId, metric: 'messages.received' });
    await meter.close();
    expect(await total('messages.received')).toBe(4);
  });

  it('drops counts of a user deleted meanwhile instead of failing the batch', async () => {
    const meter = createUsageMeter({ db: database.db, logger, flushIntervalMs: 60_000 });
    meter.record({ userId: 'usr_gone00000000000000000', metric: 'api.calls' });
    meter.record({ userId, metric: 'api.calls', count: 7 });
    await meter.close();
    expect(await total('api.calls')).toBe(7);
  });
});
