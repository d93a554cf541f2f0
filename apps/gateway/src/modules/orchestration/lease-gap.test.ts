import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import type { WorkerRow } from '../workers/index.js';
import { bearer, BOOTSTRAP_TOKEN, workersTestApp, type WorkersTestApp } from '../workers/test-support/workers-app.js';

let t: WorkersTestApp;
let gaps: { row: WorkerRow; silentSince: Date; reported: string[] }[];

beforeEach(async () => {
  // Lease 3 s, beats every 1 s: the worker gives the lease up after 2 s without a renewal.
  t = await workersTestApp({ timing: { heartbeatIntervalMs: 1000, leaseTtlMs: 3000 } });
  gaps = [];
  t.workers.setHooks({ onLeaseGap: (row, gap) => void gaps.push({ row, ...gap }) });
});
afterEach(async () => {
  await t.close();
});

async function register(): Promise<{ workerId: string; token: string }> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/internal/workers/register',
    headers: bearer(BOOTSTRAP_TOKEN),
    payload: { workerId: 'worker-g', endpoint: 'http://127.0.0.1:3101', maxSessions: 10, version: '0.1.0' },
  });
  return res.json();
}

const beat = (w: { workerId: string; token: string }, sessions: { sessionId: string; epoch: number; status: string }[] = []) =>
  t.app.inject({ method: 'POST', url: `/api/v1/internal/workers/${w.workerId}/heartbeat`, headers: bearer(w.token), payload: { sessionCount: sessions.length, maxSessions: 10, cpuUsage: 1, memoryUsage: 1, sessions } });

const silentFor = (ms: number) => t.database.db.update(schema.workers).set({ lastHeartbeat: new Date(Date.now() - ms) }).where(eq(schema.workers.id, 'worker-g'));

describe('a heartbeat after a silence', () => {
  it('reports a lease gap when the silence reached lease minus one interval, with what the worker holds now', async () => {
    const w = await register();
    await silentFor(2500);
    expect((await beat(w, [{ sessionId: 'ses_held', epoch: 1, status: 'CONNECTED' }])).statusCode).toBe(200);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]!.reported).toEqual(['ses_held']);
    expect(Date.now() - gaps[0]!.silentSince.getTime()).toBeGreaterThanOrEqual(2500);
  });

  it('reports nothing for ordinary beats', async () => {
    const w = await register();
    await silentFor(1200);
    await beat(w);
    await beat(w);
    expect(gaps).toEqual([]);
  });
});
