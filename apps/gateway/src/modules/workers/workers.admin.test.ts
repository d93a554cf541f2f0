import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { ADMIN_JWT, USER_JWT, bearer, workersTestApp, type WorkersTestApp } from './test-support/workers-app.js';

/** A worker stand-in: answers /health as told and records drain calls with their token. */
async function fakeWorker(status: 'ok' | 'draining' = 'ok') {
  const calls: string[] = [];
  const server: Server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    res.setHeader('content-type', 'application/json');
    if (req.url === '/health') res.end(JSON.stringify({ status, sessionCount: 2, maxSessions: 50, cpuUsage: 3, memoryUsage: 20, uptimeSeconds: 9 }));
    else if (req.url === '/api/v1/internal/drain') res.writeHead(202).end('{"ok":true}');
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { calls, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

let t: WorkersTestApp;
let worker: Awaited<ReturnType<typeof fakeWorker>>;
beforeEach(async () => {
  t = await workersTestApp();
  worker = await fakeWorker();
});
afterEach(async () => {
  await t.close();
  await worker.close();
});

const add = (payload: unknown, token = ADMIN_JWT) => t.app.inject({ method: 'POST', url: '/api/v1/admin/workers', headers: bearer(token), payload: payload as object });

describe('admin worker routes', () => {
  it('adds a worker after its health check passes (201, ONLINE, source manual)', async () => {
    const res = await add({ endpoint: worker.url, maxSessions: 20 });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ worker: { endpoint: worker.url, status: 'ONLINE', maxSessions: 20, sessionCount: 2, cpuUsage: 3 } });
    expect(worker.calls.some((c) => c.startsWith('GET /health '))).toBe(true);
    const [row] = await t.database.db.select().from(schema.workers);
    expect(row).toMatchObject({ source: 'manual', tokenHash: null });
  });

  it('refuses an endpoint that fails its health check with 422 and stores nothing', async () => {
    const dead = await fakeWorker();
    await dead.close();
    const res = await add({ endpoint: dead.url, maxSessions: 5 });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'UNPROCESSABLE' });
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(await t.database.db.select().from(schema.workers)).toEqual([]);
  });

  it('refuses a worker that reports itself draining with 422', async () => {
    const draining = await fakeWorker('draining');
    try {
      expect((await add({ endpoint: draining.url, maxSessions: 5 })).statusCode).toBe(422);
    } finally {
      await draining.close();
    }
  });

  it('answers 409 for an endpoint already registered', async () => {
    expect((await add({ endpoint: worker.url, maxSessions: 5 })).statusCode).toBe(201);
    expect((await add({ endpoint: `${worker.url}/`, maxSessions: 5 })).statusCode).toBe(409);
  });

  it('rejects unknown fields, a bad URL and maxSessions 0 with 400', async () => {
    expect((await add({ endpoint: worker.url, maxSessions: 5, token: 'x' })).statusCode).toBe(400);
    expect((await add({ endpoint: 'not a url', maxSessions: 5 })).statusCode).toBe(400);
    expect((await add({ endpoint: worker.url, maxSessions: 0 })).statusCode).toBe(400);
  });

  it('lists workers with a cursor', async () => {
    for (let i = 0; i < 3; i++) {
      await t.database.db.insert(schema.workers).values({ id: `w-${i}`, endpoint: `http://10.0.0.${i}:3100`, maxSessions: 5 });
    }
    const first = await t.app.inject({ method: 'GET', url: '/api/v1/admin/workers?limit=2', headers: bearer(ADMIN_JWT) });
    expect(first.statusCode).toBe(200);
    const page = first.json<{ data: { id: string }[]; nextCursor: string }>();
    expect(page.data.map((w) => w.id)).toEqual(['w-0', 'w-1']);
    const second = await t.app.inject({ method: 'GET', url: `/api/v1/admin/workers?limit=2&cursor=${page.nextCursor}`, headers: bearer(ADMIN_JWT) });
    expect(second.json()).toMatchObject({ data: [{ id: 'w-2', status: 'OFFLINE', lastHeartbeat: null }], nextCursor: null });
  });

  it('drains a worker: 202, DRAINING, and the worker is told with the gateway token', async () => {
    const { worker: added } = (await add({ endpoint: worker.url, maxSessions: 5 })).json<{ worker: { id: string } }>();
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/admin/workers/${added.id}/drain`, headers: bearer(ADMIN_JWT) });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ worker: { id: added.id, status: 'DRAINING' } });
    expect(worker.calls).toContain('POST /api/v1/internal/drain Bearer bootstrap-worker-token-0123456789');
  });

  it('deletes a worker (204) and answers 404 afterwards', async () => {
    const { worker: added } = (await add({ endpoint: worker.url, maxSessions: 5 })).json<{ worker: { id: string } }>();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/workers/${added.id}`, headers: bearer(ADMIN_JWT) });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/admin/workers/${added.id}`, headers: bearer(ADMIN_JWT) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/admin/workers/${added.id}/drain`, headers: bearer(ADMIN_JWT) })).statusCode).toBe(404);
  });

  it('answers 403 to a plain user and 401 without credentials', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/workers', headers: bearer(USER_JWT) })).statusCode).toBe(403);
    expect((await add({ endpoint: worker.url, maxSessions: 5 }, USER_JWT)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/admin/workers' })).statusCode).toBe(401);
    expect(worker.calls).toEqual([]);
  });
});
