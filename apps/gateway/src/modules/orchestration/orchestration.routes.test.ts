import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

let g: TestGateway;

beforeEach(async () => {
  g = await createTestGateway();
  await g.db.insert(schema.workers).values({ id: 'wkr-metrics', endpoint: 'http://10.0.0.9:3100', maxSessions: 10, status: 'ONLINE', source: 'self', sessionCount: 4 });
  const now = Date.now();
  await g.db.insert(schema.workerMetrics).values([
    { workerId: 'wkr-metrics', sampledAt: new Date(now - 2 * 3_600_000), sessionCount: 1, cpuUsage: 5, memoryUsage: 10 },
    { workerId: 'wkr-metrics', sampledAt: new Date(now - 120_000), sessionCount: 3, cpuUsage: 20, memoryUsage: 30 },
    { workerId: 'wkr-metrics', sampledAt: new Date(now - 60_000), sessionCount: 4, cpuUsage: 25, memoryUsage: 31 },
  ]);
});
afterEach(async () => {
  await g.close();
});

describe('GET /api/v1/admin/workers/:id/metrics', () => {
  it('answers the last hour of samples, oldest first, with the worker', async () => {
    const admin = await g.signUpAdmin();
    const res = await g.app.inject({ method: 'GET', url: '/api/v1/admin/workers/wkr-metrics/metrics', headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ worker: { id: string; sessionCount: number }; samples: { sessionCount: number; cpuUsage: number }[] }>();
    expect(body.worker).toMatchObject({ id: 'wkr-metrics', sessionCount: 4 });
    expect(body.samples.map((s) => s.sessionCount)).toEqual([3, 4]);
  });

  it('takes an earlier `since`, refuses a malformed one with 400 and answers 404 for an unknown worker', async () => {
    const admin = await g.signUpAdmin();
    const headers = { authorization: `Bearer ${admin.token}` };
    const since = encodeURIComponent(new Date(Date.now() - 3 * 3_600_000).toISOString());
    const all = await g.app.inject({ method: 'GET', url: `/api/v1/admin/workers/wkr-metrics/metrics?since=${since}`, headers });
    expect(all.json<{ samples: unknown[] }>().samples).toHaveLength(3);
    expect((await g.app.inject({ method: 'GET', url: '/api/v1/admin/workers/wkr-metrics/metrics?since=yesterday', headers })).statusCode).toBe(400);
    expect((await g.app.inject({ method: 'GET', url: '/api/v1/admin/workers/wkr-nope/metrics', headers })).statusCode).toBe(404);
  });

  it('is for admins only', async () => {
    const user = await g.signUp();
    const res = await g.app.inject({ method: 'GET', url: '/api/v1/admin/workers/wkr-metrics/metrics', headers: { authorization: `Bearer ${user.token}` } });
    expect(res.statusCode).toBe(403);
    expect((await g.app.inject({ method: 'GET', url: '/api/v1/admin/workers/wkr-metrics/metrics' })).statusCode).toBe(401);
  });
});
