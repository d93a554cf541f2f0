// OWASP API8:2023 Security misconfiguration. Every response — success, client error, framework
// error, server failure — carries the hardening headers and never a stack trace, a file path or
// SQL; CORS does not open the API to any origin with credentials; DOCS_ENABLED=false hides the docs.
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { isProblem, securityGateway, tenantWithObjects, type Tenant } from './support.js';

let gw: TestGateway;
let alice: Tenant;

beforeAll(async () => {
  gw = await securityGateway();
  alice = await tenantWithObjects(gw);
});
afterAll(async () => gw?.close());

/** What a leaked stack, path or query looks like in a body. */
const LEAK = /(\n\s+at |at [\w$.<>]+ \(|node:internal|\/work\/|\/src\/|\.ts:\d+|\.js:\d+|node_modules|SELECT |INSERT INTO|UPDATE .* SET|PGlite|drizzle|ZodError|"stack")/i;

function expectHardened(res: LightMyRequestResponse, what: string) {
  expect(res.headers['x-content-type-options'], what).toBe('nosniff');
  expect(res.headers['x-frame-options'], what).toBe('DENY');
  expect(res.headers['content-security-policy'], what).toContain("frame-ancestors 'none'");
  expect(res.headers['referrer-policy'], what).toBe('no-referrer');
  expect(res.headers['x-powered-by'], what).toBeUndefined();
  expect(res.headers['x-request-id'], what).toBeDefined();
}

describe('API8 security headers', () => {
  it('are on successes, client errors and framework errors alike', async () => {
    const cases: [string, InjectOptions][] = [
      ['health', { method: 'GET', url: '/health' }],
      ['docs json', { method: 'GET', url: '/docs/json' }],
      ['authed read', { method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(alice.token) }],
      ['401', { method: 'GET', url: '/api/v1/sessions' }],
      ['404 route', { method: 'GET', url: '/api/v1/nope' }],
      ['400 validation', { method: 'POST', url: '/api/v1/auth/register', payload: { email: 1 } }],
      ['400 bad json', { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' }],
      ['415 content type', { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'text/xml' }, payload: '<a/>' }],
      ['bad url encoding', { method: 'GET', url: '/api/v1/sessions/%E0%A4%A' }],
    ];
    for (const [what, req] of cases) expectHardened(await gw.app.inject(req), what);
  });
});

describe('API8 errors leak nothing', () => {
  it('client errors are problem+json without stacks, paths or SQL', async () => {
    const reqs: InjectOptions[] = [
      { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"email": "a", ' },
      { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"__proto__": {"admin": true}, "email": "a@b.c", "password": "x"}' },
      { method: 'POST', url: '/api/v1/auth/register', payload: { email: 'not-an-email', password: 'x' } },
      { method: 'GET', url: `/api/v1/sessions/${'x'.repeat(5000)}`, headers: gw.auth(alice.token) },
      { method: 'GET', url: "/api/v1/sessions/ses_'%20OR%201=1--", headers: gw.auth(alice.token) },
      { method: 'GET', url: '/api/v1/sessions?limit=abc', headers: gw.auth(alice.token) },
      { method: 'GET', url: '/api/v1/sessions?cursor=%00%FF', headers: gw.auth(alice.token) },
      { method: 'POST', url: '/api/v1/sessions', headers: { ...gw.auth(alice.token), 'content-type': 'application/json' }, payload: '[]' },
    ];
    for (const req of reqs) {
      const res = await gw.app.inject(req);
      expect(res.statusCode, `${req.url as string}`).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, `${req.url as string}`).toBeLessThan(500);
      expect(isProblem(res), res.body).toBe(true);
      expect(res.body).not.toMatch(LEAK);
    }
  });

  it('a server failure (the database gone) is a 5xx problem+json with no stack, path or SQL', async () => {
    const broken = await securityGateway();
    const user = await broken.signUp();
    await broken.database.close();
    try {
      const reqs: InjectOptions[] = [
        { method: 'GET', url: '/api/v1/sessions', headers: broken.auth(user.token) },
        { method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } },
        { method: 'POST', url: '/api/v1/sessions', headers: broken.auth(user.token), payload: { name: 'x' } },
      ];
      for (const req of reqs) {
        const res = await broken.app.inject(req);
        expect(res.statusCode, req.url as string).toBeGreaterThanOrEqual(500);
        expect(isProblem(res), res.body).toBe(true);
        expect(res.body).not.toMatch(LEAK);
        expectHardened(res, req.url as string);
      }
    } finally {
      await broken.app.close().catch(() => undefined);
    }
  });
});

describe('API8 CORS', () => {
  it('never allows any origin together with credentials, nor reflects a foreign origin', async () => {
    for (const req of [
      { method: 'GET' as const, url: '/api/v1/auth/me', headers: { ...gw.auth(alice.token), origin: 'https://evil.example' } },
      {
        method: 'OPTIONS' as const,
        url: '/api/v1/sessions',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
      },
    ]) {
      const res = await gw.app.inject(req);
      const origin = res.headers['access-control-allow-origin'];
      expect(origin).not.toBe('https://evil.example');
      if (origin === '*') expect(res.headers['access-control-allow-credentials']).not.toBe('true');
      expect(res.statusCode).not.toBe(500);
    }
  });
});

describe('API8 docs exposure', () => {
  it('DOCS_ENABLED=false serves neither the UI nor the document, and / no longer points at them', async () => {
    const closed = await securityGateway({ config: { DOCS_ENABLED: 'false' } });
    try {
      for (const url of ['/docs', '/docs/json', '/docs/yaml', '/docs/static/index.html']) {
        const res = await closed.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(404);
      }
      const root = await closed.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } });
      expect(String(root.headers.location ?? '')).not.toContain('/docs');
    } finally {
      await closed.close();
    }
  });

  it('with docs on (the default) serves the document', async () => {
    expect((await gw.app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
  });
});

describe('API8 transport details', () => {
  it('does not answer TRACE and does not announce its software', async () => {
    const res = await gw.app.inject({ method: 'TRACE' as never, url: '/health' });
    expect([404, 405]).toContain(res.statusCode);
    const health = await gw.app.inject({ method: 'GET', url: '/health' });
    expect(health.headers.server).toBeUndefined();
  });
});
