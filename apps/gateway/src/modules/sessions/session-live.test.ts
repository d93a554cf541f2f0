import { newEventId, type EventEnvelope } from '@wagate/contracts';
import { RedisCoordinator, type Coordinator } from '@wagate/storage';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../../../../test-support/redis.js';
import { eq } from 'drizzle-orm';
import { schema, type DatabaseHandle } from '../../db/index.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { sessionsHarness, type Harness } from './test-support/harness.js';

interface Frame {
  id?: string;
  event?: string;
  data?: unknown;
}

/** A minimal SSE client over node:http: frames and comment lines as they arrive. */
function openStream(url: string, headers: Record<string, string>) {
  const frames: Frame[] = [];
  const comments: string[] = [];
  const waiters: (() => void)[] = [];
  let ended = false;
  let response: IncomingMessage | undefined;
  const notify = () => waiters.splice(0).forEach((w) => w());
  const ready = new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      response = res;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const frame: Frame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line);
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
          }
          if (frame.event) frames.push(frame);
        }
        notify();
      });
      res.on('end', () => {
        ended = true;
        notify();
      });
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
  async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; frames: ${JSON.stringify(frames)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }
  return {
    frames,
    comments,
    ready,
    until,
    get ended() {
      return ended;
    },
    close: () => response?.destroy(),
  };
}

async function settled(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/** Counts live subscriptions, to see the stream let go of its channel. */
function countingCoordinator(inner: Coordinator): Coordinator & { active: number } {
  const wrapper = Object.create(inner) as Coordinator & { active: number };
  wrapper.active = 0;
  wrapper.subscribe = async (channel, handler) => {
    const unsubscribe = await inner.subscribe(channel, handler);
    wrapper.active++;
    return async () => {
      wrapper.active--;
      await unsubscribe();
    };
  };
  return wrapper;
}

describe('live session status (SSE) across two gateway replicas sharing one Redis', () => {
  const prefix = uniquePrefix('sessions-sse');
  let database: DatabaseHandle;
  let redis1: RedisCoordinator;
  let redis2: RedisCoordinator;
  let counted: Coordinator & { active: number };
  let one: Harness;
  let two: Harness;
  let base2: string;

  beforeAll(async () => {
    database = await openTestPglite();
    redis1 = new RedisCoordinator({ url: testRedisUrl(), keyPrefix: prefix });
    redis2 = new RedisCoordinator({ url: testRedisUrl(), keyPrefix: prefix });
    counted = countingCoordinator(redis2);
    one = await sessionsHarness({ database, coordinator: redis1, env: { SESSION_LIMIT_BASIC: '50' } });
    two = await sessionsHarness({ database, coordinator: counted, heartbeatMs: 100 });
    await two.app.listen({ host: '127.0.0.1', port: 0 });
    base2 = `http://127.0.0.1:${(two.app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await one?.close();
    await two?.close();
    await redis1?.close();
    await redis2?.close();
    await database?.close();
    await deleteKeysWithPrefix(prefix);
  });

  async function placedSession(auth: { authorization: string }): Promise<string> {
    const created = await one.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth, payload: { name: 'live' } });
    const id = created.json().session.id as string;
    expect((await one.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/connect`, headers: auth })).statusCode).toBe(202);
    return id;
  }

  it('streams the current status first, then changes ingested on the other replica, heartbeats, and ends on delete', async () => {
    const worker = await one.addWorker();
    const alice = await one.addUser();
    const id = await placedSession(alice.auth);

    const stream = openStream(`${base2}/api/v1/sessions/${id}/events`, alice.auth);
    const res = await stream.ready;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    await stream.until(() => stream.frames.length >= 1, 'the first frame');
    expect(stream.frames[0]).toMatchObject({ event: 'session.status', data: { sessionId: id, data: { status: 'CONNECTING' } } });

    const envelope = (type: EventEnvelope['type'], data: unknown) =>
      ({ id: newEventId(), sessionId: id, workerId: worker.workerId, epoch: 1, createdAt: new Date().toISOString(), type, data }) as EventEnvelope;
    const qrExpiry = new Date(Date.now() + 60_000).toISOString();
    const batch = [envelope('session.status', { status: 'QR_READY', previousStatus: 'CONNECTING' }), envelope('session.qr', { qr: '2@first', expiresAt: qrExpiry })];
    const ingest = await one.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: worker.auth, payload: { events: batch } });
    expect(ingest.json().acknowledged).toHaveLength(2);

    await stream.until(() => stream.frames.length >= 3, 'the QR frames');
    expect(stream.frames.slice(1)).toEqual([
      { id: batch[0]!.id, event: 'session.status', data: expect.objectContaining({ type: 'session.status', sessionId: id, data: expect.objectContaining({ status: 'QR_READY' }) }) },
      { id: batch[1]!.id, event: 'session.qr', data: expect.objectContaining({ data: { qr: '2@first', expiresAt: qrExpiry } }) },
    ]);
    // A duplicate delivery is not published twice.
    await one.app.inject({ method: 'POST', url: '/api/v1/internal/events', headers: worker.auth, payload: { events: batch } });

    await stream.until(() => stream.comments.length >= 1, 'a heartbeat');
    expect(stream.comments[0]).toBe(': keep-alive');

    // Gateway-made changes go out too: disconnect on replica one.
    await one.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/disconnect`, headers: alice.auth });
    await stream.until(() => stream.frames.some((f) => (f.data as { data?: { status?: string } }).data?.status === 'DISCONNECTED'), 'the DISCONNECTED frame');
    expect(stream.frames.filter((f) => f.event === 'session.qr')).toHaveLength(1);

    expect((await one.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${id}`, headers: alice.auth })).statusCode).toBe(204);
    await stream.until(() => stream.ended, 'the stream to end');
    expect(stream.frames.at(-1)).toMatchObject({ event: 'session.deleted', data: { sessionId: id } });
  });

  it('shows the live QR in the first frames to a subscriber who arrives while it is up', async () => {
    await one.addWorker();
    const alice = await one.addUser();
    const id = await placedSession(alice.auth);
    await database.db.update(schema.sessions).set({ status: 'QR_READY' }).where(eq(schema.sessions.id, id));
    const expiresAt = new Date(Date.now() + 20_000).toISOString();
    two.fleet.views.set(id, { status: 'QR_READY', qr: { qr: '2@now', dataUrl: 'data:image/png;base64,AAAA', expiresAt } });
    const stream = openStream(`${base2}/api/v1/sessions/${id}/events`, alice.auth);
    await stream.until(() => stream.frames.length >= 2, 'status and QR');
    expect(stream.frames.map((f) => f.event)).toEqual(['session.status', 'session.qr']);
    expect(stream.frames[1]!.data).toMatchObject({ data: { qr: '2@now', image: 'data:image/png;base64,AAAA', expiresAt } });
    stream.close();
  });

  it('unsubscribes from the channel when the client goes away', async () => {
    await one.addWorker();
    const alice = await one.addUser();
    const id = await placedSession(alice.auth);
    // Streams of earlier tests are closed by their clients; wait until their teardown has run.
    await settled(() => counted.active === 0);
    const stream = openStream(`${base2}/api/v1/sessions/${id}/events`, alice.auth);
    await stream.until(() => stream.frames.length >= 1, 'the first frame');
    expect(counted.active).toBe(1);
    stream.close();
    await settled(() => counted.active === 0);
    expect(counted.active).toBe(0);
  });

  it("answers 404 problem+json, not a stream, for another user's session", async () => {
    const alice = await one.addUser();
    const mallory = await one.addUser();
    const created = await one.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: alice.auth, payload: { name: 'mine' } });
    const id = created.json().session.id as string;
    const before = counted.active;
    const stream = openStream(`${base2}/api/v1/sessions/${id}/events`, mallory.auth);
    const res = await stream.ready;
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(counted.active).toBe(before);
    stream.close();
  });
});
