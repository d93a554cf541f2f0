import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

// The module as app.ts wires it: real JWTs and the identity authenticator with this module's worker verifier.
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ deps: { workers: { liveness: { enabled: false } } } });
});
afterAll(async () => {
  await gw?.close();
});

const register = (token: string, endpoint = 'http://127.0.0.1:3201') =>
  gw.app.inject({ method: 'POST', url: '/api/v1/internal/workers/register', headers: gw.auth(token), payload: { endpoint, maxSessions: 5, version: 't' } });

describe('workers in the composed gateway', () => {
  it('registers a worker with WORKER_TOKEN and shows it ONLINE to an admin', async () => {
    const res = await register(gw.config.WORKER_TOKEN!);
    expect(res.statusCode).toBe(200);
    const { workerId } = res.json<{ workerId: string }>();
    const admin = await gw.signUpAdmin();
    const list = await gw.app.inject({ method: 'GET', url: '/api/v1/admin/workers', headers: gw.auth(admin.token) });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ data: [{ id: workerId, status: 'ONLINE', endpoint: 'http://127.0.0.1:3201', maxSessions: 5 }], nextCursor: null });
  });

  it('answers 401 to a user JWT on the internal routes', async () => {
    const user = await gw.signUp();
    expect((await register(user.token)).statusCode).toBe(401);
    const beat = await gw.app.inject({
      method: 'POST',
      url: `/api/v1/internal/workers/wkr_x/heartbeat`,
      headers: gw.auth(user.token),
      payload: { sessionCount: 0, maxSessions: 5, cpuUsage: 0, memoryUsage: 0, sessions: [] },
    });
    expect(beat.statusCode).toBe(401);
  });

  it('answers 403 to a plain user on the admin worker routes and 401 to a worker token', async () => {
    const user = await gw.signUp();
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/admin/workers', headers: gw.auth(user.token) })).statusCode).toBe(403);
    const { token } = (await register(gw.config.WORKER_TOKEN!, 'http://127.0.0.1:3202')).json<{ token: string }>();
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/admin/workers', headers: gw.auth(token) })).statusCode).toBe(401);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(token) })).statusCode).toBe(401);
  });

  it('describes the worker routes in the OpenAPI document', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/admin/workers', '/api/v1/admin/workers/{id}/drain', '/api/v1/admin/workers/{id}', '/api/v1/internal/workers/register', '/api/v1/internal/workers/{id}/heartbeat']),
    );
  });
});
