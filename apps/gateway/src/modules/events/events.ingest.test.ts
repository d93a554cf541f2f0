import { newEventId, type EventEnvelope, type WebhookPayload } from '@wagate/contracts';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema, type Executor } from '../../db/index.js';
import { sessionsHarness, type Harness } from '../sessions/test-support/harness.js';

const { sessions, processedEvents, systemLogs } = schema;

/** An outbox that records what it was given, and can fail to prove the batch rolls back with it. */
const outbox = {
  payloads: [] as WebhookPayload[],
  inTransaction: [] as boolean[],
  failNext: false,
  async enqueue(tx: Executor, payload: WebhookPayload): Promise<number> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('webhook_deliveries is unavailable');
    }
    // A transaction object is not the database handle itself.
    this.inTransaction.push(tx !== db);
    this.payloads.push(payload);
    return 1;
  },
};
let db: Harness['db'];

describe('events ingest', () => {
  let h: Harness;
  let worker: { workerId: string; auth: { authorization: string } };
  let owner: Awaited<ReturnType<Harness['addUser']>>;

  beforeAll(async () => {
    h = await sessionsHarness({ webhookOutbox: outbox, env: { SESSION_LIMIT_BASIC: '100' } });
    db = h.db;
    worker = await h.addWorker();
    owner = await h.addUser();
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(() => {
    outbox.payloads.length = 0;
    outbox.inTransaction.length = 0;
    h.usage.length = 0;
  });

  /** A session placed on `worker` at epoch 1 (through the real connect route). */
  async function placedSession(): Promise<string> {
    const created = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: owner.auth, payload: { name: 'ingest' } });
    const id = created.json().session.id as string;
    const connect = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/connect`, headers: owner.auth });
    expect(connect.statusCode).toBe(202);
    return id;
  }

  function event(sessionId: string, type: EventEnvelope['type'], data: unknown, over: Partial<EventEnvelope> = {}): EventEnvelope {
    return { id: newEventId(), sessionId, workerId: worker.workerId, epoch: 1, createdAt: new Date().toISOString(), type, data, ...over } as EventEnvelope;
  }

  function message(sessionId: string, type = 'text', fromMe = false) {
    return { message: { id: `M${Math.random().toString(36).slice(2)}`, sessionId, chatId: '6281111111111@s.whatsapp.net', from: '6281111111111@s.whatsapp.net', to: 'me', fromMe, type, text: 'hi', status: 'SENT', timestamp: new Date().toISOString() } };
  }

  const post = (events: EventEnvelope[], auth = worker.auth) => h.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: auth, payload: { events } });
  const row = async (id: string) => (await h.db.select().from(sessions).where(eq(sessions.id, id)))[0]!;

  it('applies status and phone number, queues webhooks in the transaction, and audits the change', async () => {
    const id = await placedSession();
    const batch = [
      event(id, 'session.status', { status: 'QR_READY', previousStatus: 'CONNECTING', phoneNumber: null }),
      event(id, 'session.qr', { qr: '2@abc', expiresAt: new Date(Date.now() + 60_000).toISOString() }),
      event(id, 'session.status', { status: 'CONNECTED', previousStatus: 'QR_READY', phoneNumber: '+6281234567890' }),
    ];
    const res = await post(batch);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ acknowledged: batch.map((e) => e.id), rejected: [], dropSessions: [] });
    expect(await row(id)).toMatchObject({ status: 'CONNECTED', phoneNumber: '+6281234567890' });
    expect(outbox.payloads.map((p) => p.id)).toEqual(batch.map((e) => e.id));
    expect(outbox.payloads[0]).not.toHaveProperty('workerId');
    expect(outbox.payloads[0]).not.toHaveProperty('epoch');
    expect(outbox.inTransaction).toEqual([true, true, true]);
    const audit = await h.db.select().from(systemLogs).where(eq(systemLogs.sessionId, id));
    expect(audit.map((l) => l.message)).toEqual(expect.arrayContaining(['Session QR_READY', 'Session CONNECTED']));
  });

  it('acknowledges a duplicate again without applying it twice', async () => {
    const id = await placedSession();
    const received = event(id, 'message.received', message(id));
    const first = await post([received, received]);
    expect(first.json().acknowledged).toEqual([received.id]);
    const again = await post([received]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ acknowledged: [received.id], rejected: [], dropSessions: [] });
    expect(outbox.payloads).toHaveLength(1);
    expect(h.usage.filter((u) => u.sessionId === id)).toEqual([{ userId: owner.userId, sessionId: id, metric: 'messages.received' }]);
  });

  it('records message activity, and usage for received messages only (sends are billed when the API accepts them)', async () => {
    const id = await placedSession();
    expect((await row(id)).lastActivityAt).toBeNull();
    const at = new Date(Date.now() - 5_000).toISOString();
    const res = await post([event(id, 'message.sent', message(id, 'image', true), { createdAt: at }), event(id, 'message.received', message(id))]);
    expect(res.statusCode).toBe(200);
    expect((await row(id)).lastActivityAt).not.toBeNull();
    expect(h.usage.map((u) => u.metric)).toEqual(['messages.received']);
  });

  it('rejects a stale epoch and tells the worker to drop the session', async () => {
    const id = await placedSession();
    // Reconnecting elsewhere (here: a new placement) bumps the epoch to 2.
    await h.db.update(sessions).set({ epoch: 2 }).where(eq(sessions.id, id));
    const stale = event(id, 'session.status', { status: 'CONNECTED', phoneNumber: '+6289999999999' });
    const res = await post([stale]);
    expect(res.json()).toEqual({ acknowledged: [], rejected: [{ id: stale.id, code: 'STALE_EPOCH', detail: expect.any(String) }], dropSessions: [{ sessionId: id, epoch: 2 }] });
    expect(await row(id)).toMatchObject({ status: 'CONNECTING', phoneNumber: null });
    expect(outbox.payloads).toEqual([]);
    expect(await h.db.$count(processedEvents, eq(processedEvents.eventId, stale.id))).toBe(0);
  });

  it('rejects events from a worker the session is not assigned to (NOT_ASSIGNED, drop)', async () => {
    const id = await placedSession();
    const other = await h.addWorker();
    const wrong = event(id, 'session.status', { status: 'CONNECTED' }, { workerId: other.workerId });
    const res = await post([wrong], other.auth);
    expect(res.statusCode).toBe(200);
    expect(res.json().rejected).toEqual([{ id: wrong.id, code: 'NOT_ASSIGNED', detail: expect.any(String) }]);
    expect(res.json().dropSessions).toEqual([{ sessionId: id, epoch: 2 }]);
    expect((await row(id)).status).toBe('CONNECTING');
  });

  it('still takes the final events of a logged-out (released) session from its last worker, but not older epochs', async () => {
    const id = await placedSession();
    const out = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/logout`, headers: owner.auth });
    expect(out.statusCode).toBe(202);
    expect((await row(id)).workerId).toBeNull();
    const last = event(id, 'session.status', { status: 'LOGGED_OUT', previousStatus: 'CONNECTED' });
    const res = await post([last]);
    expect(res.json()).toEqual({ acknowledged: [last.id], rejected: [], dropSessions: [] });
    expect(outbox.payloads.map((p) => p.id)).toEqual([last.id]);
    const older = event(id, 'session.status', { status: 'CONNECTED' }, { epoch: 0 });
    expect((await post([older])).json().rejected).toEqual([expect.objectContaining({ code: 'NOT_ASSIGNED' })]);
    expect((await row(id)).status).toBe('LOGGED_OUT');
  });

  it('refuses a batch naming another worker than the token (403) and the bootstrap-less call (401)', async () => {
    const id = await placedSession();
    const other = await h.addWorker();
    const forged = await post([event(id, 'session.status', { status: 'CONNECTED' })], other.auth);
    expect(forged.statusCode).toBe(403);
    expect((await row(id)).status).toBe('CONNECTING');
    const anonymous = await h.app.inject({ method: 'POST', url: '/api/v1/internal/events', payload: { events: [event(id, 'session.status', { status: 'CONNECTED' })] } });
    expect(anonymous.statusCode).toBe(401);
  });

  it('rejects events of an unknown session and has the worker drop it', async () => {
    const ghost = event('ses_doesnotexist', 'session.status', { status: 'CONNECTED' }, { epoch: 4 });
    const res = await post([ghost]);
    expect(res.json()).toEqual({ acknowledged: [], rejected: [{ id: ghost.id, code: 'UNKNOWN_SESSION', detail: expect.any(String) }], dropSessions: [{ sessionId: 'ses_doesnotexist', epoch: 5 }] });
  });

  it('mixes outcomes per event in one batch', async () => {
    const a = await placedSession();
    const b = await placedSession();
    await h.db.update(sessions).set({ epoch: 7 }).where(eq(sessions.id, b));
    const good = event(a, 'session.status', { status: 'QR_READY' });
    const stale = event(b, 'session.status', { status: 'QR_READY' });
    const res = await post([good, stale]);
    expect(res.json().acknowledged).toEqual([good.id]);
    expect(res.json().rejected.map((r: { code: string }) => r.code)).toEqual(['STALE_EPOCH']);
    expect((await row(a)).status).toBe('QR_READY');
    expect((await row(b)).status).toBe('CONNECTING');
  });

  it('rolls the whole batch back when the webhook outbox fails, so a retry applies it once', async () => {
    const id = await placedSession();
    const batch = [event(id, 'session.status', { status: 'QR_READY' }), event(id, 'message.received', message(id))];
    outbox.failNext = true;
    const failed = await post(batch);
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toMatchObject({ code: 'INTERNAL' });
    expect((await row(id)).status).toBe('CONNECTING');
    expect(await h.db.$count(processedEvents, eq(processedEvents.sessionId, id))).toBe(0);
    expect(h.usage).toEqual([]);
    const retry = await post(batch);
    expect(retry.json().acknowledged).toEqual(batch.map((e) => e.id));
    expect((await row(id)).status).toBe('QR_READY');
    expect(h.usage).toHaveLength(1);
  });

  it('remembers the pairing code expiry for GET …/pairing-code', async () => {
    const id = await placedSession();
    const expiresAt = new Date(Date.now() + 120_000).toISOString();
    await post([event(id, 'session.pairing_code', { code: 'WXYZ9876', expiresAt })]);
    h.fleet.views.set(id, { pairingCode: 'WXYZ9876' });
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}/pairing-code`, headers: owner.auth });
    expect(res.json()).toEqual({ code: 'WXYZ9876', expiresAt });
  });

  it('takes a full batch of 500 events over many sessions in a few statements', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await placedSession());
    const batch = Array.from({ length: 500 }, (_, i) => event(ids[i % ids.length]!, 'message.received', message(ids[i % ids.length]!)));
    const started = performance.now();
    const res = await post(batch);
    const ms = performance.now() - started;
    expect(res.statusCode).toBe(200);
    expect(res.json().acknowledged).toHaveLength(500);
    expect(outbox.payloads).toHaveLength(500);
    for (const id of ids) expect((await row(id)).lastActivityAt).not.toBeNull();
    // Informational: the figure quoted in the report (PGlite, in-process).
    process.stdout.write(`ingest: 500 events / 20 sessions in ${ms.toFixed(0)} ms\n`);
    const dup = performance.now();
    await post(batch);
    process.stdout.write(`ingest: the same 500 again (all duplicates) in ${(performance.now() - dup).toFixed(0)} ms\n`);
  });
});
