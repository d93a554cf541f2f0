import { MemoryCoordinator, RedisCoordinator, type Coordinator } from '@wagate/storage';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../../../../test-support/redis.js';
import type { DatabaseHandle } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';
import { createLimits } from './limits.service.js';
import { createResilientLimiter } from './resilient-limiter.js';
import { TIER_LIMITS } from './tiers.js';

const silent = pino({ level: 'silent' });

/** A Coordinator whose rate limiter can be made to fail, as when Redis goes away. */
class FlakyCoordinator extends MemoryCoordinator {
  down = false;
  override async rateLimit(...args: Parameters<Coordinator['rateLimit']>) {
    if (this.down) throw new Error('connect ECONNREFUSED');
    return super.rateLimit(...args);
  }
}

async function settle<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        results.push(await task().then((value) => ({ status: 'fulfilled' as const, value }), (reason: unknown) => ({ status: 'rejected' as const, reason })));
      }
    }),
  );
  return results;
}

describe('rate limits across two gateway instances on one Redis', () => {
  const prefix = uniquePrefix('gateway-limits');
  let database: DatabaseHandle;
  let coordinators: RedisCoordinator[];
  let gateways: TestGateway[];

  beforeAll(async () => {
    database = await openTestPglite();
    coordinators = [0, 1].map(() => new RedisCoordinator({ url: testRedisUrl(), keyPrefix: prefix }));
    // Same database and JWT secret: a token from one replica is good on the other, as in production.
    const shared = { JWT_SECRET: randomBytes(32).toString('base64url'), RATE_LIMIT_IP_PER_15_MIN: '0' };
    gateways = await Promise.all(coordinators.map((coordinator) => createTestGateway({ config: shared, deps: { database, coordinator } })));
  });
  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.close()));
    await Promise.all((coordinators ?? []).map((c) => c.close()));
    await database?.close();
    await deleteKeysWithPrefix(prefix);
  });

  it('admits exactly the BASIC tier’s 1,000 API calls per hour, split over both replicas, concurrently', async () => {
    const user = await gateways[0]!.signUp();
    const limit = TIER_LIMITS.BASIC.apiCallsPerHour;
    const extra = 60;
    const tasks = Array.from({ length: limit + extra }, (_, i) => () =>
      gateways[i % 2]!.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${user.token}` } }));
    const results = await settle(tasks, 32);
    const statuses = results.map((r) => (r.status === 'fulfilled' ? r.value.statusCode : 0));
    const ok = statuses.filter((s) => s === 200).length;
    const limited = statuses.filter((s) => s === 429).length;
    // Tolerance: none. The window check-and-add is one atomic Redis script.
    expect({ ok, limited, other: statuses.length - ok - limited }).toEqual({ ok: limit, limited: extra, other: 0 });

    const denied = results.find((r) => r.status === 'fulfilled' && r.value.statusCode === 429);
    const res = (denied as PromiseFulfilledResult<Awaited<ReturnType<TestGateway['app']['inject']>>>).value;
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().code).toBe('RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-limit']).toBe(String(limit));
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
  }, 120_000);

  it('answers admitted calls with RateLimit-* headers counting down', async () => {
    const user = await gateways[1]!.signUp();
    const first = await gateways[0]!.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${user.token}` } });
    const second = await gateways[1]!.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${user.token}` } });
    expect(first.headers['ratelimit-limit']).toBe('1000');
    expect(Number(first.headers['ratelimit-remaining']) - Number(second.headers['ratelimit-remaining'])).toBe(1);
  });

  it('admits exactly 100 BASIC messages per hour through two limiters on one Redis', async () => {
    const limitsOf = (c: Coordinator) => createLimits({ limiter: createResilientLimiter({ coordinator: c, logger: silent }), ipLimit: 1000, sessionOperationsPerMinute: 60 });
    const pair = coordinators.map(limitsOf);
    const principal = { userId: `usr_${randomBytes(8).toString('hex')}`, tier: 'BASIC' as const };
    const results = await Promise.allSettled(Array.from({ length: 130 }, (_, i) => pair[i % 2]!.consumeMessage(principal)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(100);
    const rejection = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejection.reason).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    expect(rejection.reason.headers['Retry-After']).toMatch(/^\d+$/);
    // A PRO user is not affected by the BASIC user's spending and has ten times the room.
    await expect(pair[0]!.consumeMessage({ userId: `usr_${randomBytes(8).toString('hex')}`, tier: 'PRO' })).resolves.toBeUndefined();
  });

  it('admits exactly 60 session operations per minute per user', async () => {
    const limits = createLimits({ limiter: createResilientLimiter({ coordinator: coordinators[0]!, logger: silent }), ipLimit: 1000, sessionOperationsPerMinute: 60 });
    const userId = `usr_${randomBytes(8).toString('hex')}`;
    const results = await Promise.allSettled(Array.from({ length: 75 }, () => limits.consumeSessionOperation(userId)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(60);
  });
});

describe('per-address and login limits', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway({ config: { RATE_LIMIT_IP_PER_15_MIN: '40', LOGIN_FAILURES_PER_ACCOUNT: '3', LOGIN_FAILURES_PER_IP: '6' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('locks an account after its failed logins, even for the right password, without touching other accounts', async () => {
    const [victim, other] = await Promise.all([gw.signUp(), gw.signUp()]);
    const login = (email: string, password: string, ip = '10.0.0.1') => gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });
    for (let i = 0; i < 3; i++) expect((await login(victim.email, 'wrong password')).statusCode).toBe(401);
    const locked = await login(victim.email, victim.password);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(other.email, other.password)).statusCode).toBe(200);
  });

  it('locks an address after its failed logins across accounts', async () => {
    const user = await gw.signUp();
    const ip = '10.0.0.2';
    for (let i = 0; i < 6; i++) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `guess-${i}@example.test`, password: 'wrong password' }, remoteAddress: ip });
      expect(res.statusCode).toBe(401);
    }
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password }, remoteAddress: ip });
    expect(res.statusCode).toBe(429);
  });

  it('limits requests per address and leaves /health alone', async () => {
    const ip = '10.0.0.3';
    const statuses: number[] = [];
    for (let i = 0; i < 42; i++) statuses.push((await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: ip })).statusCode);
    expect(statuses.filter((s) => s === 401)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect((await gw.app.inject({ method: 'GET', url: '/health', remoteAddress: ip })).statusCode).toBe(200);
    // Another address has its own budget.
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', remoteAddress: '10.0.0.4' })).statusCode).toBe(401);
  });
});

describe('when the shared limiter fails', () => {
  it('keeps enforcing the same rule locally and returns to the shared one when it answers', async () => {
    const coordinator = new FlakyCoordinator();
    const limiter = createResilientLimiter({ coordinator, logger: silent, retrySharedMs: 0 });
    const rule = { limit: 3, windowMs: 60_000 };
    coordinator.down = true;
    const local = await Promise.all(Array.from({ length: 5 }, () => limiter.check('k', rule)));
    expect(local.filter((r) => r.allowed)).toHaveLength(3);
    expect(limiter.status().degraded).toBe(true);
    coordinator.down = false;
    expect((await limiter.check('k', rule)).allowed).toBe(true);
    expect(limiter.status().degraded).toBe(false);
    await limiter.close();
    await coordinator.close();
  });

  it('reports the fallback in /health/detailed while requests keep being served', async () => {
    const coordinator = new FlakyCoordinator();
    const gw = await createTestGateway({ deps: { coordinator } });
    try {
      const user = await gw.signUp();
      coordinator.down = true;
      const me = await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(user.token) });
      expect(me.statusCode).toBe(200);
      expect(me.headers['ratelimit-limit']).toBe('1000');
      const health = await gw.app.inject({ method: 'GET', url: '/health/detailed' });
      expect(health.statusCode).toBe(503);
      expect(health.json().checks.rateLimiter).toMatchObject({ status: 'down', detail: expect.stringContaining('per replica') });
    } finally {
      await gw.close();
      await coordinator.close();
    }
  });
});
