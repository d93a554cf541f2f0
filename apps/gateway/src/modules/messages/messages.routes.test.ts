import { RateLimitedError, type List, type Message, type MessageListQuery, type SendMessageBody } from '@wagate/contracts';
import { eq, sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ownedRow, schema, type DatabaseHandle } from '../../db/index.js';
import { registerAuthentication, type ApiKeyPrincipal, type Authenticator, type UserPrincipal } from '../../http/authenticate.js';
import { registerErrorHandling } from '../../http/error-handler.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createIdempotencyRepository, createMessagesService, messagesRoutes, type MessageRoute, type MessagingWorker } from './index.js';

type SessionRow = schema.SessionRow;

/** A worker that keeps what each session sent, so reads can prove they only see their own session. */
class FakeWorker implements MessagingWorker {
  sends: { route: MessageRoute; message: SendMessageBody; requestId: string | undefined }[] = [];
  stored = new Map<string, Message>();
  sendDelayMs = 0;
  failNext: Error | undefined;
  #counter = 0;

  async send(route: MessageRoute, message: SendMessageBody, requestId?: string): Promise<Message> {
    this.sends.push({ route, message, requestId });
    if (this.sendDelayMs > 0) await new Promise((r) => setTimeout(r, this.sendDelayMs));
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = undefined;
      throw error;
    }
    this.#counter += 1;
    const view: Message = {
      id: `3EB0${String(this.#counter).padStart(8, '0')}`,
      sessionId: route.sessionId,
      chatId: `${message.to.replace(/^\+/, '')}@s.whatsapp.net`,
      from: '15550000001@s.whatsapp.net',
      to: `${message.to.replace(/^\+/, '')}@s.whatsapp.net`,
      fromMe: true,
      type: message.type,
      ...(message.type === 'text' ? { text: message.text } : {}),
      status: 'PENDING',
      timestamp: new Date().toISOString(),
    };
    this.stored.set(`${route.sessionId}/${view.id}`, view);
    return view;
  }
  async message(route: MessageRoute, messageId: string): Promise<Message> {
    const found = this.stored.get(`${route.sessionId}/${messageId}`);
    if (!found) throw new (await import('@wagate/contracts')).NotFoundError('Message');
    return found;
  }
  async history(route: MessageRoute, query: MessageListQuery): Promise<List<Message>> {
    const data = [...this.stored.values()].filter((m) => m.sessionId === route.sessionId && (query.chatId === undefined || m.chatId.startsWith(query.chatId.replace(/^\+/, ''))));
    return { data: data.reverse().slice(0, query.limit), nextCursor: null };
  }
  async media(route: MessageRoute, messageId: string) {
    await this.message(route, messageId);
    return { contentType: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) };
  }
  async contactsCheck(_route: MessageRoute, phones: string[]) {
    return { results: phones.map((phone) => (phone.endsWith('0') ? { phone, exists: false } : { phone, exists: true, jid: `${phone.replace('+', '')}@s.whatsapp.net` })) };
  }
}

let handle: DatabaseHandle;
let app: FastifyInstance;
let worker: FakeWorker;
let consumed: string[];
let usage: { metric: string; sessionId?: string | undefined; apiKeyId?: string | undefined }[];
let rateLimited: boolean;
let unplaced: Set<string>;
let alice: { userId: string; sessionA: SessionRow; sessionB: SessionRow };
let bob: { userId: string; session: SessionRow };

const keys = new Map<string, ApiKeyPrincipal>();
const users = new Map<string, UserPrincipal>();

const authenticator: Authenticator = {
  user: async (token) => users.get(token) ?? null,
  apiKey: async (key) => keys.get(key) ?? null,
  worker: async () => null,
};

async function insertUser(email: string): Promise<string> {
  const [row] = await handle.db.insert(schema.users).values({ email, passwordHash: 'x' }).returning();
  return row!.id;
}

async function insertSession(userId: string, name: string, status: SessionRow['status'] = 'CONNECTED'): Promise<SessionRow> {
  const [row] = await handle.db.insert(schema.sessions).values({ userId, name, status, phoneNumber: '15550000001' }).returning();
  return row!;
}

function keyFor(name: string, userId: string, sessionId: string): string {
  const key = `wg_live_${name}`;
  keys.set(key, { kind: 'apiKey', userId, tier: 'BASIC', sessionId, keyId: `key_${name}` });
  return key;
}

beforeAll(async () => {
  handle = await openTestPglite();
  const db = handle.db;
  const a = await insertUser('alice@example.com');
  const b = await insertUser('bob@example.com');
  alice = { userId: a, sessionA: await insertSession(a, 'shop'), sessionB: await insertSession(a, 'support') };
  bob = { userId: b, session: await insertSession(b, 'bob') };
  keyFor('alice_a', a, alice.sessionA.id);
  keyFor('alice_b', a, alice.sessionB.id);
  keyFor('bob', b, bob.session.id);
  users.set('jwt-alice', { kind: 'user', userId: a, role: 'USER', tier: 'BASIC' });
  users.set('jwt-bob', { kind: 'user', userId: b, role: 'USER', tier: 'BASIC' });
  users.set('jwt-admin', { kind: 'user', userId: 'usr_admin', role: 'ADMIN', tier: 'MAX' });

  worker = new FakeWorker();
  const service = createMessagesService({
    sessions: {
      findById: async (id) => (await db.select().from(schema.sessions).where(eq(schema.sessions.id, id)))[0] ?? null,
      findOwned: async (id, userId) => (await db.select().from(schema.sessions).where(ownedRow(schema.sessions, id, userId)))[0] ?? null,
    },
    sessionView: (row, { admin }) => ({
      id: row.id,
      name: row.name,
      status: row.status,
      phoneNumber: row.phoneNumber,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
      lastActivityAt: null,
      ...(admin ? { workerId: row.workerId } : {}),
    }),
    routing: { current: async (sessionId) => (unplaced.has(sessionId) ? null : { sessionId, workerId: 'wkr_1', endpoint: 'http://worker', epoch: 3 }) },
    worker,
    limits: {
      consumeMessage: async (principal) => {
        if (rateLimited) throw new RateLimitedError('Message quota spent.', { 'retry-after': '60', 'ratelimit-limit': '100' });
        consumed.push(principal.keyId);
      },
    },
    usage: { record: (input) => void usage.push(input) },
    idempotency: createIdempotencyRepository(db),
    inProgressWaitMs: 3_000,
    // A claim is taken over after 400 ms without renewal; the claimant renews every 100 ms.
    claimLeaseMs: 400,
    claimRenewMs: 100,
  });

  app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerAuthentication(app);
  await app.register(messagesRoutes, { service, authenticator });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await handle?.close();
});

beforeEach(() => {
  worker.sends = [];
  worker.sendDelayMs = 0;
  consumed = [];
  usage = [];
  rateLimited = false;
  unplaced = new Set();
});

afterEach(async () => {
  await handle.db.update(schema.sessions).set({ status: 'CONNECTED' }).where(eq(schema.sessions.id, alice.sessionA.id));
});

const A = 'wg_live_alice_a';

function send(body: unknown, options: { key?: string; idempotencyKey?: string } = {}) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/messages',
    headers: { 'x-api-key': options.key ?? A, ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}) },
    payload: body as object,
  });
}

const to = '+6281234567890';
const png = Buffer.from('fake image bytes!').toString('base64');

describe('GET /api/v1/session', () => {
  it("returns the key's session without the worker id", async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: `Bearer ${A}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().session).toMatchObject({ id: alice.sessionA.id, name: 'shop', status: 'CONNECTED' });
    expect(res.json().session).not.toHaveProperty('workerId');
  });

  it('answers 401 without a key and for a dashboard token', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v1/session' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/v1/session', headers: { authorization: 'Bearer jwt-alice' } })).statusCode).toBe(401);
  });
});

describe('POST /api/v1/messages', () => {
  const valid: [string, Record<string, unknown>][] = [
    ['text (type defaults to text)', { to, text: 'hello' }],
    ['text with reply and mentions', { to, type: 'text', text: 'hi @bob', replyTo: '3EB0ABCDEF', mentions: ['+6281234567891'] }],
    ['image by url', { to, type: 'image', media: { url: 'https://example.com/a.jpg', mimetype: 'image/jpeg', caption: 'look' } }],
    ['video by base64', { to, type: 'video', media: { base64: png, mimetype: 'video/mp4' } }],
    ['audio', { to, type: 'audio', media: { base64: png, mimetype: 'audio/mpeg' } }],
    ['voice note', { to, type: 'audio', ptt: true, media: { base64: png, mimetype: 'audio/ogg; codecs=opus' } }],
    ['document', { to, type: 'document', media: { base64: png, mimetype: 'application/pdf', filename: 'invoice.pdf', caption: 'your invoice' } }],
    ['sticker', { to, type: 'sticker', media: { base64: png, mimetype: 'image/webp' } }],
    ['location', { to, type: 'location', location: { latitude: -6.2, longitude: 106.8, name: 'Jakarta' } }],
    ['contact by name and phone', { to, type: 'contact', contact: { name: 'Bob', phone: '+6281234567891' } }],
    ['contact as vCard', { to, type: 'contact', contact: { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nEND:VCARD' } }],
    ['reaction', { to, type: 'reaction', reaction: { messageId: '3EB0ABCDEF', emoji: '👍' } }],
    ['poll', { to, type: 'poll', poll: { name: 'Lunch?', options: ['yes', 'no'] } }],
    ['edit', { to, type: 'edit', edit: { messageId: '3EB0ABCDEF', text: 'fixed' } }],
    ['delete', { to, type: 'delete', delete: { messageId: '3EB0ABCDEF' } }],
    ['to a group JID', { to: '120363025246125486@g.us', text: 'hello group' }],
  ];

  it.each(valid)('accepts %s with 202 and forwards the parsed body', async (_name, body) => {
    const res = await send(body);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().message).toMatchObject({ sessionId: alice.sessionA.id, status: 'PENDING', type: body.type ?? 'text' });
    expect(worker.sends).toHaveLength(1);
    expect(worker.sends[0]!.message.type).toBe(body.type ?? 'text');
    expect(worker.sends[0]!.route).toMatchObject({ sessionId: alice.sessionA.id, epoch: 3 });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['an unknown field', { to, text: 'x', priority: 'high' }, 'body'],
    ['a bad recipient', { to: '0812', text: 'x' }, 'body.to'],
    ['empty text', { to, text: '' }, 'body.text'],
    ['an unknown type', { to, type: 'gif', text: 'x' }, 'body.type'],
    ['an image with a video MIME type', { to, type: 'image', media: { url: 'https://e.com/a', mimetype: 'video/mp4' } }, 'body.media.mimetype'],
    ['media with both url and base64', { to, type: 'image', media: { url: 'https://e.com/a', base64: png, mimetype: 'image/png' } }, 'body.media'],
    ['media with neither url nor base64', { to, type: 'document', media: { mimetype: 'application/pdf' } }, 'body.media'],
    ['a file: URL', { to, type: 'document', media: { url: 'file:///etc/passwd', mimetype: 'text/plain' } }, 'body.media.url'],
    ['base64 with a data: prefix', { to, type: 'image', media: { base64: `data:image/png;base64,${png}`, mimetype: 'image/png' } }, 'body.media.base64'],
    ['an audio caption', { to, type: 'audio', media: { base64: png, mimetype: 'audio/mpeg', caption: 'no' } }, 'body.media'],
    ['a sticker that is not webp', { to, type: 'sticker', media: { base64: png, mimetype: 'image/png' } }, 'body.media.mimetype'],
    ['a latitude out of range', { to, type: 'location', location: { latitude: 91, longitude: 0 } }, 'body.location.latitude'],
    ['a contact that is not a vCard', { to, type: 'contact', contact: { vcard: 'hello' } }, 'body.contact'],
    ['a reaction without a message id', { to, type: 'reaction', reaction: { emoji: '👍' } }, 'body.reaction.messageId'],
    ['mentions on a reaction', { to, type: 'reaction', reaction: { messageId: 'X1', emoji: '👍' }, mentions: [to] }, 'body'],
    ['a poll with one option', { to, type: 'poll', poll: { name: 'Q', options: ['only'] } }, 'body.poll.options'],
    ['a poll with duplicate options', { to, type: 'poll', poll: { name: 'Q', options: ['a', 'a'] } }, 'body.poll.options'],
    ['a poll selecting more than its options', { to, type: 'poll', poll: { name: 'Q', options: ['a', 'b'], selectableCount: 3 } }, 'body.poll.selectableCount'],
    ['an edit without text', { to, type: 'edit', edit: { messageId: 'X1' } }, 'body.edit.text'],
    ['a delete without a message id', { to, type: 'delete', delete: {} }, 'body.delete.messageId'],
  ];

  it.each(invalid)('refuses %s with 400 VALIDATION_FAILED naming the field', async (_name, body, path) => {
    const res = await send(body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.errors.map((e: { path: string }) => e.path).some((p: string) => p.startsWith(path))).toBe(true);
    expect(worker.sends).toHaveLength(0);
  });

  it('counts the message against the tier and records usage by type', async () => {
    expect((await send({ to, type: 'location', location: { latitude: 1, longitude: 2 } })).statusCode).toBe(202);
    expect(consumed).toEqual(['key_alice_a']);
    expect(usage.map((u) => u.metric)).toEqual(['messages.sent', 'messages.sent.location']);
    expect(usage[0]).toMatchObject({ sessionId: alice.sessionA.id, apiKeyId: 'key_alice_a' });
  });

  it('answers 409 SESSION_NOT_CONNECTED when the session is not CONNECTED, without spending quota', async () => {
    await handle.db.update(schema.sessions).set({ status: 'QR_READY' }).where(eq(schema.sessions.id, alice.sessionA.id));
    const res = await send({ to, text: 'x' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SESSION_NOT_CONNECTED');
    expect(consumed).toEqual([]);
    expect(worker.sends).toHaveLength(0);
  });

  it('answers 409 SESSION_NOT_CONNECTED when the session is not placed on a worker', async () => {
    unplaced.add(alice.sessionA.id);
    const res = await send({ to, text: 'x' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SESSION_NOT_CONNECTED');
  });

  it('answers 409 SESSION_NOT_CONNECTED, not 404, when the routed worker does not host the session yet (a move in progress)', async () => {
    const { NotFoundError } = await import('@wagate/contracts');
    worker.failNext = new NotFoundError('Session');
    const res = await send({ to, text: 'moving' }, { idempotencyKey: 'moving-1' });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SESSION_NOT_CONNECTED');
    // The key is free again: the client's retry sends once the session is up on its new worker.
    const retried = await send({ to, text: 'moving' }, { idempotencyKey: 'moving-1' });
    expect(retried.statusCode).toBe(202);
    expect(worker.sends).toHaveLength(2);
    expect(worker.sends[0]!.requestId).toBe(worker.sends[1]!.requestId);
  });

  it('passes the rate limiter 429 through with its headers', async () => {
    rateLimited = true;
    const res = await send({ to, text: 'x' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('60');
    expect(worker.sends).toHaveLength(0);
  });

  it('gives each send without an Idempotency-Key its own request id', async () => {
    await send({ to, text: 'same' });
    await send({ to, text: 'same' });
    expect(worker.sends).toHaveLength(2);
    expect(worker.sends[0]!.requestId).not.toBe(worker.sends[1]!.requestId);
  });
});

describe('Idempotency-Key', () => {
  it('replays the original response for the same key and body, without a second send', async () => {
    const first = await send({ to, text: 'once' }, { idempotencyKey: 'order-1' });
    const second = await send({ to, text: 'once' }, { idempotencyKey: 'order-1' });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(worker.sends).toHaveLength(1);
    expect(consumed).toHaveLength(1);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const body = { to, type: 'location', location: { latitude: 1, longitude: 2 } };
    await send(body, { idempotencyKey: 'order-1b' });
    const res = await send({ location: { longitude: 2, latitude: 1 }, type: 'location', to }, { idempotencyKey: 'order-1b' });
    expect(res.statusCode).toBe(202);
    expect(worker.sends).toHaveLength(1);
  });

  it('answers 422 IDEMPOTENCY_KEY_REUSED for the same key with a different body', async () => {
    await send({ to, text: 'first' }, { idempotencyKey: 'order-2' });
    const res = await send({ to, text: 'second' }, { idempotencyKey: 'order-2' });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(worker.sends).toHaveLength(1);
  });

  it('sends once when duplicates arrive concurrently, and both get the one message', async () => {
    worker.sendDelayMs = 300;
    const results = await Promise.all([1, 2, 3].map(() => send({ to, text: 'race' }, { idempotencyKey: 'order-3' })));
    expect(results.map((r) => r.statusCode)).toEqual([202, 202, 202]);
    expect(worker.sends).toHaveLength(1);
    expect(new Set(results.map((r) => r.json().message.id)).size).toBe(1);
  });

  it('renews its claim while a slow send runs: a retry after the lease waits for it instead of sending again', async () => {
    worker.sendDelayMs = 1_500;
    const first = send({ to, text: 'slow' }, { idempotencyKey: 'order-slow' });
    await new Promise((r) => setTimeout(r, 700)); // past the 400 ms lease
    const retry = send({ to, text: 'slow' }, { idempotencyKey: 'order-slow' });
    const [a, b] = await Promise.all([first, retry]);
    expect([a.statusCode, b.statusCode]).toEqual([202, 202]);
    expect(worker.sends).toHaveLength(1);
    expect(b.json().message.id).toBe(a.json().message.id);
    expect(b.headers['idempotent-replayed']).toBe('true');
  });

  it('keeps keys of different sessions apart', async () => {
    await send({ to, text: 'x' }, { idempotencyKey: 'shared-key' });
    const other = await send({ to, text: 'x' }, { idempotencyKey: 'shared-key', key: 'wg_live_alice_b' });
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(worker.sends.map((s) => s.route.sessionId)).toEqual([alice.sessionA.id, alice.sessionB.id]);
  });

  it('frees the key after a failed send, and the retry reuses the same worker request id', async () => {
    worker.failNext = new (await import('@wagate/contracts')).ServiceUnavailableError('worker gone', 'WORKER_UNREACHABLE');
    const failed = await send({ to, text: 'retry me' }, { idempotencyKey: 'order-4' });
    expect(failed.statusCode).toBe(503);
    const retried = await send({ to, text: 'retry me' }, { idempotencyKey: 'order-4' });
    expect(retried.statusCode).toBe(202);
    expect(worker.sends).toHaveLength(2);
    expect(worker.sends[0]!.requestId).toBe(worker.sends[1]!.requestId);
  });

  it('does not store a 409 not-connected answer: the same key sends once the session is up', async () => {
    await handle.db.update(schema.sessions).set({ status: 'CONNECTING' }).where(eq(schema.sessions.id, alice.sessionA.id));
    expect((await send({ to, text: 'later' }, { idempotencyKey: 'order-5' })).statusCode).toBe(409);
    await handle.db.update(schema.sessions).set({ status: 'CONNECTED' }).where(eq(schema.sessions.id, alice.sessionA.id));
    expect((await send({ to, text: 'later' }, { idempotencyKey: 'order-5' })).statusCode).toBe(202);
    expect(worker.sends).toHaveLength(1);
  });

  it('lets a key be used again once it is older than 24 hours', async () => {
    await send({ to, text: 'old' }, { idempotencyKey: 'order-6' });
    await handle.db.update(schema.idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(schema.idempotencyKeys.key, 'order-6'));
    const res = await send({ to, text: 'new body' }, { idempotencyKey: 'order-6' });
    expect(res.statusCode).toBe(202);
    expect(worker.sends).toHaveLength(2);
  });

  it('stores the key with a 24 hour lifetime', async () => {
    await send({ to, text: 'ttl' }, { idempotencyKey: 'order-7' });
    const [row] = await handle.db.select().from(schema.idempotencyKeys).where(eq(schema.idempotencyKeys.key, 'order-7'));
    const hours = (row!.expiresAt.getTime() - row!.createdAt.getTime()) / 3_600_000;
    expect(hours).toBeGreaterThan(23.9);
    expect(hours).toBeLessThan(24.1);
    expect(row!.responseStatus).toBe(202);
  });

  it('refuses an empty Idempotency-Key', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': A, 'idempotency-key': '' }, payload: { to, text: 'x' } });
    expect(res.statusCode).toBe(400);
  });
});

describe('reading messages', () => {
  it("reads one message of the key's session", async () => {
    const sent = (await send({ to, text: 'read me' })).json().message;
    const res = await app.inject({ method: 'GET', url: `/api/v1/messages/${sent.id}`, headers: { 'x-api-key': A } });
    expect(res.statusCode).toBe(200);
    expect(res.json().message).toMatchObject({ id: sent.id, text: 'read me' });
  });

  it("answers 404 when another session's key asks for this session's message", async () => {
    const sent = (await send({ to, text: 'private' })).json().message;
    for (const key of ['wg_live_alice_b', 'wg_live_bob']) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/messages/${sent.id}`, headers: { 'x-api-key': key } });
      expect(res.statusCode).toBe(404);
      const media = await app.inject({ method: 'GET', url: `/api/v1/messages/${sent.id}/media`, headers: { 'x-api-key': key } });
      expect(media.statusCode).toBe(404);
    }
  });

  it('lists the history with the list envelope and validates the query', async () => {
    await send({ to, text: 'listed' });
    const res = await app.inject({ method: 'GET', url: `/api/v1/messages?limit=5&chatId=${encodeURIComponent(to)}`, headers: { 'x-api-key': A } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.length).toBeGreaterThan(0);
    expect(res.json().data.length).toBeLessThanOrEqual(5);
    expect(res.json()).toHaveProperty('nextCursor', null);
    expect((await app.inject({ method: 'GET', url: '/api/v1/messages?limit=101', headers: { 'x-api-key': A } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: '/api/v1/messages?before=yesterday', headers: { 'x-api-key': A } })).statusCode).toBe(400);
  });

  it('returns media bytes with their content type', async () => {
    const sent = (await send({ to, type: 'image', media: { base64: png, mimetype: 'image/png' } })).json().message;
    const res = await app.inject({ method: 'GET', url: `/api/v1/messages/${sent.id}/media`, headers: { 'x-api-key': A } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('answers 409 SESSION_NOT_CONNECTED for reads of a session on no worker', async () => {
    unplaced.add(alice.sessionA.id);
    const res = await app.inject({ method: 'GET', url: '/api/v1/messages', headers: { 'x-api-key': A } });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('SESSION_NOT_CONNECTED');
  });
});

describe('POST /api/v1/contacts/check', () => {
  it('answers which numbers are on WhatsApp', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/contacts/check', headers: { 'x-api-key': A }, payload: { phones: ['+6281234567891', '+6281234567890'] } });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([
      { phone: '+6281234567891', exists: true, jid: '6281234567891@s.whatsapp.net' },
      { phone: '+6281234567890', exists: false },
    ]);
  });

  it('refuses an empty list, a bad number and more than 50 numbers', async () => {
    const post = (phones: unknown) => app.inject({ method: 'POST', url: '/api/v1/contacts/check', headers: { 'x-api-key': A }, payload: { phones } });
    expect((await post([])).statusCode).toBe(400);
    expect((await post(['hello'])).statusCode).toBe(400);
    expect((await post(Array.from({ length: 51 }, (_, i) => `+62812345${String(i).padStart(5, '0')}`))).statusCode).toBe(400);
  });

  it('answers 409 when the session is not connected', async () => {
    await handle.db.update(schema.sessions).set({ status: 'DISCONNECTED' }).where(eq(schema.sessions.id, alice.sessionA.id));
    const res = await app.inject({ method: 'POST', url: '/api/v1/contacts/check', headers: { 'x-api-key': A }, payload: { phones: ['+6281234567891'] } });
    expect(res.statusCode).toBe(409);
  });
});

describe('GET /api/v1/sessions/:id/messages (dashboard)', () => {
  it("lists the owner's session history", async () => {
    await send({ to, text: 'for the dashboard' });
    const res = await app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionA.id}/messages`, headers: { authorization: 'Bearer jwt-alice' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.every((m: Message) => m.sessionId === alice.sessionA.id)).toBe(true);
  });

  it("returns 404 for another user's session", async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionA.id}/messages`, headers: { authorization: 'Bearer jwt-bob' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('NOT_FOUND');
  });

  it('lets an admin read any session', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/sessions/${bob.session.id}/messages`, headers: { authorization: 'Bearer jwt-admin' } });
    expect(res.statusCode).toBe(200);
  });

  it('refuses an API key (dashboard route) with 401', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionA.id}/messages`, headers: { authorization: `Bearer ${A}` } });
    expect(res.statusCode).toBe(401);
  });
});
