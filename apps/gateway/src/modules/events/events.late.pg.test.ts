// Late data events, on the real PostgreSQL server: a worker killed -9 restarts after its sessions
// moved on and replays its journal. Messages of an epoch it really held are taken (they would be
// lost otherwise); everything else it says about those sessions is refused, as before.
import { newEventId, type EventEnvelope } from '@wagate/contracts';
import { MemoryCoordinator } from '@wagate/storage';
import { eq } from 'drizzle-orm';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../../../test-support/postgres.js';
import { openDatabase, schema, type DatabaseHandle } from '../../db/index.js';
import { sessionsHarness, type Harness } from '../sessions/test-support/harness.js';
import { createWebhookOutbox } from '../webhooks/index.js';
import { createWorkersRepository, type WorkersRepository } from '../workers/index.js';
import { createEventsIngest, createEventsRepository, type EventsRepository } from './index.js';

const { sessions, processedEvents, webhooks, webhookDeliveries } = schema;

type Worker = Awaited<ReturnType<Harness['addWorker']>>;

describe('events ingest: late data events from an epoch the worker held', () => {
  let testDb: TestDatabase;
  let dir: string;
  let database: DatabaseHandle;
  let h: Harness;
  let workersRepo: WorkersRepository;
  let owner: Awaited<ReturnType<Harness['addUser']>>;
  let a: Worker;
  let b: Worker;
  let c: Worker;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'wagate-late-'));
    database = await openDatabase({ databaseUrl: testDb.url, dataDir: dir });
    // The real outbox, so "a webhook delivery" is a row in webhook_deliveries.
    h = await sessionsHarness({ database, webhookOutbox: createWebhookOutbox({ db: database.db }), env: { SESSION_LIMIT_BASIC: '100' } });
    workersRepo = createWorkersRepository(database.db);
    owner = await h.addUser();
    a = await h.addWorker();
    b = await h.addWorker();
    c = await h.addWorker();
  });
  afterAll(async () => {
    await h?.close();
    await database?.close();
    await testDb?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    h.usage.length = 0;
  });

  /** Placement as routing and migration do it: the repository's assign, in a transaction. */
  const placeOn = (sessionId: string, worker: Worker) => database.db.transaction((tx) => workersRepo.assign(tx, sessionId, worker.workerId));

  function event(sessionId: string, worker: Worker, epoch: number, type: EventEnvelope['type'], data: unknown, over: Partial<EventEnvelope> = {}): EventEnvelope {
    return { id: newEventId(), sessionId, workerId: worker.workerId, epoch, createdAt: new Date().toISOString(), type, data, ...over } as EventEnvelope;
  }

  function received(sessionId: string, worker: Worker, epoch: number, over: Partial<EventEnvelope> = {}): EventEnvelope {
    const message = { id: `M${Math.random().toString(36).slice(2)}`, sessionId, chatId: '6281111111111@s.whatsapp.net', from: '6281111111111@s.whatsapp.net', to: 'me', fromMe: false, type: 'text', text: 'sent while the worker was down', status: 'SENT', timestamp: new Date().toISOString() };
    return event(sessionId, worker, epoch, 'message.received', { message }, over);
  }

  const post = (worker: Worker, events: EventEnvelope[]) => h.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: worker.auth, payload: { events } });
  const row = async (id: string) => (await database.db.select().from(sessions).where(eq(sessions.id, id)))[0]!;
  const deliveriesOf = (eventId: string) => database.db.$count(webhookDeliveries, eq(webhookDeliveries.eventId, eventId));

  /**
   * A CONNECTED session with a webhook, placed on A at epoch 1 (A reported it connected), then
   * moved to B at epoch 2 (B reported it connected too): A was killed and its sessions failed over.
   */
  async function movedFromAToB(): Promise<string> {
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: owner.auth, payload: { name: 'late events' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().session.id as string;
    await database.db.insert(webhooks).values({ sessionId: id, userId: owner.userId, url: 'https://hooks.example.test/in', events: ['message.received', 'session.status'], secretCiphertext: 'not used here' });
    expect(await placeOn(id, a)).toBe(1);
    expect((await post(a, [event(id, a, 1, 'session.status', { status: 'CONNECTED', phoneNumber: '+6281200000001' })])).json().rejected).toEqual([]);
    expect(await placeOn(id, b)).toBe(2);
    expect((await post(b, [event(id, b, 2, 'session.status', { status: 'CONNECTED', phoneNumber: '+6281200000001' })])).json().rejected).toEqual([]);
    return id;
  }

  it("accepts A's late message.received of epoch 1, queues its webhook, but refuses A's late session.status and keeps the card", async () => {
    const id = await movedFromAToB();
    const message = received(id, a, 1);
    const status = event(id, a, 1, 'session.status', { status: 'LOGGED_OUT', previousStatus: 'CONNECTED' });
    const res = await post(a, [message, status]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      acknowledged: [message.id],
      rejected: [{ id: status.id, code: 'NOT_ASSIGNED', detail: expect.any(String) }],
      // A is still told to drop the session: whatever socket it has left must close.
      dropSessions: [{ sessionId: id, epoch: 2 }],
    });
    expect(await deliveriesOf(message.id)).toBe(1);
    expect(await deliveriesOf(status.id)).toBe(0);
    expect(await database.db.$count(processedEvents, eq(processedEvents.eventId, message.id))).toBe(1);
    expect(await database.db.$count(processedEvents, eq(processedEvents.eventId, status.id))).toBe(0);
    expect(await row(id)).toMatchObject({ workerId: b.workerId, epoch: 2, status: 'CONNECTED', phoneNumber: '+6281200000001' });
    // A received message is billed like any other.
    expect(h.usage).toEqual([{ userId: owner.userId, sessionId: id, metric: 'messages.received' }]);
  });

  it("dedupes a repeat of the same late event: acknowledged again, no second webhook delivery", async () => {
    const id = await movedFromAToB();
    const message = received(id, a, 1);
    expect((await post(a, [message])).json().acknowledged).toEqual([message.id]);
    const again = await post(a, [message]);
    expect(again.json()).toEqual({ acknowledged: [message.id], rejected: [], dropSessions: [{ sessionId: id, epoch: 2 }] });
    expect(await deliveriesOf(message.id)).toBe(1);
    expect(h.usage).toHaveLength(1);
  });

  it('rejects late events of an epoch A never held (2 is B’s, 3 does not exist yet)', async () => {
    const id = await movedFromAToB();
    const claimsB = received(id, a, 2);
    const future = received(id, a, 3);
    const res = await post(a, [claimsB, future]);
    expect(res.json()).toEqual({
      acknowledged: [],
      rejected: [
        { id: claimsB.id, code: 'NOT_ASSIGNED', detail: expect.any(String) },
        { id: future.id, code: 'NOT_ASSIGNED', detail: expect.any(String) },
      ],
      dropSessions: [{ sessionId: id, epoch: 4 }],
    });
    expect(await deliveriesOf(claimsB.id)).toBe(0);
    expect(await deliveriesOf(future.id)).toBe(0);
  });

  it('rejects worker C claiming epoch 1, which A held', async () => {
    const id = await movedFromAToB();
    const forged = received(id, c, 1);
    const res = await post(c, [forged]);
    expect(res.json()).toEqual({ acknowledged: [], rejected: [{ id: forged.id, code: 'NOT_ASSIGNED', detail: expect.any(String) }], dropSessions: [{ sessionId: id, epoch: 2 }] });
    expect(await deliveriesOf(forged.id)).toBe(0);
    expect(await database.db.$count(processedEvents, eq(processedEvents.eventId, forged.id))).toBe(0);
  });

  it('takes a late message of an earlier epoch of the same worker (STALE_EPOCH), but not its session events', async () => {
    const id = await movedFromAToB();
    // B reconnects the session on itself: epoch 3, still B.
    expect(await placeOn(id, b)).toBe(3);
    const message = received(id, b, 2);
    const qr = event(id, b, 2, 'session.qr', { qr: '2@old', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    const res = await post(b, [qr, message]);
    expect(res.json()).toEqual({
      acknowledged: [message.id],
      rejected: [{ id: qr.id, code: 'STALE_EPOCH', detail: expect.any(String) }],
      dropSessions: [{ sessionId: id, epoch: 3 }],
    });
    expect(await deliveriesOf(message.id)).toBe(1);
  });

  it('moves last_activity_at forward only: an old late message leaves a newer activity time alone', async () => {
    const id = await movedFromAToB();
    const now = new Date();
    await post(b, [received(id, b, 2, { createdAt: now.toISOString() })]);
    expect((await row(id)).lastActivityAt).toEqual(now);
    const old = received(id, a, 1, { createdAt: new Date(now.getTime() - 3_600_000).toISOString() });
    expect((await post(a, [old])).json().acknowledged).toEqual([old.id]);
    expect((await row(id)).lastActivityAt).toEqual(now);
    const newer = new Date(now.getTime() + 1_000);
    await post(a, [received(id, a, 1, { createdAt: newer.toISOString() })]);
    expect((await row(id)).lastActivityAt).toEqual(newer);
  });

  it('keeps rejecting a deleted session’s events as UNKNOWN_SESSION, late data included', async () => {
    const id = await movedFromAToB();
    const deleted = await h.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${id}`, headers: owner.auth });
    expect(deleted.statusCode, deleted.body).toBeLessThan(300);
    const message = received(id, a, 1);
    expect((await post(a, [message])).json()).toEqual({ acknowledged: [], rejected: [{ id: message.id, code: 'UNKNOWN_SESSION', detail: expect.any(String) }], dropSessions: [{ sessionId: id, epoch: 2 }] });
  });

  it('mixes current and late events in one batch, in batch order, and looks the history up once', async () => {
    const moved = await movedFromAToB();
    const movedToo = await movedFromAToB();
    // A still holds a third session, at its current epoch.
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: owner.auth, payload: { name: 'still on A' } });
    const kept = created.json().session.id as string;
    expect(await placeOn(kept, a)).toBe(1);

    let lookups = 0;
    let pairs = 0;
    const real = createEventsRepository();
    const repository: EventsRepository = {
      ...real,
      heldPlacements: async (tx, workerId, asked) => {
        lookups++;
        pairs += asked.length;
        return real.heldPlacements(tx, workerId, asked);
      },
    };
    const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const ingest = createEventsIngest({ db: database.db, repository, coordinator: new MemoryCoordinator(), logger: silent });
    const observed: string[] = [];
    ingest.observe?.((e) => observed.push(e.id));

    const batch = [
      received(moved, a, 1),
      event(kept, a, 1, 'session.status', { status: 'CONNECTED', phoneNumber: '+6281200000009' }),
      event(moved, a, 1, 'session.status', { status: 'DISCONNECTED' }),
      received(movedToo, a, 1),
      received(kept, a, 1),
    ];
    const res = await ingest.ingest(a.workerId, batch);
    expect(res.acknowledged).toEqual([batch[0]!.id, batch[1]!.id, batch[3]!.id, batch[4]!.id]);
    expect(res.rejected).toEqual([{ id: batch[2]!.id, code: 'NOT_ASSIGNED', detail: expect.any(String) }]);
    expect(res.dropSessions).toEqual(expect.arrayContaining([{ sessionId: moved, epoch: 2 }, { sessionId: movedToo, epoch: 2 }]));
    expect(res.dropSessions).toHaveLength(2);
    // Listeners (ingest-lag metrics) hear late events like current ones.
    expect(observed).toEqual(res.acknowledged);
    // One query for the batch, asked only about the two data events fencing refused.
    expect(lookups).toBe(1);
    expect(pairs).toBe(2);
    expect(await row(kept)).toMatchObject({ status: 'CONNECTED', phoneNumber: '+6281200000009' });
    expect((await row(moved)).status).toBe('CONNECTED');

    // A batch fencing does not refuse never asks.
    await ingest.ingest(a.workerId, [received(kept, a, 1)]);
    expect(lookups).toBe(1);
  });

  it('answers only the (session, epoch) pairs the worker held, whatever the other pairs', async () => {
    const id = await movedFromAToB();
    const repo = createEventsRepository();
    const held = await database.db.transaction((tx) =>
      repo.heldPlacements(tx, a.workerId, [
        { sessionId: id, epoch: 1 },
        { sessionId: id, epoch: 1 },
        { sessionId: id, epoch: 2 },
        { sessionId: 'ses_nope', epoch: 1 },
      ]),
    );
    expect([...held]).toEqual([`${id}@1`]);
    const placements = await database.db.select().from(schema.sessionPlacements).where(eq(schema.sessionPlacements.sessionId, id));
    expect(placements.map((p) => [p.epoch, p.workerId]).sort()).toEqual([
      [1, a.workerId],
      [2, b.workerId],
    ]);
  });
});
