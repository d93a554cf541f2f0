import { ConflictError } from '@wagate/contracts';
import { FsBlobStore, MemoryCoordinator, RedisCoordinator } from '@wagate/storage';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildApp } from './app.js';
import { parseGatewayConfig } from './config.js';
import type { DatabaseHandle } from './db/index.js';
import { openTestPglite } from './test-support/pglite.js';

describe('gateway app', () => {
  let dir: string;
  let database: DatabaseHandle;
  let app: FastifyInstance;
  const coordinator = new MemoryCoordinator();
  let blobStore: FsBlobStore;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wagate-app-'));
    database = await openTestPglite();
    blobStore = new FsBlobStore({ root: join(dir, 'objects') });
    const config = parseGatewayConfig({ DATA_DIR: dir, BODY_LIMIT: '2048' });
    app = await buildApp({ config, database, coordinator, blobStore, logLevel: 'silent' });
    const typed = app.withTypeProvider<ZodTypeProvider>();
    typed.post('/test/echo', { schema: { body: z.strictObject({ name: z.string().min(1) }) } }, async (req) => req.body);
    typed.get('/test/crash', async () => {
      throw new Error('connection to postgres://admin:hunter2@db failed');
    });
    typed.get(
      '/test/items/:id',
      { schema: { params: z.strictObject({ id: z.string().regex(/^itm_/) }), querystring: z.strictObject({ limit: z.coerce.number().int().max(100).optional() }) } },
      async (req) => ({ id: req.params.id }),
    );
    typed.get('/test/ip', async (req) => ({ ip: req.ip }));
    typed.get('/test/conflict', async () => {
      throw new ConflictError('Already there.');
    });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await coordinator.close();
    await rm(dir, { recursive: true, force: true });
  });

  const problemOf = (res: { headers: Record<string, unknown>; json: () => unknown }) => {
    expect(String(res.headers['content-type'])).toContain('application/problem+json');
    return res.json() as { type: string; title: string; status: number; detail: string; code: string; requestId: string; errors?: { path: string; message: string }[] };
  };

  it('answers /health with ok, a request id and security headers', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('keeps a sane incoming request id and replaces an unsafe one', async () => {
    const kept = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-123' } });
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'bad id\n<script>' } });
    expect(replaced.headers['x-request-id']).not.toContain('script');
  });

  it('reports database, coordinator and blob store up in /health/detailed', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/detailed' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.checks).sort()).toEqual(['blobStore', 'coordinator', 'database', 'rateLimiter']);
    expect(res.json()).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), uptimeSeconds: expect.any(Number) });
    for (const check of Object.values(body.checks)) expect(check.status).toBe('up');
  });

  it('answers 503 naming the dependency that is down, without leaking its address', async () => {
    const deadRedis = new RedisCoordinator({ url: 'redis://:pw@127.0.0.1:1' });
    const degraded = await buildApp({
      config: parseGatewayConfig({ DATA_DIR: dir }),
      database,
      coordinator: deadRedis,
      blobStore,
      logLevel: 'silent',
    });
    try {
      const res = await degraded.inject({ method: 'GET', url: '/health/detailed' });
      expect(res.statusCode).toBe(503);
      const body = res.json() as { status: string; checks: Record<string, { status: string; detail?: string }> };
      expect(body.status).toBe('degraded');
      expect(body.checks.coordinator?.status).toBe('down');
      expect(body.checks.database?.status).toBe('up');
      expect(res.body).not.toContain('127.0.0.1:1');
      expect(res.body).not.toContain(':pw@');
    } finally {
      await degraded.close();
      await deadRedis.close();
    }
  });

  it('answers malformed JSON with 400 BAD_REQUEST problem+json', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).code).toBe('BAD_REQUEST');
  });

  it('answers an unknown body field with 400 VALIDATION_FAILED listing the error', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'a', role: 'ADMIN' } });
    expect(res.statusCode).toBe(400);
    const problem = problemOf(res);
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors?.[0]?.path).toMatch(/^body/);
    expect(problem.errors?.[0]?.message).toContain('role');
  });

  it('names the invalid field in the validation errors', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: '' } });
    expect(problemOf(res).errors).toEqual([expect.objectContaining({ path: 'body.name' })]);
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect(res.statusCode).toBe(415);
    expect(problemOf(res).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body over the limit with 413', async () => {
    const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'x'.repeat(4096) } });
    expect(res.statusCode).toBe(413);
    expect(problemOf(res).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/does-not-exist?x=1' });
    expect(res.statusCode).toBe(404);
    const problem = problemOf(res);
    expect(problem.code).toBe('NOT_FOUND');
    expect(problem.type).toMatch(/^https:\/\//);
  });

  it('answers an undecodable URL and an over-long path parameter with a 400 problem', async () => {
    for (const url of ['/test/items/%E0%A4%A', `/test/items/itm_${'a'.repeat(200)}`]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(400);
      expect(problemOf(res).code).toBe('BAD_REQUEST');
      expect(res.headers['x-request-id']).toBeDefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/health' });
    expect(res.statusCode).toBe(405);
    expect(problemOf(res).code).toBe('METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toContain('GET');
    const param = await app.inject({ method: 'POST', url: '/test/items/itm_1' });
    expect(param.statusCode).toBe(405);
  });

  it('names query and path parameters in validation errors', async () => {
    const query = await app.inject({ method: 'GET', url: '/test/items/itm_1?limit=1000' });
    expect(query.statusCode).toBe(400);
    expect(problemOf(query)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: 'query.limit' })] });
    const params = await app.inject({ method: 'GET', url: '/test/items/nope' });
    expect(params.statusCode).toBe(400);
    expect(problemOf(params)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path: 'params.id' })] });
    const ok = await app.inject({ method: 'GET', url: '/test/items/itm_1?limit=5' });
    expect(ok.json()).toEqual({ id: 'itm_1' });
  });

  it('ignores X-Forwarded-For unless a proxy is trusted by config', async () => {
    const headers = { 'x-forwarded-for': '203.0.113.7' };
    const direct = await app.inject({ method: 'GET', url: '/test/ip', headers, remoteAddress: '10.1.2.3' });
    expect(direct.json()).toEqual({ ip: '10.1.2.3' });
    const behindProxy = await buildApp({ config: parseGatewayConfig({ DATA_DIR: dir, TRUST_PROXY: '1' }), database, coordinator, blobStore, logLevel: 'silent' });
    try {
      behindProxy.get('/test/ip', async (req) => ({ ip: req.ip }));
      const res = await behindProxy.inject({ method: 'GET', url: '/test/ip', headers, remoteAddress: '10.1.2.3' });
      expect(res.json()).toEqual({ ip: '203.0.113.7' });
    } finally {
      await behindProxy.close();
    }
  });

  it('compresses large responses when the client accepts gzip', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json', headers: { 'accept-encoding': 'gzip' } });
    expect(res.headers['content-encoding']).toBe('gzip');
  });

  it('maps an AppError to its status and code', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/conflict' });
    expect(res.statusCode).toBe(409);
    expect(problemOf(res)).toMatchObject({ code: 'CONFLICT', detail: 'Already there.', status: 409 });
  });

  it('hides the cause of an unexpected error behind a generic 500', async () => {
    const res = await app.inject({ method: 'GET', url: '/test/crash' });
    expect(res.statusCode).toBe(500);
    const problem = problemOf(res);
    expect(problem.code).toBe('INTERNAL');
    expect(problem.requestId).toBe(res.headers['x-request-id']);
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('postgres');
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
  });

  it('serves the live OpenAPI document and Swagger UI', async () => {
    const doc = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.statusCode).toBe(200);
    const body = doc.json() as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(expect.arrayContaining(['/health', '/health/detailed']));
    const ui = await app.inject({ method: 'GET', url: '/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toContain('text/html');
  });
});
