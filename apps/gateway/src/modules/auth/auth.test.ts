import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';
import { JWT_AUDIENCE, JWT_ISSUER } from './access-tokens.js';

describe('auth', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await createTestGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const me = (token: string) => gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } });
  const secret = () => new TextEncoder().encode(gw.config.JWT_SECRET!);
  const sign = (claims: Record<string, unknown>, opts: { sub: string; iss?: string; aud?: string; exp?: number | string; key?: Uint8Array }) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(opts.sub)
      .setIssuer(opts.iss ?? JWT_ISSUER)
      .setAudience(opts.aud ?? JWT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? secret());

  it('registers, returns the user without any hash, and the token opens /auth/me', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: '  Alice@Example.TEST ', password: 'correct horse' } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.user).toMatchObject({ email: 'alice@example.test', role: 'USER', tier: 'BASIC', isActive: true });
    expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'email', 'id', 'isActive', 'role', 'tier']);
    expect(JSON.stringify(body)).not.toContain('$2b$');
    const who = await me(body.token);
    expect(who.statusCode).toBe(200);
    expect(who.json().user.id).toBe(body.user.id);
  });

  it('stores a bcrypt hash at the configured cost', async () => {
    const { userId } = await gw.signUp();
    const rows = await gw.database.db.execute<{ password_hash: string }>(`select password_hash from users where id = '${userId}'`);
    expect(rows.rows[0]!.password_hash).toMatch(/^\$2b\$04\$/);
  });

  it('refuses a second account with the same email (any case) with 409', async () => {
    const { email } = await gw.signUp();
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: email.toUpperCase(), password: 'another password' } });
    expect(res.statusCode).toBe(409);
  });

  it('refuses role, tier or any unknown field at registration (no mass assignment)', async () => {
    for (const extra of [{ role: 'ADMIN' }, { tier: 'MAX' }, { isActive: false }, { id: 'usr_x' }]) {
      const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: `mass-${Object.keys(extra)[0]}@example.test`, password: 'long enough', ...extra } });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
    const check = await gw.database.db.execute<{ n: number }>(`select count(*)::int as n from users where email like 'mass-%'`);
    expect(check.rows[0]!.n).toBe(0);
  });

  it('refuses a short password with a field error', async () => {
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'short@example.test', password: 'short' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('body.password');
  });

  it('logs in with the right password and answers unknown email and wrong password identically', async () => {
    const user = await gw.signUp();
    const ok = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.id).toBe(user.userId);

    const wrongPassword = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'not the password' } });
    const unknownEmail = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'nobody@example.test', password: 'not the password' } });
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    expect(strip(unknownEmail.json())).toEqual(strip(wrongPassword.json()));
  });

  it('spends comparable time on an unknown email and a wrong password (both run bcrypt)', async () => {
    // At cost 10 one comparison takes tens of milliseconds, far above the database lookup, so a
    // path that skipped bcrypt would show up as several times faster.
    const slow = await createTestGateway({ config: { PASSWORD_HASH_COST: '10', LOGIN_FAILURES_PER_ACCOUNT: '100', LOGIN_FAILURES_PER_IP: '100' } });
    try {
      const user = await slow.signUp();
      const time = async (email: string) => {
        const t0 = performance.now();
        const res = await slow.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'not the password' } });
        expect(res.statusCode).toBe(401);
        return performance.now() - t0;
      };
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const wrong: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        wrong.push(await time(user.email));
        unknown.push(await time(`nobody-${i}@example.test`));
      }
      expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
      expect(median(wrong)).toBeGreaterThan(median(unknown) * 0.5);
    } finally {
      await slow.close();
    }
  });

  it('writes audit lines for a login and a failed login', async () => {
    const user = await gw.signUp();
    await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: user.password } });
    await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'wrong password' } });
    await expect
      .poll(async () => (await gw.database.db.execute<{ message: string }>(`select message from system_logs where user_id = '${user.userId}' and category = 'auth' order by created_at`)).rows.map((r) => r.message))
      .toEqual(['user registered', 'login', 'login failed']);
  });

  describe('access token negatives', () => {
    let user: Awaited<ReturnType<TestGateway['signUp']>>;
    beforeAll(async () => {
      user = await gw.signUp();
    });

    it('accepts a token we sign ourselves with the right secret (the negatives below are meaningful)', async () => {
      expect((await me(await sign({}, { sub: user.userId }))).statusCode).toBe(200);
    });

    it('refuses a tampered token', async () => {
      const [h, p, s] = user.token.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
      payload.sub = 'usr_someoneelse0000000000';
      const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
      expect((await me(tampered)).statusCode).toBe(401);
    });

    it('refuses an expired token', async () => {
      const expired = await sign({}, { sub: user.userId, exp: Math.floor(Date.now() / 1000) - 10 });
      expect((await me(expired)).statusCode).toBe(401);
    });

    it('refuses alg=none', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const payload = Buffer.from(JSON.stringify({ sub: user.userId, iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now, exp: now + 300 })).toString('base64url');
      expect((await me(`${header}.${payload}.`)).statusCode).toBe(401);
    });

    it('refuses a token signed with another secret', async () => {
      const other = await sign({}, { sub: user.userId, key: new TextEncoder().encode('x'.repeat(40)) });
      expect((await me(other)).statusCode).toBe(401);
    });

    it('refuses a token for another audience or issuer', async () => {
      expect((await me(await sign({}, { sub: user.userId, aud: 'someone-else' }))).statusCode).toBe(401);
      expect((await me(await sign({}, { sub: user.userId, iss: 'someone-else' }))).statusCode).toBe(401);
    });

    it('refuses an HS512 token even with the right secret (algorithm pinned)', async () => {
      const hs512 = await new SignJWT({}).setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).setSubject(user.userId).setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setIssuedAt().setExpirationTime('5m').sign(secret());
      expect((await me(hs512)).statusCode).toBe(401);
    });

    it('refuses a token in the query string', async () => {
      const res = await gw.app.inject({ method: 'GET', url: `/api/v1/auth/me?token=${user.token}` });
      expect(res.statusCode).toBe(401);
    });

    it('answers 401 problem+json without a token', async () => {
      const res = await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('UNAUTHORIZED');
    });
  });

  describe('credential kinds stay on their own routes', () => {
    const register = (token: string) =>
      gw.app.inject({ method: 'POST', url: '/api/v1/internal/workers/register', headers: { authorization: `Bearer ${token}` }, payload: { endpoint: 'http://127.0.0.1:9', maxSessions: 5, version: 'test' } });

    it('refuses a user token on an internal route and worker tokens on user routes', async () => {
      const user = await gw.signUp();
      expect((await register(user.token)).statusCode).toBe(401);
      const registered = await register(gw.config.WORKER_TOKEN!);
      expect(registered.statusCode).toBe(200);
      const workerToken = registered.json().token as string;
      for (const token of [gw.config.WORKER_TOKEN!, workerToken]) {
        expect((await me(token)).statusCode).toBe(401);
        expect((await gw.app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
        expect((await gw.app.inject({ method: 'GET', url: '/api/v1/session', headers: { 'x-api-key': token } })).statusCode).toBe(401);
      }
    });
  });

  describe('refresh tokens', () => {
    const refresh = (refreshToken: string) => gw.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });

    it('rotates: a refresh returns a new pair and the new access token works', async () => {
      const user = await gw.signUp();
      const res = await refresh(user.refreshToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.refreshToken).not.toBe(user.refreshToken);
      expect((await me(body.token)).statusCode).toBe(200);
    });

    it('revokes the whole family when a spent refresh token is presented again', async () => {
      const user = await gw.signUp();
      const first = (await refresh(user.refreshToken)).json();
      expect((await refresh(user.refreshToken)).statusCode).toBe(401);
      // The legitimate holder's newer token is dead too: both must log in again.
      expect((await refresh(first.refreshToken)).statusCode).toBe(401);
    });

    it('lets exactly one of two concurrent refreshes with one token win', async () => {
      const user = await gw.signUp();
      const results = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    });

    it('refuses garbage and a forged secret for a real token id', async () => {
      const user = await gw.signUp();
      expect((await refresh('nonsense')).statusCode).toBe(401);
      const [id] = user.refreshToken.split('.');
      expect((await refresh(`${id}.${'A'.repeat(43)}`)).statusCode).toBe(401);
      // The forgery did not burn the real token.
      expect((await refresh(user.refreshToken)).statusCode).toBe(200);
    });
  });
});

describe('identity routes in the OpenAPI document', () => {
  it('describes every identity route with its schemas', async () => {
    const gw = await createTestGateway();
    try {
      const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json();
      const expected: [string, string][] = [
        ['/api/v1/auth/register', 'post'],
        ['/api/v1/auth/login', 'post'],
        ['/api/v1/auth/refresh', 'post'],
        ['/api/v1/auth/me', 'get'],
        ['/api/v1/sessions/{id}/api-keys', 'get'],
        ['/api/v1/sessions/{id}/api-keys', 'post'],
        ['/api/v1/sessions/{id}/api-keys/{keyId}', 'delete'],
        ['/api/v1/usage', 'get'],
        ['/api/v1/admin/users', 'get'],
        ['/api/v1/admin/users/{id}', 'patch'],
        ['/api/v1/admin/logs', 'get'],
        ['/api/v1/admin/stats', 'get'],
      ];
      for (const [path, method] of expected) {
        const op = doc.paths[path]?.[method];
        expect(op, `${method} ${path}`).toBeDefined();
        expect(Object.keys(op.responses).length).toBeGreaterThan(1);
      }
      expect(doc.paths['/api/v1/auth/register'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
    } finally {
      await gw.close();
    }
  });
});
