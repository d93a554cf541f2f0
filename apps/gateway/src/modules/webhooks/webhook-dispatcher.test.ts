import { newEventId, type WebhookPayload } from '@wagate/contracts';
import { eq, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { schema, type DatabaseHandle } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createSystemLogsRepository } from '../system-logs/index.js';
import { createSecretBox } from './secret-box.js';
import { createWebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.job.js';
import { createWebhookOutbox } from './webhook-outbox.js';
import { createWebhookSender, type WebhookSender } from './webhook-sender.js';
import { generateWebhookSecret, verifyWebhookSignature } from './webhook-signature.js';
import { seedSession, startReceiver, until, type Receiver } from './webhook-test-kit.js';

const { webhooks, webhookDeliveries } = schema;
const box = createSecretBox(Buffer.alloc(32, 3));
const logger = pino({ level: 'silent' });

let handle: DatabaseHandle;
let sender: WebhookSender;
const receivers: Receiver[] = [];

beforeAll(async () => {
  handle = await openTestPglite();
  sender = createWebhookSender({ allowPrivateNetworks: true, timeoutMs: 2_000 });
});
afterAll(async () => {
  await sender.close();
  await handle.close();
});
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

async function receiver(port?: number): Promise<Receiver> {
  const r = await startReceiver(port);
  receivers.push(r);
  return r;
}

async function endpoint(url: string, events: string[] = ['message.received'], sessionId?: string) {
  const owner = sessionId ? undefined : await seedSession(handle.db);
  const sid = sessionId ?? owner!.sessionId;
  const [row] = await handle.db.select({ userId: schema.sessions.userId }).from(schema.sessions).where(eq(schema.sessions.id, sid));
  const secret = generateWebhookSecret();
  const id = `whk_${Math.random().toString(36).slice(2).padEnd(22, '0').slice(0, 22)}`;
  await handle.db.insert(webhooks).values({ id, sessionId: sid, userId: row!.userId, url, events, secretCiphertext: box.seal(secret, id) });
  return { id, secret, sessionId: sid, userId: row!.userId };
}

function payload(sessionId: string, type: WebhookPayload['type'] = 'message.received'): WebhookPayload {
  const base = { id: newEventId(), createdAt: new Date().toISOString(), sessionId };
  if (type === 'session.status') return { ...base, type, data: { status: 'CONNECTED' } };
  return {
    ...base,
    type: 'message.received',
    data: { message: { id: 'm1', sessionId, chatId: '6281@s.whatsapp.net', from: '6281', to: '6282', fromMe: false, type: 'text', text: 'hi', status: 'DELIVERED', timestamp: base.createdAt } },
  } as WebhookPayload;
}

const outbox = () => createWebhookOutbox({ db: handle.db });

function dispatcher(overrides: Partial<WebhookDispatcherOptions> = {}) {
  return createWebhookDispatcher({ db: handle.db, sender, secretBox: box, logger, intervalMs: 20, systemLogs: createSystemLogsRepository(handle.db), ...overrides });
}

async function delivery(webhookId: string) {
  const [row] = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, webhookId));
  return row!;
}

describe('webhook outbox', () => {
  it('writes one row per active endpoint of the session subscribed to the type, once per event id', async () => {
    const r = await receiver();
    const a = await endpoint(r.url, ['message.received']);
    const b = await endpoint(r.url, ['message.received', 'session.status'], a.sessionId);
    const unsubscribed = await endpoint(r.url, ['session.status'], a.sessionId);
    const inactive = await endpoint(r.url, ['message.received'], a.sessionId);
    await handle.db.update(webhooks).set({ isActive: false }).where(eq(webhooks.id, inactive.id));
    await endpoint(r.url, ['message.received']); // another session

    const event = payload(a.sessionId);
    expect(await handle.db.transaction((tx) => outbox().enqueue(tx, event))).toBe(2);
    expect(await handle.db.transaction((tx) => outbox().enqueue(tx, event))).toBe(0);
    const rows = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id));
    expect(rows.map((x) => x.webhookId).sort()).toEqual([a.id, b.id].sort());
    expect(rows.every((x) => x.webhookId !== unsubscribed.id)).toBe(true);
  });

  it('writes nothing when the caller rolls back', async () => {
    const r = await receiver();
    const a = await endpoint(r.url);
    const event = payload(a.sessionId);
    await expect(
      handle.db.transaction(async (tx) => {
        await outbox().enqueue(tx, event);
        throw new Error('ingest failed');
      }),
    ).rejects.toThrow('ingest failed');
    expect(await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.eventId, event.id))).toHaveLength(0);
  });
});

describe('webhook dispatcher', () => {
  it('POSTs the payload with verifiable Standard Webhooks headers and marks it delivered', async () => {
    const r = await receiver();
    const a = await endpoint(r.url);
    const event = payload(a.sessionId);
    await handle.db.transaction((tx) => outbox().enqueue(tx, event));
    await dispatcher().runOnce();
    expect(r.requests).toHaveLength(1);
    const req = r.requests[0]!;
    expect(req.headers['webhook-id']).toBe(event.id);
    expect(req.headers['content-type']).toBe('application/json');
    expect(verifyWebhookSignature(a.secret, req.headers as Record<string, string>, req.body)).toBe(true);
    expect(JSON.parse(req.body)).toEqual(event);
    expect(await delivery(a.id)).toMatchObject({ status: 'DELIVERED', attempts: 1, lastResponseCode: 200 });
  });

  it('delivers later, with the same webhook-id, to a receiver that was down for the first attempts', async () => {
    // Reserve a port, then free it: the first attempts find nothing listening.
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();
    const a = await endpoint(`http://127.0.0.1:${port}/hook`);
    const event = payload(a.sessionId);
    await handle.db.transaction((tx) => outbox().enqueue(tx, event));
    const d = dispatcher({ schedule: [50, 50, 50, 50], random: () => 0.5 });
    await d.runOnce();
    await until(async () => (await delivery(a.id)).nextAttemptAt.getTime() <= Date.now());
    await d.runOnce();
    const down = await delivery(a.id);
    expect(down).toMatchObject({ status: 'PENDING', attempts: 2, lastResponseCode: null });
    expect(down.lastError).toMatch(/ECONNREFUSED|connect/i);
    const [failing] = await handle.db.select().from(webhooks).where(eq(webhooks.id, a.id));
    expect(failing!.failureCount).toBe(2);

    const r = await receiver(port);
    r.respond = (_req, n) => (n === 1 ? { status: 500, body: 'warming up' } : { status: 204 });
    await until(async () => {
      await d.runOnce();
      return (await delivery(a.id)).status === 'DELIVERED';
    });
    expect(r.requests.map((x) => x.headers['webhook-id'])).toEqual([event.id, event.id]);
    expect(await delivery(a.id)).toMatchObject({ attempts: 4, lastResponseCode: 204 });
    const [healed] = await handle.db.select().from(webhooks).where(eq(webhooks.id, a.id));
    expect(healed).toMatchObject({ failureCount: 0, failingSince: null });
  });

  it('retries a 3xx and does not follow it', async () => {
    const r = await receiver();
    r.respond = () => ({ status: 301, headers: { location: 'http://127.0.0.1:1/elsewhere' } });
    const a = await endpoint(r.url);
    await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    await dispatcher().runOnce();
    expect(await delivery(a.id)).toMatchObject({ status: 'PENDING', lastResponseCode: 301 });
  });

  it('honours Retry-After on 429', async () => {
    const r = await receiver();
    r.respond = () => ({ status: 429, headers: { 'retry-after': '120' } });
    const a = await endpoint(r.url);
    await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    const before = Date.now();
    await dispatcher().runOnce();
    const row = await delivery(a.id);
    expect(row.status).toBe('PENDING');
    expect(row.nextAttemptAt.getTime() - before).toBeGreaterThan(115_000);
    expect(row.nextAttemptAt.getTime() - before).toBeLessThan(125_000);
  });

  it('marks a delivery FAILED once the schedule is exhausted', async () => {
    const r = await receiver();
    r.respond = () => ({ status: 500 });
    const a = await endpoint(r.url);
    await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    const d = dispatcher({ schedule: [10] });
    await d.runOnce();
    await until(async () => {
      await d.runOnce();
      return (await delivery(a.id)).status === 'FAILED';
    });
    expect(await delivery(a.id)).toMatchObject({ attempts: 2, lastResponseCode: 500 });
  });

  it('disables the endpoint on 410 Gone, settles its pending rows, and writes a system log', async () => {
    const r = await receiver();
    r.respond = () => ({ status: 410 });
    const a = await endpoint(r.url);
    await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    await dispatcher({ batchSize: 1 }).runOnce();
    const [hook] = await handle.db.select().from(webhooks).where(eq(webhooks.id, a.id));
    expect(hook).toMatchObject({ isActive: false, disabledReason: expect.stringMatching(/410/) });
    expect(await delivery(a.id)).toMatchObject({ status: 'DISABLED', lastResponseCode: 410 });
    const logs = await handle.db.execute<{ category: string; user_id: string }>(sql`select category, user_id from system_logs where metadata->>'webhookId' = ${a.id}`);
    expect(logs.rows).toEqual([{ category: 'webhook', user_id: a.userId }]);
    // A disabled endpoint gets no new deliveries.
    expect(await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)))).toBe(0);
  });

  it('auto-disables an endpoint after sustained failure', async () => {
    const r = await receiver();
    r.respond = () => ({ status: 500 });
    const a = await endpoint(r.url);
    const d = dispatcher({ disableAfterFailures: 3, disableAfterMs: 0 });
    // Five concurrent failures cross the threshold three times over: one disable, one log line.
    for (let i = 0; i < 5; i++) await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    await d.runOnce();
    const [hook] = await handle.db.select().from(webhooks).where(eq(webhooks.id, a.id));
    expect(hook).toMatchObject({ isActive: false, failureCount: 5, disabledReason: expect.stringMatching(/consecutive failed/) });
    const logs = await handle.db.execute(sql`select 1 from system_logs where metadata->>'webhookId' = ${a.id}`);
    expect(logs.rows).toHaveLength(1);
  });

  it('does not auto-disable a burst of failures shorter than the sustain period', async () => {
    const r = await receiver();
    r.respond = () => ({ status: 500 });
    const a = await endpoint(r.url);
    for (let i = 0; i < 3; i++) await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    await dispatcher({ disableAfterFailures: 3, disableAfterMs: 3_600_000 }).runOnce();
    const [hook] = await handle.db.select().from(webhooks).where(eq(webhooks.id, a.id));
    expect(hook).toMatchObject({ isActive: true, failureCount: 3 });
  });

  it('takes back a row whose lease ran out (its dispatcher died mid-flight)', async () => {
    const r = await receiver();
    r.respond = (_req, n) => (n === 1 ? null : { status: 200 });
    const a = await endpoint(r.url);
    const event = payload(a.sessionId);
    await handle.db.transaction((tx) => outbox().enqueue(tx, event));
    const dying = dispatcher({ leaseMs: 300 });
    const inFlight = dying.runOnce();
    await r.waitFor(1);
    // Within the lease nobody else may take it.
    const other = dispatcher({ leaseMs: 300 });
    expect(await other.runOnce()).toBe(0);
    await dying.stop();
    await inFlight;
    await until(async () => (await other.runOnce()) > 0 || (await delivery(a.id)).status === 'DELIVERED');
    await until(async () => (await delivery(a.id)).status === 'DELIVERED');
    expect(r.requests.map((x) => x.headers['webhook-id'])).toEqual([event.id, event.id]);
  });

  it('deletes settled deliveries past retention and keeps pending ones', async () => {
    const r = await receiver();
    const a = await endpoint(r.url);
    await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    await handle.db.transaction((tx) => outbox().enqueue(tx, payload(a.sessionId)));
    const rows = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, a.id));
    await handle.db.update(webhookDeliveries).set({ createdAt: new Date(Date.now() - 40 * 86_400_000) }).where(eq(webhookDeliveries.webhookId, a.id));
    await handle.db.update(webhookDeliveries).set({ status: 'DELIVERED' }).where(eq(webhookDeliveries.id, rows[0]!.id));
    expect(await dispatcher().cleanup()).toBeGreaterThanOrEqual(1);
    const left = await handle.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, a.id));
    expect(left.map((x) => x.id)).toEqual([rows[1]!.id]);
  });
});
