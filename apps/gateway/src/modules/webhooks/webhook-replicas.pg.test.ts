// Gateway replicas on one real PostgreSQL: FOR UPDATE SKIP LOCKED and the lease are only worth
// anything if they hold across separate connections and processes' worth of pools.
import { newEventId, type WebhookPayload } from '@wagate/contracts';
import { FsBlobStore, MemoryCoordinator } from '@wagate/storage';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../../test-support/postgres.js';
import { buildApp } from '../../app.js';
import { openDatabase, schema, type DatabaseHandle } from '../../db/index.js';
import { testGatewayConfig } from '../../test-support/test-gateway.js';
import { createSecretBox } from './secret-box.js';
import { createWebhookDispatcher } from './webhook-dispatcher.job.js';
import { createWebhookOutbox } from './webhook-outbox.js';
import { createWebhookSender } from './webhook-sender.js';
import { generateWebhookSecret, verifyWebhookSignature } from './webhook-signature.js';
import { seedSession, startReceiver, until } from './webhook-test-kit.js';

const { webhooks, webhookDeliveries } = schema;
const KEY = Buffer.alloc(32, 9);
const logger = pino({ level: 'silent' });

let testDb: TestDatabase;
let dir: string;
const handles: DatabaseHandle[] = [];

async function open(): Promise<DatabaseHandle> {
  const handle = await openDatabase({ databaseUrl: testDb.url, dataDir: dir });
  handles.push(handle);
  return handle;
}

beforeAll(async () => {
  testDb = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'wagate-wh-pg-'));
});
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
  await testDb?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function endpointOn(handle: DatabaseHandle, url: string) {
  const { sessionId, userId } = await seedSession(handle.db);
  const secret = generateWebhookSecret();
  const id = `whk_${Math.random().toString(36).slice(2).padEnd(22, '0').slice(0, 22)}`;
  await handle.db.insert(webhooks).values({ id, sessionId, userId, url, events: ['session.status'], secretCiphertext: createSecretBox(KEY).seal(secret, id) });
  return { id, sessionId, secret };
}

function statusEvent(sessionId: string): WebhookPayload {
  return { id: newEventId(), type: 'session.status', createdAt: new Date().toISOString(), sessionId, data: { status: 'CONNECTED' } };
}

async function enqueueMany(handle: DatabaseHandle, sessionId: string, n: number): Promise<string[]> {
  const outbox = createWebhookOutbox({ db: handle.db });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const event = statusEvent(sessionId);
    ids.push(event.id);
    await handle.db.transaction((tx) => outbox.enqueue(tx, event));
  }
  return ids;
}

describe('webhook dispatch across replicas on PostgreSQL', () => {
  it('two replicas never deliver the same attempt twice', async () => {
    const [a, b] = [await open(), await open()];
    const receiver = await startReceiver();
    receiver.respond = () => ({ status: 200, delayMs: Math.floor(Math.random() * 10) });
    const hook = await endpointOn(a, receiver.url);
    const events = await enqueueMany(a, hook.sessionId, 300);

    const claims = [0, 0];
    const replicas = [a, b].map((h) =>
      createWebhookDispatcher({ db: h.db, sender: createWebhookSender({ allowPrivateNetworks: true }), secretBox: createSecretBox(KEY), logger, intervalMs: 10, batchSize: 10 }),
    );
    // Both replicas claim in tight loops at the same time, the worst case for double delivery.
    const loops = replicas.map(async (replica, i) => {
      for (;;) {
        const n = await replica.runOnce();
        claims[i]! += n;
        if (n === 0) {
          const [left] = await a.db.execute<{ n: string }>(sql`select count(*)::text as n from ${webhookDeliveries} where status <> 'DELIVERED'`).then((r) => r.rows);
          if (left!.n === '0') return;
        }
      }
    });
    await Promise.all(loops);
    await Promise.all(replicas.map((r) => r.stop()));

    const ids = receiver.requests.map((r) => String(r.headers['webhook-id']));
    expect(ids).toHaveLength(300);
    expect(new Set(ids)).toEqual(new Set(events));
    expect(claims[0]! + claims[1]!).toBe(300);
    expect(Math.min(...claims)).toBeGreaterThan(0);
    const rows = await a.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
    expect(rows.every((r) => r.status === 'DELIVERED' && r.attempts === 1)).toBe(true);
    for (const req of receiver.requests.slice(0, 5)) expect(verifyWebhookSignature(hook.secret, req.headers as Record<string, string>, req.body)).toBe(true);
    await receiver.close();
  });

  it('a gateway killed with deliveries in flight delivers them after restart, with the same webhook-id', async () => {
    const receiver = await startReceiver();
    // The first gateway's requests hang: it "dies" before any answer arrives.
    let alive = false;
    receiver.respond = () => (alive ? { status: 200 } : null);
    const seed = await open();
    const hook = await endpointOn(seed, receiver.url);

    const config = testGatewayConfig(dir, { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '20', DATABASE_URL: testDb.url });
    const startGateway = async (): Promise<{ app: FastifyInstance; database: DatabaseHandle }> => {
      const database = await open();
      const app = await buildApp({
        config,
        database,
        coordinator: new MemoryCoordinator(),
        blobStore: new FsBlobStore({ root: join(dir, 'objects') }),
        logLevel: 'silent',
        webhooks: { dispatcher: { leaseMs: 1_500 } },
      });
      await app.ready();
      return { app, database };
    };

    const first = await startGateway();
    // The app's own key seals secrets; rewrite this endpoint's with it so the dispatcher can sign.
    const appBox = createSecretBox(Buffer.from(config.ENCRYPTION_KEY!, 'base64'));
    await seed.db.update(webhooks).set({ secretCiphertext: appBox.seal(hook.secret, hook.id) }).where(eq(webhooks.id, hook.id));
    const events = await enqueueMany(seed, hook.sessionId, 12);
    await receiver.waitFor(12);
    const inFlight = await seed.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
    expect(inFlight.every((r) => r.status === 'DELIVERING')).toBe(true);

    // Kill: the database connections go first, so the dying gateway can write nothing more.
    await first.database.close();
    await first.app.close();

    alive = true;
    const second = await startGateway();
    try {
      await until(async () => {
        const rows = await seed.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
        return rows.every((r) => r.status === 'DELIVERED');
      }, 20_000);
      const delivered = receiver.requests.slice(12).map((r) => String(r.headers['webhook-id']));
      // No loss: every event again after the restart; duplicates only ever carry the same id.
      expect(new Set(delivered)).toEqual(new Set(events));
      expect(new Set(receiver.requests.map((r) => String(r.headers['webhook-id'])))).toEqual(new Set(events));
      const rows = await seed.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, hook.id));
      expect(rows.every((r) => r.attempts === 2)).toBe(true);
    } finally {
      await second.app.close();
      await receiver.close();
    }
  });
});
