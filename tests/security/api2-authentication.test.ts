// OWASP API2:2023 Broken authentication. Forged, expired, re-signed and misplaced credentials are
// refused with 401 problem+json; revocation and deactivation take effect at once; password guessing
// is locked out; refresh tokens rotate (a replayed one is dead). Credentials are checked before
// the body is parsed or validated, so an anonymous caller learns nothing of a route's schema.
import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { fill, isProblem, openApiOperations, securityGateway, tenantWithObjects, type Tenant } from './support.js';

let gw: TestGateway;
let alice: Tenant;
const ME = '/api/v1/auth/me';

beforeAll(async () => {
  gw = await securityGateway({ config: { LOGIN_FAILURES_PER_ACCOUNT: '5', LOGIN_FAILURES_PER_IP: '40' } });
  alice = await tenantWithObjects(gw);
});
afterAll(async () => gw?.close());

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

async function sign(claims: Record<string, unknown>, options: { secret?: string; alg?: string; iss?: string; aud?: string; exp?: number } = {}) {
  const key = new TextEncoder().encode(options.secret ?? gw.config.JWT_SECRET ?? '');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(alice.userId)
    .setIssuer(options.iss ?? 'wagate')
    .setAudience(options.aud ?? 'wagate-dashboard')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? now() + 600)
    .sign(key);
}

async function me(headers: Record<string, string>, url = ME) {
  return gw.app.inject({ method: 'GET', url, headers });
}

describe('API2 JWT negatives', () => {
  it('accepts the real token (control)', async () => {
    expect((await me(gw.auth(alice.token))).statusCode).toBe(200);
  });

  it('refuses missing, malformed, forged and misplaced tokens with 401 problem+json', async () => {
    const [header, payload] = alice.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const cases: Record<string, Record<string, string>> = {
      none: {},
      empty: { authorization: 'Bearer ' },
      garbage: { authorization: 'Bearer not.a.jwt' },
      'basic scheme': { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      'alg none': { authorization: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'ADMIN' })}.` },
      'payload swapped, old signature': { authorization: `Bearer ${header}.${b64({ ...claims, sub: 'usr_someone_else', role: 'ADMIN' })}.${alice.token.split('.')[2]}` },
      'signature stripped': { authorization: `Bearer ${header}.${payload}.` },
      'wrong secret': { authorization: `Bearer ${await sign({ role: 'ADMIN' }, { secret: randomBytes(32).toString('base64url') })}` },
      expired: { authorization: `Bearer ${await sign({}, { exp: now() - 60 })}` },
      'wrong audience': { authorization: `Bearer ${await sign({}, { aud: 'someone-else' })}` },
      'wrong issuer': { authorization: `Bearer ${await sign({}, { iss: 'evil' })}` },
      'HS512 instead of HS256': { authorization: `Bearer ${await sign({}, { alg: 'HS512' })}` },
      'refresh token as access token': { authorization: `Bearer ${alice.refreshToken}` },
      'API key on a dashboard route': { authorization: `Bearer ${alice.apiKey}` },
      'API key header on a dashboard route': { 'x-api-key': alice.apiKey },
    };
    const wrong: string[] = [];
    for (const [name, headers] of Object.entries(cases)) {
      const res = await me(headers);
      if (res.statusCode !== 401 || !isProblem(res)) wrong.push(`${name} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a valid token passed in the query string (it would end up in logs)', async () => {
    for (const name of ['token', 'access_token', 'api_key']) {
      const res = await me({}, `${ME}?${name}=${encodeURIComponent(alice.token)}`);
      expect(res.statusCode).toBe(401);
    }
  });

  it("a deactivated user's still-unexpired token stops working at once", async () => {
    const admin = await gw.signUpAdmin();
    const victim = await gw.signUp();
    expect((await me(gw.auth(victim.token))).statusCode).toBe(200);
    const off = await gw.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${victim.userId}`, headers: gw.auth(admin.token), payload: { isActive: false } });
    expect(off.statusCode).toBe(200);
    expect((await me(gw.auth(victim.token))).statusCode).toBe(401);
    const login = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: victim.email, password: victim.password } });
    expect(login.statusCode).toBe(401);
  });
});

describe('API2 refresh tokens', () => {
  it('rotates: a refresh token works once, its replay is refused', async () => {
    const user = await gw.signUp();
    const first = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
    expect(first.statusCode).toBe(200);
    const replay = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: user.refreshToken } });
    expect(replay.statusCode).toBe(401);
    const forged = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: `${user.refreshToken}x` } });
    expect(forged.statusCode).toBe(401);
  });
});

describe('API2 API key negatives', () => {
  const SESSION = '/api/v1/session';

  it('accepts the real key in either header (control)', async () => {
    expect((await gw.app.inject({ method: 'GET', url: SESSION, headers: { 'x-api-key': alice.apiKey } })).statusCode).toBe(200);
    expect((await gw.app.inject({ method: 'GET', url: SESSION, headers: gw.auth(alice.apiKey) })).statusCode).toBe(200);
  });

  it('refuses unknown, truncated, padded, JWT and query-string keys with 401', async () => {
    const cases: Record<string, { headers: Record<string, string>; url?: string }> = {
      none: { headers: {} },
      unknown: { headers: { 'x-api-key': `wg_live_${randomBytes(24).toString('base64url')}` } },
      'same prefix, other secret': { headers: { 'x-api-key': `${alice.apiKey.slice(0, 14)}${'A'.repeat(alice.apiKey.length - 14)}` } },
      truncated: { headers: { 'x-api-key': alice.apiKey.slice(0, -1) } },
      'extended': { headers: { 'x-api-key': `${alice.apiKey}A` } },
      'case changed': { headers: { 'x-api-key': alice.apiKey.toUpperCase() } },
      'JWT as key': { headers: { 'x-api-key': alice.token } },
      'prefix only': { headers: { 'x-api-key': 'wg_live_' } },
      'query string': { headers: {}, url: `${SESSION}?api_key=${alice.apiKey}` },
      'huge': { headers: { 'x-api-key': `wg_live_${'a'.repeat(8000)}` } },
    };
    const wrong: string[] = [];
    for (const [name, c] of Object.entries(cases)) {
      const res = await gw.app.inject({ method: 'GET', url: c.url ?? SESSION, headers: c.headers });
      if (res.statusCode !== 401 || !isProblem(res)) wrong.push(`${name} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it('a revoked key is refused on the very next request', async () => {
    const bob = await tenantWithObjects(gw);
    expect((await gw.app.inject({ method: 'GET', url: SESSION, headers: { 'x-api-key': bob.apiKey } })).statusCode).toBe(200);
    const del = await gw.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${bob.sessionId}/api-keys/${bob.apiKeyId}`, headers: gw.auth(bob.token) });
    expect(del.statusCode).toBe(204);
    expect((await gw.app.inject({ method: 'GET', url: SESSION, headers: { 'x-api-key': bob.apiKey } })).statusCode).toBe(401);
  });

  it("a deleted session's key is refused", async () => {
    const carol = await tenantWithObjects(gw);
    const del = await gw.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${carol.sessionId}`, headers: gw.auth(carol.token) });
    expect(del.statusCode).toBe(204);
    expect((await gw.app.inject({ method: 'GET', url: SESSION, headers: { 'x-api-key': carol.apiKey } })).statusCode).toBe(401);
  });
});

describe('API2 brute force', () => {
  it('answers a wrong email and a wrong password identically (no account enumeration)', async () => {
    const user = await gw.signUp();
    const badPassword = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'wrong-password-1' } });
    const noUser = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `nobody-${user.email}`, password: 'wrong-password-1' } });
    expect(badPassword.statusCode).toBe(401);
    expect(noUser.statusCode).toBe(401);
    const strip = (body: string) => ({ ...(JSON.parse(body) as Record<string, unknown>), requestId: undefined });
    expect(strip(badPassword.body)).toEqual(strip(noUser.body));
  });

  it('locks an account after repeated failures: even the right password gets 429 with Retry-After', async () => {
    const user = await gw.signUp();
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: `guess-${i}-xxxxxx` } });
      statuses.push(res.statusCode);
    }
    expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const right = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } });
    expect(right.statusCode).toBe(429);
    expect(right.headers['retry-after']).toBeDefined();
    expect(isProblem(right)).toBe(true);
  });
});

describe('API2 authentication before body validation', () => {
  /** Valid JSON no route accepts (unknown fields are refused), and text that is not JSON at all. */
  const BAD_BODIES: [string, string][] = [
    ['schema-invalid', JSON.stringify({ unexpected: { nested: [1, 2, 3] }, to: 42 })],
    ['unparseable', '{"to": '],
  ];

  async function post(url: string, payload: string, headers: Record<string, string> = {}) {
    return gw.app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
  }

  it('answers 401, not 400, to an anonymous bad body on every authenticated route that takes one', async () => {
    const ops = (await openApiOperations(gw.app)).filter((op) => op.secured && op.body !== undefined);
    // user, API key, admin and worker routes are all in the set.
    for (const path of ['/api/v1/sessions', '/api/v1/messages', '/api/v1/admin/workers', '/api/v1/internal/events']) {
      expect(ops.map((op) => op.path)).toContain(path);
    }
    const wrong: string[] = [];
    for (const op of ops) {
      for (const [name, payload] of BAD_BODIES) {
        const res = await gw.app.inject({
          method: op.method,
          url: fill(op.path, { id: alice.sessionId, webhookId: alice.webhookId, deliveryId: alice.deliveryId, keyId: alice.apiKeyId }),
          payload,
          headers: { 'content-type': 'application/json' },
        });
        if (res.statusCode !== 401 || !isProblem(res)) wrong.push(`${op.method} ${op.openApiPath} (${name}) → ${res.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('answers 401 to the wrong kind of credential and 403 to a USER on an admin route, before validating', async () => {
    const bad = BAD_BODIES[0]![1];
    expect((await post('/api/v1/messages', bad, gw.auth(alice.token))).statusCode).toBe(401);
    expect((await post('/api/v1/sessions', bad, { 'x-api-key': alice.apiKey })).statusCode).toBe(401);
    expect((await post('/api/v1/internal/events', bad, gw.auth(alice.token))).statusCode).toBe(401);
    const forbidden = await post('/api/v1/admin/workers', bad, gw.auth(alice.token));
    expect(forbidden.statusCode).toBe(403);
    expect(isProblem(forbidden)).toBe(true);
  });

  it('still answers 400 with the field errors once the caller is authenticated', async () => {
    const admin = await gw.signUpAdmin();
    const cases: [string, Record<string, string>][] = [
      ['/api/v1/sessions', gw.auth(alice.token)],
      ['/api/v1/messages', { 'x-api-key': alice.apiKey }],
      ['/api/v1/admin/workers', gw.auth(admin.token)],
      ['/api/v1/internal/workers/register', gw.auth(gw.config.WORKER_TOKEN ?? 'none')],
    ];
    const wrong: string[] = [];
    for (const [url, headers] of cases) {
      for (const [name, payload] of BAD_BODIES) {
        const res = await post(url, payload, headers);
        if (res.statusCode !== 400 || !isProblem(res)) wrong.push(`${url} (${name}) → ${res.statusCode}`);
      }
      const invalid = await post(url, BAD_BODIES[0]![1], headers);
      if ((invalid.json() as { code?: string }).code !== 'VALIDATION_FAILED') wrong.push(`${url}: ${invalid.body}`);
    }
    expect(wrong).toEqual([]);
  });
});
