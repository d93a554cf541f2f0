import { AppError, RateLimitedError } from '@wagate/contracts';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { sessionsHarness, type Harness } from './test-support/harness.js';

const { sessions, apiKeys, systemLogs } = schema;

describe('sessions routes', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await sessionsHarness({ env: { SESSION_LIMIT_BASIC: '2', SESSION_LIMIT_PRO: '4' } });
  });
  afterAll(async () => {
    await h?.close();
  });
  beforeEach(async () => {
    h.fleet.calls.length = 0;
    h.fleet.views.clear();
    h.limitError.current = null;
    await h.db.delete(schema.workers);
  });

  async function createSession(auth: { authorization: string }, name = 'Support line') {
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth, payload: { name } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { session: { id: string; status: string; workerId?: string | null }; apiKey: { id: string; key: string; prefix: string; name: string } };
  }

  it('creates a DISCONNECTED card with its first API key, shown once', async () => {
    const alice = await h.addUser();
    const body = await createSession(alice.auth);
    expect(body.session.status).toBe('DISCONNECTED');
    expect(body.session).not.toHaveProperty('workerId');
    expect(body.apiKey.key).toMatch(/^wg_live_/);
    const keys = await h.db.select().from(apiKeys).where(eq(apiKeys.sessionId, body.session.id));
    expect(keys.map((k) => k.id)).toEqual([body.apiKey.id]);
    expect(keys[0]!.userId).toBe(alice.userId);
    expect(h.operations).toContain(alice.userId);
    const audit = await h.db.select().from(systemLogs).where(eq(systemLogs.sessionId, body.session.id));
    expect(audit.map((l) => l.message)).toContain('Session created');
  });

  it('rejects unknown body fields and a blank name with 400', async () => {
    const alice = await h.addUser();
    const extra = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: alice.auth, payload: { name: 'x', admin: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    const blank = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: alice.auth, payload: { name: '   ' } });
    expect(blank.statusCode).toBe(400);
  });

  it('requires a user token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/v1/sessions' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('caps sessions per tier, even for parallel creates, without leaving a half-made card', async () => {
    const basic = await h.addUser({ tier: 'BASIC' });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: basic.auth, payload: { name: `s${i}` } })),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(refused.map((r) => r.statusCode)).toEqual([403, 403, 403]);
    expect(refused[0]!.json()).toMatchObject({ code: 'QUOTA_EXCEEDED' });
    expect(refused[0]!.json().detail).toContain('BASIC tier allows 2 sessions');
    expect(await h.db.$count(sessions, eq(sessions.userId, basic.userId))).toBe(2);
    expect(await h.db.$count(apiKeys, eq(apiKeys.userId, basic.userId))).toBe(2);

    const pro = await h.addUser({ tier: 'PRO' });
    for (let i = 0; i < 4; i++) await createSession(pro.auth, `p${i}`);
    const fifth = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: pro.auth, payload: { name: 'p5' } });
    expect(fifth.statusCode).toBe(403);
  });

  it('lists only your sessions, newest first, with a working cursor', async () => {
    const alice = await h.addUser({ tier: 'PRO' });
    const bob = await h.addUser();
    const made = [];
    for (const name of ['one', 'two', 'three']) made.push((await createSession(alice.auth, name)).session.id);
    await createSession(bob.auth, 'bob');
    const first = await h.app.inject({ method: 'GET', url: '/api/v1/sessions?limit=2', headers: alice.auth });
    expect(first.statusCode).toBe(200);
    const page1 = first.json() as { data: { id: string }[]; nextCursor: string | null };
    expect(page1.data.map((s) => s.id)).toEqual([made[2], made[1]]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = await h.app.inject({ method: 'GET', url: `/api/v1/sessions?limit=2&cursor=${page1.nextCursor}`, headers: alice.auth });
    expect(second.json()).toEqual({ data: [expect.objectContaining({ id: made[0] })], nextCursor: null });
    const bad = await h.app.inject({ method: 'GET', url: '/api/v1/sessions?cursor=garbage', headers: alice.auth });
    expect(bad.statusCode).toBe(400);
    const tooMany = await h.app.inject({ method: 'GET', url: '/api/v1/sessions?limit=101', headers: alice.auth });
    expect(tooMany.statusCode).toBe(400);
  });

  it("returns 404 for another user's session on every :id route, and tells no worker anything", async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const mallory = await h.addUser();
    const { session } = await createSession(alice.auth);
    const routes: [string, string, unknown?][] = [
      ['GET', `/api/v1/sessions/${session.id}`],
      ['POST', `/api/v1/sessions/${session.id}/connect`, {}],
      ['GET', `/api/v1/sessions/${session.id}/qr`],
      ['GET', `/api/v1/sessions/${session.id}/pairing-code`],
      ['POST', `/api/v1/sessions/${session.id}/disconnect`],
      ['POST', `/api/v1/sessions/${session.id}/logout`],
      ['DELETE', `/api/v1/sessions/${session.id}`],
      ['GET', `/api/v1/sessions/${session.id}/events`],
    ];
    for (const [method, url, payload] of routes) {
      const res = await h.app.inject({ method: method as 'GET', url, headers: mallory.auth, ...(payload === undefined ? {} : { payload: payload as object }) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json()).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(h.fleet.calls).toEqual([]);
    const [row] = await h.db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row).toMatchObject({ status: 'DISCONNECTED', workerId: null, epoch: 0 });
  });

  it('shows workerId only to an admin, who may act on any session', async () => {
    const { workerId } = await h.addWorker();
    const alice = await h.addUser();
    const admin = await h.addUser({ role: 'ADMIN' });
    const { session } = await createSession(alice.auth);
    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    const own = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(own.json().session).not.toHaveProperty('workerId');
    const seen = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}`, headers: admin.auth });
    expect(seen.statusCode).toBe(200);
    expect(seen.json().session.workerId).toBe(workerId);

    const list = await h.app.inject({ method: 'GET', url: `/api/v1/admin/sessions?userId=${alice.userId}`, headers: admin.auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().data).toEqual([expect.objectContaining({ id: session.id, userId: alice.userId, workerId })]);
    const denied = await h.app.inject({ method: 'GET', url: '/api/v1/admin/sessions', headers: alice.auth });
    expect(denied.statusCode).toBe(403);
  });

  it('answers connect with 503 NO_WORKER_AVAILABLE problem+json when no worker is online, leaving the card as it was', async () => {
    await h.addWorker('OFFLINE');
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 503, code: 'NO_WORKER_AVAILABLE' });
    const [row] = await h.db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row!.status).toBe('DISCONNECTED');
    expect(h.fleet.callsOf('start')).toEqual([]);
  });

  it('connects: places the session, tells the worker with the new epoch, answers 202 CONNECTING; a second connect is a no-op', async () => {
    const { workerId } = await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth, payload: { method: 'pairing_code', phoneNumber: '+6281234567890' } });
    expect(res.statusCode).toBe(202);
    expect(res.json().session.status).toBe('CONNECTING');
    expect(h.fleet.callsOf('start')).toEqual([{ method: 'start', route: expect.objectContaining({ sessionId: session.id, workerId, epoch: 1 }), options: { method: 'pairing_code', phoneNumber: '+6281234567890' } }]);
    const again = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    expect(again.statusCode).toBe(202);
    expect(h.fleet.callsOf('start')).toHaveLength(1);
    const [row] = await h.db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row).toMatchObject({ epoch: 1, workerId, status: 'CONNECTING' });
  });

  it('refuses pairing by code without a phone number (400) and connects by QR with no body', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    const bad = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth, payload: { method: 'pairing_code' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: expect.stringContaining('phoneNumber') })]);
    const ok = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    expect(ok.statusCode).toBe(202);
    expect(h.fleet.callsOf('start')[0]!.options).toEqual({});
  });

  it('marks the session FAILED and passes the error on when the worker cannot be reached', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    h.fleet.failures.set('start', new AppError('WORKER_UNREACHABLE', 'The worker did not answer.'));
    const res = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'WORKER_UNREACHABLE' });
    const [row] = await h.db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row!.status).toBe('FAILED');
  });

  it('serves the QR from the worker, and 409 SESSION_NOT_AWAITING_QR when there is none', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    const unplaced = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}/qr`, headers: alice.auth });
    expect(unplaced.statusCode).toBe(409);
    expect(unplaced.json()).toMatchObject({ code: 'SESSION_NOT_AWAITING_QR' });

    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    const noQrYet = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}/qr`, headers: alice.auth });
    expect(noQrYet.statusCode).toBe(409);

    const expiresAt = new Date(Date.now() + 20_000).toISOString();
    h.fleet.views.set(session.id, { status: 'QR_READY', qr: { qr: '2@abc,def', dataUrl: 'data:image/png;base64,iVBORw0KGgo=', expiresAt } });
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}/qr`, headers: alice.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ qr: '2@abc,def', image: 'data:image/png;base64,iVBORw0KGgo=', expiresAt });
  });

  it('serves the pairing code, and 409 when the session is not pairing by code', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth, payload: { method: 'pairing_code', phoneNumber: '6281234567890' } });
    const none = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}/pairing-code`, headers: alice.auth });
    expect(none.statusCode).toBe(409);
    h.fleet.views.set(session.id, { status: 'QR_READY', pairingCode: 'ABCD1234' });
    const res = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}/pairing-code`, headers: alice.auth });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ code: 'ABCD1234', expiresAt: expect.any(String) });
    expect(new Date(res.json().expiresAt).getTime()).toBeGreaterThan(Date.now());
  });

  it('disconnects (worker stops it, credentials kept, still placed), then logs out (worker unlinks, routing released)', async () => {
    const { workerId } = await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    await h.db.update(sessions).set({ status: 'CONNECTED', phoneNumber: '+6281234567890' }).where(eq(sessions.id, session.id));

    const off = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/disconnect`, headers: alice.auth });
    expect(off.statusCode).toBe(202);
    expect(off.json().session).toMatchObject({ status: 'DISCONNECTED', phoneNumber: '+6281234567890' });
    expect(h.fleet.callsOf('stop')).toHaveLength(1);
    expect(h.fleet.callsOf('logout')).toHaveLength(0);
    let [row] = await h.db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row!.workerId).toBe(workerId);

    const out = await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/logout`, headers: alice.auth });
    expect(out.statusCode).toBe(202);
    expect(out.json().session).toMatchObject({ status: 'LOGGED_OUT', phoneNumber: null });
    expect(h.fleet.callsOf('logout')).toEqual([expect.objectContaining({ route: expect.objectContaining({ workerId, epoch: 1 }) })]);
    [row] = await h.db.select().from(sessions).where(eq(sessions.id, session.id));
    expect(row).toMatchObject({ workerId: null, status: 'LOGGED_OUT', epoch: 1 });
  });

  it('deletes: the worker is told, the keys go, the card is gone (204, then 404)', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session, apiKey } = await createSession(alice.auth);
    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    const res = await h.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(h.fleet.callsOf('delete')).toEqual([expect.objectContaining({ route: expect.objectContaining({ sessionId: session.id, epoch: 1 }) })]);
    expect(await h.db.$count(apiKeys, eq(apiKeys.id, apiKey.id))).toBe(0);
    const gone = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(gone.statusCode).toBe(404);
    const audit = await h.db.select().from(systemLogs).where(eq(systemLogs.sessionId, session.id));
    expect(audit.map((l) => l.message)).toContain('Session deleted');
  });

  it('deletes the stored data of a session whose worker is gone through another worker, at a newer epoch', async () => {
    const { workerId: first } = await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    await h.db.update(schema.workers).set({ status: 'OFFLINE' }).where(eq(schema.workers.id, first));
    const { workerId: second } = await h.addWorker();
    const res = await h.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(res.statusCode).toBe(204);
    expect(h.fleet.callsOf('delete')).toEqual([expect.objectContaining({ route: expect.objectContaining({ workerId: second, epoch: 2 }) })]);
  });

  it('deletes a never-connected session without asking any worker', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    const res = await h.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(res.statusCode).toBe(204);
    expect(h.fleet.callsOf('delete')).toEqual([]);
  });

  it('keeps the card when the worker refuses the delete for a reason other than "gone"', async () => {
    await h.addWorker();
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    await h.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: alice.auth });
    h.fleet.failures.set('delete', new AppError('WORKER_UNREACHABLE', 'down'));
    const res = await h.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(res.statusCode).toBe(503);
    expect(await h.db.$count(sessions, eq(sessions.id, session.id))).toBe(1);
    h.fleet.failures.set('delete', new AppError('NOT_FOUND', 'not here'));
    const retry = await h.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(retry.statusCode).toBe(204);
  });

  it('applies the session-operation rate limit to lifecycle calls (429 with its headers)', async () => {
    const alice = await h.addUser();
    const { session } = await createSession(alice.auth);
    h.limitError.current = new RateLimitedError('Too many session operations.', { 'retry-after': '12', 'ratelimit-limit': '60' });
    for (const [method, url] of [
      ['POST', '/api/v1/sessions'],
      ['POST', `/api/v1/sessions/${session.id}/connect`],
      ['POST', `/api/v1/sessions/${session.id}/disconnect`],
      ['POST', `/api/v1/sessions/${session.id}/logout`],
      ['DELETE', `/api/v1/sessions/${session.id}`],
    ] as const) {
      const res = await h.app.inject({ method, url, headers: alice.auth, ...(url === '/api/v1/sessions' ? { payload: { name: 'x' } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(429);
      expect(res.headers['retry-after']).toBe('12');
    }
    const read = await h.app.inject({ method: 'GET', url: `/api/v1/sessions/${session.id}`, headers: alice.auth });
    expect(read.statusCode).toBe(200);
  });
});
