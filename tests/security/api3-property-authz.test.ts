// OWASP API3:2023 Broken object property-level authorization. No response of any route carries a
// secret or an internal field (hashes, ciphertexts, fencing epochs; the hosting worker for
// non-admins), secrets shown once are not shown again, and fields a client must not set
// (role, tier, owner, status…) are refused with 400 rather than silently applied.
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { fill, idsOf, openApiOperations, securityGateway, tenantWithObjects, type Operation, type Tenant } from './support.js';

const ALWAYS_FORBIDDEN = /^(password|passwordHash|keyHash|tokenHash|secretCiphertext|secretHash|ciphertext|hash|epoch|jti|credentials|creds|authState|encryptionKey)$/i;

let gw: TestGateway;
let alice: Tenant;
let admin: { token: string; userId: string };
let ops: Operation[];
/** Every JSON body seen in this file, with who asked: the leak scan runs over all of them. */
const seen: { who: 'user' | 'admin'; what: string; body: unknown; raw: string }[] = [];

function keysOf(value: unknown, path = '$', out: { key: string; path: string }[] = []): { key: string; path: string }[] {
  if (Array.isArray(value)) value.forEach((v, i) => keysOf(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ key: k, path: `${path}.${k}` });
      keysOf(v, `${path}.${k}`, out);
    }
  }
  return out;
}

async function record(who: 'user' | 'admin', what: string, req: InjectOptions) {
  const res = await gw.app.inject(req);
  if (String(res.headers['content-type'] ?? '').includes('json')) seen.push({ who, what: `${what} → ${res.statusCode}`, body: res.json(), raw: res.body });
  return res;
}

beforeAll(async () => {
  gw = await securityGateway();
  alice = await tenantWithObjects(gw);
  admin = await gw.signUpAdmin();
  ops = await openApiOperations(gw.app);
  // Every documented GET (except the event stream and raw media), as the owner and as an admin.
  const reads = ops.filter((op) => op.method === 'GET' && !op.path.endsWith('/events') && !op.path.endsWith('/media') && !op.path.startsWith('/docs'));
  for (const op of reads) {
    const ids = { ...idsOf(alice), id: op.path.startsWith('/api/v1/admin/users') ? alice.userId : alice.sessionId };
    const url = fill(op.path, ids);
    const headers = op.path === '/api/v1/session' || op.pathParams.includes('messageId') || op.path === '/api/v1/messages' ? { 'x-api-key': alice.apiKey } : gw.auth(alice.token);
    await record('user', `GET ${op.openApiPath}`, { method: 'GET', url, headers });
    await record('admin', `GET ${op.openApiPath}`, { method: 'GET', url, headers: gw.auth(admin.token) });
  }
  // Writes that answer with objects.
  const h = gw.auth(alice.token);
  await record('user', 'login', { method: 'POST', url: '/api/v1/auth/login', payload: { email: alice.email, password: alice.password } });
  await record('user', 'create session', { method: 'POST', url: '/api/v1/sessions', headers: h, payload: { name: 'second' } });
  await record('user', 'create key', { method: 'POST', url: `/api/v1/sessions/${alice.sessionId}/api-keys`, headers: h, payload: { name: 'ci' } });
  await record('user', 'patch webhook', { method: 'PATCH', url: `/api/v1/sessions/${alice.sessionId}/webhooks/${alice.webhookId}`, headers: h, payload: { active: true } });
  await record('user', 'connect', { method: 'POST', url: `/api/v1/sessions/${alice.sessionId}/connect`, headers: h, payload: {} });
  await record('admin', 'patch user', { method: 'PATCH', url: `/api/v1/admin/users/${alice.userId}`, headers: gw.auth(admin.token), payload: { tier: 'PRO' } });
  await record('user', 'failed login', { method: 'POST', url: '/api/v1/auth/login', payload: { email: alice.email, password: 'not-the-password' } });
});
afterAll(async () => gw?.close());

describe('API3 excessive data exposure', () => {
  it('scanned a response of every readable route', () => {
    expect(seen.length).toBeGreaterThanOrEqual(30);
  });

  it('never returns a hash, ciphertext, epoch or other internal field, to anyone', () => {
    const leaks = seen.flatMap((s) => keysOf(s.body).filter((k) => ALWAYS_FORBIDDEN.test(k.key)).map((k) => `${s.who} ${s.what}: ${k.path}`));
    expect(leaks).toEqual([]);
  });

  it('never shows the hosting worker to a non-admin', () => {
    const leaks = seen.filter((s) => s.who === 'user').flatMap((s) => keysOf(s.body).filter((k) => /^workerId$/i.test(k.key)).map((k) => `${s.what}: ${k.path}`));
    expect(leaks).toEqual([]);
  });

  it('never echoes the password, the API key or the webhook secret after creation', () => {
    const secrets = [alice.password, alice.apiKey];
    const leaks = seen.filter((s) => s.what !== 'login → 200' && secrets.some((secret) => s.raw.includes(secret))).map((s) => s.what);
    expect(leaks).toEqual([]);
    const webhookReads = seen.filter((s) => s.what.startsWith('GET /api/v1/sessions/{id}/webhooks'));
    expect(webhookReads.length).toBeGreaterThan(0);
    expect(webhookReads.filter((s) => keysOf(s.body).some((k) => k.key === 'secret')).map((s) => s.what)).toEqual([]);
  });

  it('lists API keys by prefix only (no full key in the list)', async () => {
    const res = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionId}/api-keys`, headers: gw.auth(alice.token) });
    const keys = (res.json() as { data: Record<string, unknown>[] }).data;
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k).not.toHaveProperty('key');
  });
});

describe('API3 mass assignment', () => {
  const attempts: { name: string; method: 'POST' | 'PATCH'; url: () => string; token: () => string | undefined; payload: () => Record<string, unknown> }[] = [
    { name: 'register as ADMIN', method: 'POST', url: () => '/api/v1/auth/register', token: () => undefined, payload: () => ({ email: 'mass1@example.test', password: 'password-123', role: 'ADMIN' }) },
    { name: 'register with tier MAX', method: 'POST', url: () => '/api/v1/auth/register', token: () => undefined, payload: () => ({ email: 'mass2@example.test', password: 'password-123', tier: 'MAX' }) },
    { name: 'register with isActive/id', method: 'POST', url: () => '/api/v1/auth/register', token: () => undefined, payload: () => ({ email: 'mass3@example.test', password: 'password-123', id: 'usr_chosen', isActive: true }) },
    { name: 'session with owner', method: 'POST', url: () => '/api/v1/sessions', token: () => alice.token, payload: () => ({ name: 'x', userId: admin.userId }) },
    { name: 'session with worker and status', method: 'POST', url: () => '/api/v1/sessions', token: () => alice.token, payload: () => ({ name: 'x', workerId: 'w-1', status: 'CONNECTED' }) },
    { name: 'api key for another session', method: 'POST', url: () => `/api/v1/sessions/${alice.sessionId}/api-keys`, token: () => alice.token, payload: () => ({ name: 'x', sessionId: 'ses_other', userId: admin.userId }) },
    { name: 'webhook re-homed', method: 'PATCH', url: () => `/api/v1/sessions/${alice.sessionId}/webhooks/${alice.webhookId}`, token: () => alice.token, payload: () => ({ sessionId: 'ses_other' }) },
    { name: 'webhook counters reset', method: 'PATCH', url: () => `/api/v1/sessions/${alice.sessionId}/webhooks/${alice.webhookId}`, token: () => alice.token, payload: () => ({ active: true, failureCount: 0, disabledReason: null }) },
    { name: 'webhook own secret ciphertext', method: 'POST', url: () => `/api/v1/sessions/${alice.sessionId}/webhooks`, token: () => alice.token, payload: () => ({ url: 'https://hooks.example.com/y', events: ['message.sent'], secretCiphertext: 'x' }) },
    { name: 'admin sets email/password hash', method: 'PATCH', url: () => `/api/v1/admin/users/${alice.userId}`, token: () => admin.token, payload: () => ({ passwordHash: 'x', email: 'taken@example.test' }) },
    { name: 'message with a chosen id and status', method: 'POST', url: () => '/api/v1/messages', token: () => alice.apiKey, payload: () => ({ to: '+6281234567890', text: 'x', id: 'msg_1', status: 'READ', fromMe: false }) },
  ];

  for (const attempt of attempts) {
    it(`refuses ${attempt.name} with 400 VALIDATION_FAILED`, async () => {
      const token = attempt.token();
      const res = await gw.app.inject({ method: attempt.method, url: attempt.url(), headers: token ? gw.auth(token) : {}, payload: attempt.payload() });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    });
  }

  it('a PATCH by a user of their own profile does not exist (no self-service role change)', async () => {
    const res = await gw.app.inject({ method: 'PATCH', url: '/api/v1/auth/me', headers: gw.auth(alice.token), payload: { role: 'ADMIN' } });
    expect([404, 405]).toContain(res.statusCode);
    const me = await gw.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: gw.auth(alice.token) });
    expect((me.json() as { user: { role: string } }).user.role).toBe('USER');
  });
});
