// The [messages] block of app.ts as wired: routes present in OpenAPI, sandbox routes only in sandbox mode.
import { createSimulator, type Simulator } from '@wagate/wa-sim';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

describe('messages and sandbox in the composed app', () => {
  let sim: Simulator;
  let sandbox: TestGateway;
  let real: TestGateway;

  beforeAll(async () => {
    sim = await createSimulator({ rootKeyPair: 'test' });
    [sandbox, real] = await Promise.all([
      createTestGateway({ config: { WA_NETWORK: 'sandbox', SANDBOX_CONTROL_URL: sim.controlUrl } }),
      createTestGateway(),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([sandbox?.close(), real?.close()]);
    await sim?.close();
  });

  it('describes every messaging route in /docs/json', async () => {
    const doc = (await real.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/messages'] ?? {})).toEqual(expect.arrayContaining(['get', 'post']));
    for (const path of ['/api/v1/session', '/api/v1/messages/{messageId}', '/api/v1/messages/{messageId}/media', '/api/v1/contacts/check', '/api/v1/sessions/{id}/messages']) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(JSON.stringify(doc.paths['/api/v1/messages']!.post)).toContain('idempotency-key');
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/v1/sandbox'))).toBe(false);
  });

  it('serves the sandbox routes only when WA_NETWORK=sandbox', async () => {
    const user = await sandbox.signUp();
    const created = await sandbox.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: sandbox.auth(user.token), payload: { name: 'Tester' } });
    expect(created.statusCode).toBe(201);
    expect(sim.phones.get(created.json().phone.phoneNumber)?.pushName).toBe('Tester');

    const other = await real.signUp();
    expect((await real.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: real.auth(other.token), payload: {} })).statusCode).toBe(404);
  });

  it("hides a user's virtual phones from another user of the same gateway", async () => {
    const [a, b] = await Promise.all([sandbox.signUp(), sandbox.signUp()]);
    const phone = (await sandbox.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: sandbox.auth(a.token), payload: {} })).json().phone.phoneNumber;
    const res = await sandbox.app.inject({ method: 'GET', url: `/api/v1/sandbox/phones/${phone}/messages`, headers: sandbox.auth(b.token) });
    expect(res.statusCode).toBe(404);
  });

  it("answers GET /api/v1/session with the key's own session, without its worker", async () => {
    const user = await real.signUp();
    const created = (await real.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: real.auth(user.token), payload: { name: 'shop' } })).json();
    const res = await real.app.inject({ method: 'GET', url: '/api/v1/session', headers: { 'x-api-key': created.apiKey.key } });
    expect(res.statusCode).toBe(200);
    expect(res.json().session).toMatchObject({ id: created.session.id, name: 'shop', status: 'DISCONNECTED' });
    expect(res.json().session).not.toHaveProperty('workerId');
  });

  it('answers 409 SESSION_NOT_CONNECTED to a send on a declared but unconnected session, and stores no idempotent answer', async () => {
    const user = await real.signUp();
    const created = (await real.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: real.auth(user.token), payload: { name: 'idle' } })).json();
    const send = () =>
      real.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': created.apiKey.key, 'idempotency-key': 'k1' }, payload: { to: '+15550001111', text: 'hi' } });
    for (const res of [await send(), await send()]) {
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('SESSION_NOT_CONNECTED');
    }
    const [row] = (await real.db.execute<{ n: number }>(sql`select count(*)::int as n from idempotency_keys where key = 'k1'`)).rows;
    expect(row!.n).toBe(0);
  });

  it("returns 404 for another user's session history on the dashboard route", async () => {
    const [owner, other] = await Promise.all([real.signUp(), real.signUp()]);
    const created = (await real.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: real.auth(owner.token), payload: { name: 'private' } })).json();
    const theirs = await real.app.inject({ method: 'GET', url: `/api/v1/sessions/${created.session.id}/messages`, headers: real.auth(other.token) });
    expect(theirs.statusCode).toBe(404);
    const mine = await real.app.inject({ method: 'GET', url: `/api/v1/sessions/${created.session.id}/messages`, headers: real.auth(owner.token) });
    expect(mine.statusCode).toBe(409);
    expect(mine.json().code).toBe('SESSION_NOT_CONNECTED');
  });

  it('refuses the external API without a key and with a dashboard token', async () => {
    const user = await real.signUp();
    expect((await real.app.inject({ method: 'POST', url: '/api/v1/messages', payload: { to: '+15550001111', text: 'x' } })).statusCode).toBe(401);
    expect((await real.app.inject({ method: 'GET', url: '/api/v1/session', headers: real.auth(user.token) })).statusCode).toBe(401);
  });
});
