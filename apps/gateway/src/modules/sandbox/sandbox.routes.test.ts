import { createSimulator, type Simulator } from '@wagate/wa-sim';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema, type DatabaseHandle } from '../../db/index.js';
import { registerAuthentication, type Authenticator, type UserPrincipal } from '../../http/authenticate.js';
import { registerErrorHandling } from '../../http/error-handler.js';
import { openTestPglite } from '../../test-support/pglite.js';
import { createSandboxPhonesRepository, createSandboxService, createWaSimControlClient, sandboxRoutes } from './index.js';

// A real simulator behind its real control API: the gateway side is tested against what it will talk to.
let sim: Simulator;
let handle: DatabaseHandle;
let app: FastifyInstance;
const users = new Map<string, UserPrincipal>();

const authenticator: Authenticator = {
  user: async (token) => users.get(token) ?? null,
  apiKey: async () => null,
  worker: async () => null,
};

async function insertUser(email: string): Promise<string> {
  const [row] = await handle.db.insert(schema.users).values({ email, passwordHash: 'x' }).returning();
  return row!.id;
}

beforeAll(async () => {
  [sim, handle] = await Promise.all([createSimulator({ rootKeyPair: 'test' }), openTestPglite()]);
  users.set('jwt-alice', { kind: 'user', userId: await insertUser('alice@example.com'), role: 'USER', tier: 'BASIC' });
  users.set('jwt-bob', { kind: 'user', userId: await insertUser('bob@example.com'), role: 'USER', tier: 'BASIC' });
  const service = createSandboxService({ phones: createSandboxPhonesRepository(handle.db), network: createWaSimControlClient({ controlUrl: sim.controlUrl }), phonesPerUser: 50 });
  app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerAuthentication(app);
  await app.register(sandboxRoutes, { service, authenticator });
  await app.ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([sim?.close(), handle?.close()]);
});

function call(method: 'GET' | 'POST', url: string, token: string | undefined, payload?: object) {
  return app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload ? { payload } : {}) });
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('sandbox phones', () => {
  it('creates a phone with the number asked for, on the simulator too', async () => {
    const res = await call('POST', '/api/v1/sandbox/phones', 'jwt-alice', { phoneNumber: '+15550001001', name: 'Alice phone' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ phone: { phoneNumber: '15550001001', name: 'Alice phone' } });
    expect(sim.phones.get('15550001001')?.pushName).toBe('Alice phone');
  });

  it('creates a phone with a number the simulator picks', async () => {
    const res = await call('POST', '/api/v1/sandbox/phones', 'jwt-alice', {});
    expect(res.statusCode).toBe(201);
    const { phoneNumber } = res.json().phone;
    expect(phoneNumber).toMatch(/^\d{7,15}$/);
    expect(sim.phones.get(phoneNumber)).toBeDefined();
  });

  it('answers 409 for a number another user already took, and 400 for a bad one', async () => {
    await call('POST', '/api/v1/sandbox/phones', 'jwt-alice', { phoneNumber: '15550001002' });
    const taken = await call('POST', '/api/v1/sandbox/phones', 'jwt-bob', { phoneNumber: '+15550001002' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().code).toBe('CONFLICT');
    expect((await call('POST', '/api/v1/sandbox/phones', 'jwt-bob', { phoneNumber: '12' })).statusCode).toBe(400);
    expect((await call('POST', '/api/v1/sandbox/phones', 'jwt-bob', { phoneNumber: '15550001003', color: 'red' })).statusCode).toBe(400);
  });

  it('answers 409 for a number that exists on the simulator but is nobody\'s here, and keeps no row', async () => {
    sim.phones.create({ phone: '15550001004' });
    expect((await call('POST', '/api/v1/sandbox/phones', 'jwt-bob', { phoneNumber: '15550001004' })).statusCode).toBe(409);
    const list = await call('GET', '/api/v1/sandbox/phones', 'jwt-bob');
    expect(list.json().data.map((p: { phoneNumber: string }) => p.phoneNumber)).not.toContain('15550001004');
  });

  it('lists only the phones the user created', async () => {
    await call('POST', '/api/v1/sandbox/phones', 'jwt-bob', { phoneNumber: '15550002001', name: 'Bob phone' });
    const alice = (await call('GET', '/api/v1/sandbox/phones', 'jwt-alice')).json().data.map((p: { phoneNumber: string }) => p.phoneNumber);
    const bob = (await call('GET', '/api/v1/sandbox/phones', 'jwt-bob')).json().data.map((p: { phoneNumber: string }) => p.phoneNumber);
    expect(alice).toContain('15550001001');
    expect(alice).not.toContain('15550002001');
    expect(bob).toEqual(['15550002001']);
  });

  it("returns 404 for every action on another user's phone", async () => {
    const other = '15550001001';
    const attempts = [
      call('POST', `/api/v1/sandbox/phones/${other}/scan`, 'jwt-bob', { qr: 'a,b,c,d' }),
      call('POST', `/api/v1/sandbox/phones/${other}/pairing-code`, 'jwt-bob', { code: 'ABCD-EFGH' }),
      call('POST', `/api/v1/sandbox/phones/${other}/messages`, 'jwt-bob', { to: '15550002001', text: 'spoof' }),
      call('GET', `/api/v1/sandbox/phones/${other}/messages`, 'jwt-bob'),
      call('POST', `/api/v1/sandbox/phones/${other}/unlink`, 'jwt-bob', { sessionPhoneNumber: other }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.statusCode).toBe(404);
      expect(res.json().code).toBe('NOT_FOUND');
    }
    expect(sim.phones.get(other)!.sent).toHaveLength(0);
  });

  it('answers 401 without a dashboard token', async () => {
    expect((await call('GET', '/api/v1/sandbox/phones', undefined)).statusCode).toBe(401);
  });
});

describe('sandbox messages', () => {
  it('sends from a virtual phone and shows what the other phone received, with receipts', async () => {
    await call('POST', '/api/v1/sandbox/phones', 'jwt-alice', { phoneNumber: '15550003001', name: 'Sender' });
    await call('POST', '/api/v1/sandbox/phones', 'jwt-alice', { phoneNumber: '15550003002', name: 'Receiver' });
    const sent = await call('POST', '/api/v1/sandbox/phones/15550003001/messages', 'jwt-alice', { to: '+15550003002', text: 'hello from the sandbox' });
    expect(sent.statusCode).toBe(202);
    expect(sent.json().message).toMatchObject({ direction: 'out', from: '15550003001', to: '15550003002', type: 'text', text: 'hello from the sandbox' });

    const received = await until(async () => {
      const res = await call('GET', '/api/v1/sandbox/phones/15550003002/messages', 'jwt-alice');
      const entry = res.json().data.find((m: { id: string }) => m.id === sent.json().message.id);
      return entry?.receipts.some((r: { status: string }) => r.status === 'READ') ? entry : undefined;
    }, 'the receiver to read the message');
    expect(received).toMatchObject({ direction: 'in', from: '15550003001', to: '15550003002', type: 'text', text: 'hello from the sandbox' });
    expect(received.receipts.map((r: { status: string }) => r.status)).toEqual(['DELIVERED', 'READ']);

    const outbox = await until(async () => {
      const res = await call('GET', '/api/v1/sandbox/phones/15550003001/messages', 'jwt-alice');
      const entry = res.json().data.find((m: { id: string }) => m.id === sent.json().message.id);
      return entry?.receipts.length === 2 ? entry : undefined;
    }, "the sender to get the receiver's read receipt");
    expect(outbox.direction).toBe('out');
  });

  it('pages the list with a cursor, newest first', async () => {
    for (const text of ['one', 'two', 'three']) await call('POST', '/api/v1/sandbox/phones/15550003001/messages', 'jwt-alice', { to: '15550003002', text });
    const first = (await call('GET', '/api/v1/sandbox/phones/15550003001/messages?limit=2', 'jwt-alice')).json();
    expect(first.data).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await call('GET', `/api/v1/sandbox/phones/15550003001/messages?limit=2&cursor=${first.nextCursor}`, 'jwt-alice')).json();
    const ids = [...first.data, ...second.data].map((m: { id: string }) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await call('GET', '/api/v1/sandbox/phones/15550003001/messages?cursor=bogus', 'jwt-alice')).statusCode).toBe(400);
  });

  it('answers 422 for a QR no session is showing and for a pairing code nobody waits for', async () => {
    const scan = await call('POST', '/api/v1/sandbox/phones/15550003001/scan', 'jwt-alice', { qr: 'not,a,real,qr' });
    expect(scan.statusCode).toBe(422);
    expect(scan.headers['content-type']).toContain('application/problem+json');
    const code = await call('POST', '/api/v1/sandbox/phones/15550003001/pairing-code', 'jwt-alice', { code: 'ABCD-EFGH' });
    expect(code.statusCode).toBe(422);
  }, 15_000);

  it('answers 404 when unlinking a number that is not linked to the phone', async () => {
    const res = await call('POST', '/api/v1/sandbox/phones/15550003001/unlink', 'jwt-alice', { sessionPhoneNumber: '15550003001' });
    expect(res.statusCode).toBe(404);
  });
});

describe('when the simulator is down', () => {
  it('answers 503, not 500', async () => {
    const service = createSandboxService({
      phones: createSandboxPhonesRepository(handle.db),
      network: createWaSimControlClient({ controlUrl: 'http://127.0.0.1:1/control', timeoutMs: 2_000 }),
      phonesPerUser: 50,
    });
    const down = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
    down.setValidatorCompiler(validatorCompiler);
    down.setSerializerCompiler(serializerCompiler);
    registerErrorHandling(down);
    registerAuthentication(down);
    await down.register(sandboxRoutes, { service, authenticator });
    const res = await down.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: { authorization: 'Bearer jwt-alice' }, payload: {} });
    expect(res.statusCode).toBe(503);
    await down.close();
  });
});

describe('phones per user', () => {
  const CAP = 3;
  let capped: FastifyInstance;

  beforeAll(async () => {
    users.set('jwt-carol', { kind: 'user', userId: await insertUser('carol@example.com'), role: 'USER', tier: 'BASIC' });
    users.set('jwt-dave', { kind: 'user', userId: await insertUser('dave@example.com'), role: 'USER', tier: 'BASIC' });
    const service = createSandboxService({ phones: createSandboxPhonesRepository(handle.db), network: createWaSimControlClient({ controlUrl: sim.controlUrl }), phonesPerUser: CAP });
    capped = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
    capped.setValidatorCompiler(validatorCompiler);
    capped.setSerializerCompiler(serializerCompiler);
    registerErrorHandling(capped);
    registerAuthentication(capped);
    await capped.register(sandboxRoutes, { service, authenticator });
    await capped.ready();
  });
  afterAll(async () => capped?.close());

  const create = (token: string, payload: object) =>
    capped.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: { authorization: `Bearer ${token}` }, payload });
  const held = async (token: string) => (await capped.inject({ method: 'GET', url: '/api/v1/sandbox/phones', headers: { authorization: `Bearer ${token}` } })).json().data.length;

  it('lets parallel creates fill the cap exactly and refuses the rest with 403 QUOTA_EXCEEDED', async () => {
    // Numbers of our choosing and numbers the simulator picks, all at once.
    const payloads = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? { phoneNumber: `1555000700${i}` } : {}));
    const results = await Promise.all(payloads.map((p) => create('jwt-carol', p)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(CAP);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(refused.map((r) => r.statusCode)).toEqual(Array(8 - CAP).fill(403));
    expect(refused[0]!.headers['content-type']).toContain('application/problem+json');
    expect(refused[0]!.json()).toMatchObject({ status: 403, code: 'QUOTA_EXCEEDED' });
    expect(refused[0]!.json().detail).toContain(`at most ${CAP} virtual phones`);
    expect(await held('jwt-carol')).toBe(CAP);
    // A refused number of our choosing never reached the simulator (the row decides first).
    const refusedNumbers = payloads.filter((p, i) => 'phoneNumber' in p && results[i]!.statusCode !== 201).map((p) => (p as { phoneNumber: string }).phoneNumber);
    for (const number of refusedNumbers) expect(sim.phones.get(number)).toBeUndefined();
  });

  it('refuses a user at the cap without minting a number on the simulator, and leaves other users alone', async () => {
    const before = sim.phones.list().length;
    const res = await create('jwt-carol', {});
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('QUOTA_EXCEEDED');
    expect(sim.phones.list().length).toBe(before);
    expect((await create('jwt-dave', {})).statusCode).toBe(201);
  });
});
