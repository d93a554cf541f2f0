import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { bearer, BOOTSTRAP_TOKEN, workersTestApp, type WorkersTestApp } from '../workers/test-support/workers-app.js';
import { createOrchestration, type Orchestration } from './index.js';

let t: WorkersTestApp;
let o: Orchestration;

beforeEach(async () => {
  t = await workersTestApp();
  o = createOrchestration({ db: t.database.db, coordinator: t.coordinator, workers: t.workers, logger: t.app.log }, { metrics: { sampleIntervalMs: 300, retentionMs: 60_000, cleanupIntervalMs: 60_000 } });
});
afterEach(async () => {
  await o.close();
  await t.close();
});

async function register(): Promise<{ workerId: string; token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/internal/workers/register',
    headers: bearer(BOOTSTRAP_TOKEN),
    payload: { workerId: 'worker-m', endpoint: 'http://127.0.0.1:3101', maxSessions: 10, version: '0.1.0' },
  });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const beat = (w: { workerId: string; token: string }, sessionCount: number) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/internal/workers/${w.workerId}/heartbeat`,
    headers: bearer(w.token),
    payload: { sessionCount, maxSessions: 10, cpuUsage: 12.5, memoryUsage: 40, sessions: [] },
  });

describe('worker metrics', () => {
  it('samples heartbeats into worker_metrics at most once per interval per worker', async () => {
    const w = await register();
    for (let i = 0; i < 5; i++) expect((await beat(w, 3)).statusCode).toBe(200);
    await o.metrics.flush();
    let rows = await t.database.db.select().from(schema.workerMetrics);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ workerId: 'worker-m', sessionCount: 3, cpuUsage: 12.5, memoryUsage: 40 });
    await new Promise((r) => setTimeout(r, 350));
    await beat(w, 4);
    await o.metrics.flush();
    rows = await o.metrics.samples('worker-m', new Date(0));
    expect(rows.map((r) => r.sessionCount)).toEqual([3, 4]);
  });

  it('deletes samples past retention, and runs the cleanup at most once per interval across replicas', async () => {
    const w = await register();
    const old = new Date(Date.now() - 120_000);
    await t.database.db.insert(schema.workerMetrics).values([
      { workerId: w.workerId, sampledAt: old, sessionCount: 1, cpuUsage: 0, memoryUsage: 0 },
      { workerId: w.workerId, sampledAt: new Date(), sessionCount: 2, cpuUsage: 0, memoryUsage: 0 },
    ]);
    expect(await o.metrics.cleanup()).toBe(1);
    await t.database.db.insert(schema.workerMetrics).values({ workerId: w.workerId, sampledAt: old, sessionCount: 1, cpuUsage: 0, memoryUsage: 0 });
    expect(await o.metrics.cleanup()).toBe(0);
    expect((await o.metrics.samples(w.workerId, new Date(0))).map((r) => r.sessionCount)).toEqual([1, 2]);
  });
});
