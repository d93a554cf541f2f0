import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';
import { seedSession, startReceiver, until, type Receiver } from './webhook-test-kit.js';
import { verifyWebhookSignature } from './webhook-signature.js';

let gw: TestGateway;
let receiver: Receiver;
let owner: { token: string; userId: string };
let other: { token: string; userId: string };
let sessionId: string;

beforeAll(async () => {
  gw = await createTestGateway({ config: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '50' } });
  receiver = await startReceiver();
  owner = await gw.signUp();
  other = await gw.signUp();
  ({ sessionId } = await seedSession(gw.db, owner.userId));
});
afterAll(async () => {
  await gw?.close();
  await receiver?.close();
});

const base = () => `/api/v1/sessions/${sessionId}/webhooks`;

async function create(body: Record<string, unknown> = {}, token = owner.token) {
  return gw.app.inject({ method: 'POST', url: base(), headers: gw.auth(token), payload: { url: receiver.url, events: ['message.received'], ...body } });
}

describe('webhook endpoints API', () => {
  it('creates an endpoint and shows a whsec_ secret once, stored encrypted', async () => {
    const res = await create();
    expect(res.statusCode).toBe(201);
    const { webhook } = res.json();
    expect(webhook).toMatchObject({ sessionId, url: receiver.url, events: ['message.received'], active: true });
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await gw.app.inject({ method: 'GET', url: `${base()}/${webhook.id}`, headers: gw.auth(owner.token) });
    expect(got.statusCode).toBe(200);
    expect(got.json().webhook.secret).toBeUndefined();
    const rows = await gw.db.execute<{ secret_ciphertext: string }>(sql`select secret_ciphertext from webhooks where id = ${webhook.id}`);
    expect(rows.rows[0]!.secret_ciphertext).not.toContain(webhook.secret.slice(6));
  });

  it('lists endpoints with a cursor', async () => {
    await create();
    const page1 = await gw.app.inject({ method: 'GET', url: `${base()}?limit=1`, headers: gw.auth(owner.token) });
    expect(page1.statusCode).toBe(200);
    expect(page1.json().data).toHaveLength(1);
    const page2 = await gw.app.inject({ method: 'GET', url: `${base()}?limit=1&cursor=${page1.json().nextCursor}`, headers: gw.auth(owner.token) });
    expect(page2.json().data[0].id).not.toBe(page1.json().data[0].id);
  });

  it("returns 404 for another user's session and endpoints", async () => {
    const mine = (await create()).json().webhook;
    expect((await create({}, other.token)).statusCode).toBe(404);
    for (const [method, url] of [
      ['GET', base()],
      ['GET', `${base()}/${mine.id}`],
      ['PATCH', `${base()}/${mine.id}`],
      ['DELETE', `${base()}/${mine.id}`],
      ['GET', `${base()}/${mine.id}/deliveries`],
      ['POST', `${base()}/${mine.id}/test`],
      ['POST', `${base()}/${mine.id}/rotate-secret`],
    ] as const) {
      const res = await gw.app.inject({ method, url, headers: gw.auth(other.token), ...(method === 'PATCH' ? { payload: { active: false } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
  });

  it('requires a dashboard token', async () => {
    expect((await gw.app.inject({ method: 'GET', url: base() })).statusCode).toBe(401);
  });

  it('rejects unknown fields, unknown event types and non-http URLs with 400', async () => {
    expect((await create({ extra: 1 })).statusCode).toBe(400);
    expect((await create({ events: ['message.unknown'] })).statusCode).toBe(400);
    expect((await create({ url: 'ftp://127.0.0.1/x' })).statusCode).toBe(400);
    expect((await create({ secret: 'not-a-secret' })).statusCode).toBe(400);
  });

  it('updates url, events and the active flag', async () => {
    const { id } = (await create()).json().webhook;
    const res = await gw.app.inject({ method: 'PATCH', url: `${base()}/${id}`, headers: gw.auth(owner.token), payload: { events: ['message.sent', 'session.status'], active: false } });
    expect(res.statusCode).toBe(200);
    expect(res.json().webhook).toMatchObject({ events: ['message.sent', 'session.status'], active: false });
    expect((await gw.app.inject({ method: 'PATCH', url: `${base()}/${id}`, headers: gw.auth(owner.token), payload: {} })).statusCode).toBe(400);
  });

  it('deletes an endpoint', async () => {
    const { id } = (await create()).json().webhook;
    expect((await gw.app.inject({ method: 'DELETE', url: `${base()}/${id}`, headers: gw.auth(owner.token) })).statusCode).toBe(204);
    expect((await gw.app.inject({ method: 'GET', url: `${base()}/${id}`, headers: gw.auth(owner.token) })).statusCode).toBe(404);
  });

  it('tells the session\'s live stream when an endpoint is switched off (410 Gone), with no email involved', async () => {
    const gone = await startReceiver();
    gone.respond = () => ({ status: 410 });
    const notices: { type: string; data: { webhookId: string; reason: string } }[] = [];
    const unsubscribe = await gw.coordinator.subscribe(`session-events:${sessionId}`, (message) => void notices.push(JSON.parse(message)));
    try {
      const created = (await create({ url: gone.url })).json().webhook;
      const test = await gw.app.inject({ method: 'POST', url: `${base()}/${created.id}/test`, headers: gw.auth(owner.token) });
      expect(test.statusCode).toBe(202);
      await until(async () => notices.some((n) => n.type === 'webhook.disabled'));
      expect(notices.find((n) => n.type === 'webhook.disabled')!.data).toEqual({ webhookId: created.id, reason: expect.stringContaining('410') });
      const after = await gw.app.inject({ method: 'GET', url: `${base()}/${created.id}`, headers: gw.auth(owner.token) });
      expect(after.json().webhook.active).toBe(false);
    } finally {
      await unsubscribe();
      await gone.close();
    }
  });

  it('sends a signed test event, logs the delivery, and redelivers it with the same webhook-id', async () => {
    const created = (await create()).json().webhook;
    const before = receiver.requests.length;
    const test = await gw.app.inject({ method: 'POST', url: `${base()}/${created.id}/test`, headers: gw.auth(owner.token) });
    expect(test.statusCode).toBe(202);
    const { delivery } = test.json();
    expect(delivery).toMatchObject({ event: 'session.status', status: 'PENDING', attempts: 0 });
    await receiver.waitFor(before + 1);
    const first = receiver.requests[before]!;
    expect(verifyWebhookSignature(created.secret, first.headers as Record<string, string>, first.body)).toBe(true);
    expect(JSON.parse(first.body)).toMatchObject({ type: 'session.status', sessionId, data: { status: 'CONNECTED' } });

    const url = `${base()}/${created.id}/deliveries`;
    await until(async () => (await gw.app.inject({ method: 'GET', url, headers: gw.auth(owner.token) })).json().data[0]?.status === 'SUCCEEDED');
    const log = (await gw.app.inject({ method: 'GET', url, headers: gw.auth(owner.token) })).json();
    expect(log.data[0]).toMatchObject({ id: delivery.id, status: 'SUCCEEDED', attempts: 1, responseCode: 200, nextRetry: null });

    const again = await gw.app.inject({ method: 'POST', url: `${url}/${delivery.id}/redeliver`, headers: gw.auth(owner.token) });
    expect(again.statusCode).toBe(202);
    await receiver.waitFor(before + 2);
    expect(receiver.requests[before + 1]!.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect((await gw.app.inject({ method: 'POST', url: `${url}/dlv_unknown/redeliver`, headers: gw.auth(owner.token) })).statusCode).toBe(404);
  });

  it('rotates the secret: the new one is shown once and both sign for 24 h', async () => {
    const created = (await create()).json().webhook;
    const rotated = await gw.app.inject({ method: 'POST', url: `${base()}/${created.id}/rotate-secret`, headers: gw.auth(owner.token) });
    expect(rotated.statusCode).toBe(200);
    const { secret, previousSecretExpiresAt } = rotated.json().webhook;
    expect(secret).not.toBe(created.secret);
    expect(Date.parse(previousSecretExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);
    const before = receiver.requests.length;
    await gw.app.inject({ method: 'POST', url: `${base()}/${created.id}/test`, headers: gw.auth(owner.token) });
    await receiver.waitFor(before + 1);
    const req = receiver.requests[before]!;
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyWebhookSignature(secret, req.headers as Record<string, string>, req.body)).toBe(true);
    expect(verifyWebhookSignature(created.secret, req.headers as Record<string, string>, req.body)).toBe(true);
  });

  it('describes every webhook route in the OpenAPI document', async () => {
    const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json();
    for (const path of [
      '/api/v1/sessions/{id}/webhooks',
      '/api/v1/sessions/{id}/webhooks/{webhookId}',
      '/api/v1/sessions/{id}/webhooks/{webhookId}/deliveries',
      '/api/v1/sessions/{id}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver',
      '/api/v1/sessions/{id}/webhooks/{webhookId}/test',
      '/api/v1/sessions/{id}/webhooks/{webhookId}/rotate-secret',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});

describe('webhook URL guard through the API', () => {
  it('refuses private and metadata URLs unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set', async () => {
    const strict = await createTestGateway({ config: { WEBHOOK_DISPATCH_INTERVAL_MS: '0' } });
    try {
      const user = await strict.signUp();
      const { sessionId: sid } = await seedSession(strict.db, user.userId);
      for (const url of ['http://127.0.0.1:8080/', 'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:10.0.0.1]/', 'http://2130706433/']) {
        const res = await strict.app.inject({ method: 'POST', url: `/api/v1/sessions/${sid}/webhooks`, headers: strict.auth(user.token), payload: { url, events: ['message.received'] } });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().errors[0].path).toBe('body.url');
      }
    } finally {
      await strict.close();
    }
  });
});
