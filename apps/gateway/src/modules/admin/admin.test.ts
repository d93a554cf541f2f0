import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createTestGateway, type SignedUp, type TestGateway } from '../../test-support/test-gateway.js';

describe('admin', () => {
  let gw: TestGateway;
  let admin: SignedUp;
  let user: SignedUp;

  const asAdmin = (method: 'GET' | 'PATCH', url: string, payload?: Record<string, unknown>) =>
    gw.app.inject({ method, url, headers: gw.auth(admin.token), ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    gw = await createTestGateway();
    [admin, user] = await Promise.all([gw.signUpAdmin(), gw.signUp()]);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses a plain user with 403 and no token with 401 on every admin route', async () => {
    for (const [method, url] of [['GET', '/api/v1/admin/users'], ['PATCH', `/api/v1/admin/users/${user.userId}`], ['GET', '/api/v1/admin/logs'], ['GET', '/api/v1/admin/stats']] as const) {
      const payload = method === 'PATCH' ? { tier: 'MAX' } : undefined;
      expect((await gw.app.inject({ method, url, headers: gw.auth(user.token), ...(payload ? { payload } : {}) })).statusCode).toBe(403);
      expect((await gw.app.inject({ method, url, ...(payload ? { payload } : {}) })).statusCode).toBe(401);
    }
    const me = await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(user.token) });
    expect(me.json().user.tier).toBe('BASIC');
  });

  it('lists users page by page without repeats, filtered by role', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await asAdmin('GET', `/api/v1/admin/users?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.data.map((u: { id: string }) => u.id));
      expect(body.data[0]?.passwordHash).toBeUndefined();
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([admin.userId, user.userId]));
    const admins = (await asAdmin('GET', '/api/v1/admin/users?role=ADMIN')).json().data.map((u: { id: string }) => u.id);
    expect(admins).toContain(admin.userId);
    expect(admins).not.toContain(user.userId);
  });

  it('changes a tier, effective on the next request, and audits it', async () => {
    const target = await gw.signUp();
    const res = await asAdmin('PATCH', `/api/v1/admin/users/${target.userId}`, { tier: 'PRO' });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.tier).toBe('PRO');
    const me = await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(target.token) });
    // The tier's API-call budget applies at once, with the same access token.
    expect(me.headers['ratelimit-limit']).toBe('10000');
    const logs = (await asAdmin('GET', `/api/v1/admin/logs?userId=${target.userId}&category=admin`)).json().data;
    expect(logs[0]).toMatchObject({ message: 'user tier or role changed', metadata: { by: admin.userId, changes: { tier: { from: 'BASIC', to: 'PRO' } } } });
  });

  it('refuses unknown fields and an empty change (no mass assignment of email or password)', async () => {
    for (const body of [{ email: 'x@example.test' }, { passwordHash: 'x' }, { tier: 'MAX', id: 'usr_x' }, {}, { tier: 'GOLD' }]) {
      const res = await asAdmin('PATCH', `/api/v1/admin/users/${user.userId}`, body);
      expect(res.statusCode).toBe(400);
    }
    expect((await asAdmin('PATCH', '/api/v1/admin/users/usr_nobody000000000000000', { tier: 'MAX' })).statusCode).toBe(404);
  });

  it('refuses to let an administrator deactivate or demote themselves', async () => {
    expect((await asAdmin('PATCH', `/api/v1/admin/users/${admin.userId}`, { isActive: false })).statusCode).toBe(409);
    expect((await asAdmin('PATCH', `/api/v1/admin/users/${admin.userId}`, { role: 'USER' })).statusCode).toBe(409);
  });

  it('promotes a user to ADMIN, who can then use the admin routes with the same token', async () => {
    const target = await gw.signUp();
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/admin/stats', headers: gw.auth(target.token) })).statusCode).toBe(403);
    await asAdmin('PATCH', `/api/v1/admin/users/${target.userId}`, { role: 'ADMIN' });
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/admin/stats', headers: gw.auth(target.token) })).statusCode).toBe(200);
  });

  it('deactivation cuts off access tokens, refresh tokens, API keys and login at once; reactivation restores them', async () => {
    const target = await gw.signUp();
    const [session] = await gw.db.insert(schema.sessions).values({ userId: target.userId, name: 's' }).returning();
    const { apiKey } = (await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${session!.id}/api-keys`, headers: gw.auth(target.token), payload: { name: 'k' } })).json();
    const me = () => gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(target.token) });
    const viaKey = () => gw.app.inject({ method: 'GET', url: '/api/v1/session', headers: { 'x-api-key': apiKey.key } });
    expect((await me()).statusCode).toBe(200);
    expect((await viaKey()).statusCode).toBe(200);

    const res = await asAdmin('PATCH', `/api/v1/admin/users/${target.userId}`, { isActive: false });
    expect(res.statusCode).toBe(200);
    expect(res.json().user.isActive).toBe(false);

    expect((await me()).statusCode).toBe(401);
    expect((await viaKey()).statusCode).toBe(401);
    expect((await gw.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: target.refreshToken } })).statusCode).toBe(401);
    const login = await gw.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: target.email, password: target.password } });
    expect(login.statusCode).toBe(401);

    await asAdmin('PATCH', `/api/v1/admin/users/${target.userId}`, { isActive: true });
    expect((await me()).statusCode).toBe(200);
    expect((await viaKey()).statusCode).toBe(200);
    // Refresh tokens revoked by the deactivation stay revoked: the user logs in again.
    expect((await gw.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: target.refreshToken } })).statusCode).toBe(401);

    const messages = (await asAdmin('GET', `/api/v1/admin/logs?userId=${target.userId}&category=admin`)).json().data.map((l: { message: string }) => l.message);
    expect(messages).toEqual(['user reactivated', 'user deactivated']);
  });

  it('reports platform counts in /admin/stats', async () => {
    const before = (await asAdmin('GET', '/api/v1/admin/stats')).json();
    await gw.signUp();
    const after = (await asAdmin('GET', '/api/v1/admin/stats')).json();
    expect(after.users.total).toBe(before.users.total + 1);
    expect(after.users.active).toBe(before.users.active + 1);
    expect(Object.keys(after.sessions.byStatus).sort()).toEqual(['CONNECTED', 'CONNECTING', 'DISCONNECTED', 'FAILED', 'LOGGED_OUT', 'QR_READY']);
    expect(after.sessions.total).toBe(Object.values(after.sessions.byStatus as Record<string, number>).reduce((a, b) => a + b, 0));
  });

  it('filters logs by level and since', async () => {
    const future = new Date(Date.now() + 60_000).toISOString();
    const none = (await asAdmin('GET', `/api/v1/admin/logs?since=${encodeURIComponent(future)}`)).json();
    expect(none.data).toEqual([]);
    const warns = (await asAdmin('GET', '/api/v1/admin/logs?level=warn')).json().data;
    for (const line of warns) expect(line.level).toBe('warn');
  });
});

describe('first admin from configuration', () => {
  it('is created at start, once, and can log in as ADMIN', async () => {
    const database = await openTestPglite();
    const config = { ADMIN_EMAIL: 'Root@Example.test', ADMIN_PASSWORD: 'first admin password' };
    const first = await createTestGateway({ config, deps: { database } });
    const second = await createTestGateway({ config, deps: { database } });
    try {
      const login = await second.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'root@example.test', password: 'first admin password' } });
      expect(login.statusCode).toBe(200);
      expect(login.json().user.role).toBe('ADMIN');
      const rows = await database.db.select().from(schema.users);
      expect(rows.filter((r) => r.email === 'root@example.test')).toHaveLength(1);
    } finally {
      await first.close();
      await second.close();
      await database.close();
    }
  });
});
