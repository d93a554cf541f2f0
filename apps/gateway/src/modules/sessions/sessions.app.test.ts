// Sessions inside the whole gateway (createTestGateway): real JWTs, real API keys, real routing
// and worker client, the real OpenAPI document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

describe('sessions in the composed gateway', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await createTestGateway({ config: { SESSION_LIMIT_BASIC: '1' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('gives a first API key that opens the external API, and revokes it when the session is deleted', async () => {
    const user = await gw.signUp();
    const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: gw.auth(user.token), payload: { name: 'Shop' } });
    expect(created.statusCode).toBe(201);
    const { session, apiKey } = created.json() as { session: { id: string }; apiKey: { key: string; name: string } };
    const viaKey = () => gw.app.inject({ method: 'GET', url: '/api/v1/session', headers: { 'x-api-key': apiKey.key } });
    const before = await viaKey();
    expect(before.statusCode).toBe(200);
    expect(before.json().session.id).toBe(session.id);

    const second = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: gw.auth(user.token), payload: { name: 'Second' } });
    expect(second.statusCode).toBe(403);
    expect(second.json().code).toBe('QUOTA_EXCEEDED');

    expect((await gw.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${session.id}`, headers: gw.auth(user.token) })).statusCode).toBe(204);
    expect((await viaKey()).statusCode).toBe(401);
  });

  it('answers connect with 503 NO_WORKER_AVAILABLE when no worker is registered', async () => {
    const user = await gw.signUp();
    const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: gw.auth(user.token), payload: { name: 'Lonely' } });
    const id = created.json().session.id as string;
    const res = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/connect`, headers: gw.auth(user.token), payload: { method: 'qr' } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'NO_WORKER_AVAILABLE', status: 503 });
    const card = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}`, headers: gw.auth(user.token) });
    expect(card.json().session.status).toBe('DISCONNECTED');
  });

  it('refuses events from the bootstrap token and from no token', async () => {
    const body = { events: [{ id: 'evt_0123456789abcdef', sessionId: 'ses_x', workerId: 'wkr_x', epoch: 0, createdAt: new Date().toISOString(), type: 'session.status', data: { status: 'CONNECTED' } }] };
    const bootstrap = await gw.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: { authorization: `Bearer ${gw.config.WORKER_TOKEN}` }, payload: body });
    expect(bootstrap.statusCode).toBe(401);
    const anonymous = await gw.app.inject({ method: 'POST', url: '/api/v1/internal/events', payload: body });
    expect(anonymous.statusCode).toBe(401);
  });

  it('describes every sessions route in the OpenAPI document', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const expected: [string, string][] = [
      ['/api/v1/sessions', 'post'],
      ['/api/v1/sessions', 'get'],
      ['/api/v1/sessions/{id}', 'get'],
      ['/api/v1/sessions/{id}', 'delete'],
      ['/api/v1/sessions/{id}/connect', 'post'],
      ['/api/v1/sessions/{id}/qr', 'get'],
      ['/api/v1/sessions/{id}/pairing-code', 'get'],
      ['/api/v1/sessions/{id}/disconnect', 'post'],
      ['/api/v1/sessions/{id}/logout', 'post'],
      ['/api/v1/sessions/{id}/events', 'get'],
      ['/api/v1/admin/sessions', 'get'],
      ['/api/v1/internal/events', 'post'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});
