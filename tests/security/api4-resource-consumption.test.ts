// OWASP API4:2023 Unrestricted resource consumption. Bodies over BODY_LIMIT are 413, list pages
// are capped at 100 (more is a 400, the default is 20), arrays in bodies are bounded, callers are
// rate limited with the standard headers, and a slow client cannot hold a request open forever.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { fill, idsOf, isProblem, openApiOperations, securityGateway, tenantWithObjects, type Operation, type Tenant } from './support.js';

let gw: TestGateway;
let alice: Tenant;
let admin: { token: string };
let lists: Operation[];

beforeAll(async () => {
  gw = await securityGateway({ config: { BODY_LIMIT: '65536', RATE_LIMIT_IP_PER_15_MIN: '0' } });
  alice = await tenantWithObjects(gw);
  admin = await gw.signUpAdmin();
  lists = (await openApiOperations(gw.app)).filter((op) => op.method === 'GET' && 'limit' in op.query);
});
afterAll(async () => gw?.close());

const headersFor = (op: Operation) =>
  op.path.startsWith('/api/v1/admin/') ? gw.auth(admin.token) : op.path === '/api/v1/messages' ? { 'x-api-key': alice.apiKey } : gw.auth(alice.token);

describe('API4 body size', () => {
  it('answers 413 problem+json to a body over BODY_LIMIT, on public and authenticated routes', async () => {
    const big = JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(70_000) });
    for (const [url, headers] of [
      ['/api/v1/auth/register', {}],
      ['/api/v1/sessions', gw.auth(alice.token)],
      ['/api/v1/messages', { 'x-api-key': alice.apiKey }],
    ] as const) {
      const res = await gw.app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': 'application/json' }, payload: big });
      expect(res.statusCode, url).toBe(413);
      expect(isProblem(res)).toBe(true);
    }
  });

  it('caps string fields well below the body limit (a 10 kB session name is a 400)', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: gw.auth(alice.token), payload: { name: 'n'.repeat(10_000) } });
    expect(res.statusCode).toBe(400);
  });

  it('bounds arrays: 500 phones in one contacts check is a 400 (the cap is 50), not 500 lookups', async () => {
    const phones = Array.from({ length: 500 }, (_, i) => `+62812${String(i).padStart(7, '0')}`);
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/contacts/check', headers: { 'x-api-key': alice.apiKey }, payload: { phones } });
    expect(res.statusCode).toBe(400);
  });
});

describe('API4 pagination caps', () => {
  it('finds the paginated lists in the document', () => {
    expect(lists.length).toBeGreaterThanOrEqual(6);
  });

  it('answers 400 to limit=101, limit=0 and limit=-5 on every paginated list', async () => {
    const wrong: string[] = [];
    for (const op of lists) {
      for (const limit of ['101', '0', '-5', '100000']) {
        const res = await gw.app.inject({ method: 'GET', url: `${fill(op.path, idsOf(alice))}?limit=${limit}`, headers: headersFor(op) });
        if (res.statusCode !== 400) wrong.push(`${op.openApiPath}?limit=${limit} → ${res.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('defaults to 20 per page and follows the cursor', async () => {
    const h = gw.auth(alice.token);
    for (let i = 0; i < 22; i++) {
      const res = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${alice.sessionId}/api-keys`, headers: h, payload: { name: `k${i}` } });
      expect(res.statusCode).toBe(201);
    }
    const first = (await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionId}/api-keys`, headers: h })).json() as { data: unknown[]; nextCursor: string | null };
    expect(first.data).toHaveLength(20);
    expect(first.nextCursor).not.toBeNull();
    const second = (
      await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionId}/api-keys?cursor=${encodeURIComponent(first.nextCursor!)}`, headers: h })
    ).json() as { data: unknown[] };
    expect(second.data.length).toBe(3);
  });
});

describe('API4 rate limits', () => {
  it('limits requests per IP with 429, Retry-After and RateLimit-* headers', async () => {
    const limited = await securityGateway({ config: { RATE_LIMIT_IP_PER_15_MIN: '5' } });
    try {
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 7; i++) {
        last = await limited.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'x@example.test', password: 'password-x' } });
        statuses.push(last.statusCode);
      }
      expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true);
      expect(statuses.at(-1)).toBe(429);
      expect(isProblem(last!)).toBe(true);
      expect(last!.headers['retry-after']).toBeDefined();
      expect(last!.headers['ratelimit-limit']).toBeDefined();
      expect(last!.headers['ratelimit-remaining']).toBe('0');
      expect(last!.headers['ratelimit-reset']).toBeDefined();
    } finally {
      await limited.close();
    }
  });

  it('limits session operations per user (60/min) even when each one is cheap', async () => {
    const user = await tenantWithObjects(gw);
    const statuses = new Map<number, number>();
    for (let i = 0; i < 70; i++) {
      const res = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${user.sessionId}/disconnect`, headers: gw.auth(user.token) });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
    expect(statuses.get(429) ?? 0).toBeGreaterThanOrEqual(5);
  });
});

describe('API4 slow clients', () => {
  it('bounds the time to receive a whole request (Fastify alone would wait forever)', async () => {
    expect(gw.app.server.requestTimeout).toBe(gw.config.REQUEST_TIMEOUT_MS);
    expect(gw.app.server.requestTimeout).toBeGreaterThan(0);
    expect(gw.app.server.requestTimeout).toBeLessThanOrEqual(120_000);
    // Headers must arrive within Node's bound too (a slowloris trickles headers).
    expect(gw.app.server.headersTimeout).toBeGreaterThan(0);
  });
});
