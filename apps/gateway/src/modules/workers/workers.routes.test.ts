import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { hashWorkerToken } from './worker-tokens.js';
import { ADMIN_JWT, API_KEY, BOOTSTRAP_TOKEN, USER_JWT, bearer, workersTestApp, type WorkersTestApp } from './test-support/workers-app.js';

let t: WorkersTestApp;
beforeEach(async () => {
  t = await workersTestApp({ timing: { heartbeatIntervalMs: 1000, leaseTtlMs: 3000 } });
});
afterEach(async () => {
  await t.close();
});

const registerBody = (overrides: Record<string, unknown> = {}) => ({ endpoint: 'http://127.0.0.1:3101', maxSessions: 10, version: '0.1.0', ...overrides });

async function register(overrides: Record<string, unknown> = {}) {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/internal/workers/register', headers: bearer(BOOTSTRAP_TOKEN), payload: registerBody(overrides) });
  expect(res.statusCode).toBe(200);
  return res.json<{ workerId: string; token: string; heartbeatIntervalMs: number; leaseTtlMs: number }>();
}

const beat = (workerId: string, token: string, sessions: { sessionId: string; epoch: number; status: string }[] = []) =>
  t.app.inject({
    method: 'POST',
    url: `/api/v1/internal/workers/${workerId}/heartbeat`,
    headers: bearer(token),
    payload: { sessionCount: sessions.length, maxSessions: 10, cpuUsage: 12.5, memoryUsage: 40, sessions },
  });

describe('POST /api/v1/internal/workers/register', () => {
  it('registers with the bootstrap token, returns a per-worker token and stores only its SHA-256', async () => {
    const answer = await register({ workerId: 'worker-a' });
    expect(answer).toMatchObject({ workerId: 'worker-a', heartbeatIntervalMs: 1000, leaseTtlMs: 3000 });
    expect(answer.token).not.toBe(BOOTSTRAP_TOKEN);
    const [row] = await t.database.db.select().from(schema.workers);
    expect(row).toMatchObject({ id: 'worker-a', endpoint: 'http://127.0.0.1:3101', status: 'ONLINE', source: 'self', maxSessions: 10 });
    expect(row!.tokenHash).toBe(hashWorkerToken(answer.token));
    expect(JSON.stringify(row)).not.toContain(answer.token);
  });

  it('reuses the row by workerId (new endpoint) and by endpoint (new workerId)', async () => {
    const first = await register({ workerId: 'worker-a' });
    const moved = await register({ workerId: 'worker-a', endpoint: 'http://127.0.0.1:3999' });
    expect(moved.workerId).toBe(first.workerId);
    const restarted = await register({ workerId: 'worker-12345', endpoint: 'http://127.0.0.1:3999' });
    expect(restarted.workerId).toBe('worker-a');
    const rows = await t.database.db.select().from(schema.workers);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.endpoint).toBe('http://127.0.0.1:3999');
  });

  it('revokes the previous token when the worker registers again', async () => {
    const first = await register({ workerId: 'worker-a' });
    expect((await beat('worker-a', first.token)).statusCode).toBe(200);
    const second = await register({ workerId: 'worker-a' });
    expect((await beat('worker-a', first.token)).statusCode).toBe(401);
    expect((await beat('worker-a', second.token)).statusCode).toBe(200);
  });

  it('refuses a user JWT, an API key, a wrong token and no token with 401', async () => {
    for (const headers of [bearer(USER_JWT), bearer(ADMIN_JWT), { 'x-api-key': API_KEY }, bearer('not-the-token-at-all-xxxxxxx'), {}]) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/internal/workers/register', headers, payload: registerBody() });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('rejects a body that is not a registration with 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/internal/workers/register', headers: bearer(BOOTSTRAP_TOKEN), payload: { endpoint: 'ftp://x', maxSessions: 0 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it("does not let one worker's token take over another worker's registration", async () => {
    const a = await register({ workerId: 'worker-a', endpoint: 'http://127.0.0.1:3101' });
    await register({ workerId: 'worker-b', endpoint: 'http://127.0.0.1:3102' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/internal/workers/register', headers: bearer(a.token), payload: registerBody({ workerId: 'worker-b', endpoint: 'http://127.0.0.1:3102' }) });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST /api/v1/internal/workers/:id/heartbeat', () => {
  it('records load and the heartbeat time and renews the lease', async () => {
    const { workerId, token } = await register({ workerId: 'worker-a' });
    const before = Date.now();
    const res = await beat(workerId, token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, leaseTtlMs: 3000 });
    const [row] = await t.database.db.select().from(schema.workers);
    expect(row).toMatchObject({ cpuUsage: 12.5, memoryUsage: 40, sessionCount: 0 });
    expect(row!.lastHeartbeat!.getTime()).toBeGreaterThanOrEqual(before - 5);
  });

  it("answers 401 to worker A's token on worker B's heartbeat", async () => {
    const a = await register({ workerId: 'worker-a', endpoint: 'http://127.0.0.1:3101' });
    const b = await register({ workerId: 'worker-b', endpoint: 'http://127.0.0.1:3102' });
    expect((await beat(b.workerId, a.token)).statusCode).toBe(401);
    expect((await beat(b.workerId, b.token)).statusCode).toBe(200);
  });

  it('answers 401 to the bootstrap token and to a user JWT', async () => {
    const { workerId } = await register({ workerId: 'worker-a' });
    expect((await beat(workerId, BOOTSTRAP_TOKEN)).statusCode).toBe(401);
    expect((await beat(workerId, USER_JWT)).statusCode).toBe(401);
  });

  it('tells the worker to drop sessions placed elsewhere, at a newer epoch, or gone', async () => {
    const a = await register({ workerId: 'worker-a', endpoint: 'http://127.0.0.1:3101' });
    const here = await t.createSession();
    const moved = await t.createSession();
    const stale = await t.createSession();
    await t.workers.routing.place(here);
    await t.workers.routing.place(moved);
    await t.workers.routing.place(stale);
    // `moved` goes to worker-b (worker-a leaves the fleet for a moment); `stale` is re-placed on a.
    await t.workers.repository.setStatus('worker-a', 'OFFLINE');
    await register({ workerId: 'worker-b', endpoint: 'http://127.0.0.1:3102' });
    const movedRoute = await t.workers.routing.place(moved);
    expect(movedRoute.workerId).toBe('worker-b');
    await t.workers.repository.setStatus('worker-a', 'ONLINE');
    const staleRoute = await t.workers.routing.place(stale);
    expect(staleRoute).toMatchObject({ workerId: 'worker-a', epoch: 2 });

    const res = await beat(a.workerId, a.token, [
      { sessionId: here, epoch: 1, status: 'CONNECTED' },
      { sessionId: moved, epoch: 1, status: 'CONNECTED' },
      { sessionId: stale, epoch: 1, status: 'CONNECTED' },
      { sessionId: 'ses_deleted', epoch: 4, status: 'CONNECTED' },
    ]);
    expect(res.statusCode).toBe(200);
    const drops = res.json<{ dropSessions: { sessionId: string; epoch: number }[] }>().dropSessions;
    expect(drops).toEqual(
      expect.arrayContaining([
        { sessionId: moved, epoch: 2 },
        { sessionId: stale, epoch: 2 },
        { sessionId: 'ses_deleted', epoch: 5 },
      ]),
    );
    expect(drops.map((d) => d.sessionId)).not.toContain(here);
  });

  it('keeps a DRAINING worker DRAINING and brings an OFFLINE one back ONLINE', async () => {
    const { workerId, token } = await register({ workerId: 'worker-a' });
    await t.workers.repository.setStatus(workerId, 'DRAINING');
    await beat(workerId, token);
    expect((await t.workers.repository.findById(workerId))!.status).toBe('DRAINING');
    await t.workers.repository.setStatus(workerId, 'OFFLINE');
    await beat(workerId, token);
    expect((await t.workers.repository.findById(workerId))!.status).toBe('ONLINE');
  });
});

describe('worker tokens stay on internal routes', () => {
  it('answers 401 to a worker token on a user route', async () => {
    const { token } = await register();
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/test/me', headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/test/me', headers: bearer(BOOTSTRAP_TOKEN) })).statusCode).toBe(401);
  });

  it('answers 401 to a worker token on the admin routes', async () => {
    const { token } = await register();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/workers', headers: bearer(token) })).statusCode).toBe(401);
  });
});
