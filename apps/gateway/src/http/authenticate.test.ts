// Where the require* hooks run: before the body is parsed or validated, wherever a route lists
// them, with the route's other hooks left in their own phase and order.
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { onAuthenticated, registerAuthentication, requireAdmin, requireApiKey, requireUser, requireWorker, type Authenticator } from './authenticate.js';
import { registerErrorHandling } from './error-handler.js';

const authenticator: Authenticator = {
  user: async (token) => (token === 'jwt-user' ? { kind: 'user', userId: 'usr_1', role: 'USER', tier: 'BASIC' } : null),
  apiKey: async (key) => (key === 'wg_live_good' ? { kind: 'apiKey', userId: 'usr_1', tier: 'BASIC', sessionId: 'ses_1', keyId: 'key_1' } : null),
  worker: async (token) => (token === 'worker-token' ? { kind: 'worker', workerId: 'wrk_1' } : null),
};

const body = z.object({ name: z.string().min(1) }).strict();

let app: FastifyInstance;
/** What ran, in order, for the request being served. */
let trace: string[] = [];

beforeAll(async () => {
  app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerAuthentication(app);
  onAuthenticated(app, async (principal) => {
    trace.push(`authenticated:${principal.kind}`);
  });
  const note = (label: string) => async (request: FastifyRequest) => {
    trace.push(`${label}:${request.body === undefined ? 'no body' : 'body'}`);
  };
  const typed = app.withTypeProvider<ZodTypeProvider>();
  typed.post('/user', { preHandler: [note('before'), requireUser(authenticator), note('after')], schema: { body } }, async () => ({ ok: true }));
  typed.post('/key', { preValidation: requireApiKey(authenticator), schema: { body } }, async () => ({ ok: true }));
  typed.post('/admin', { preHandler: requireAdmin(authenticator), schema: { body } }, async () => ({ ok: true }));
  typed.post('/worker', { onRequest: note('own onRequest'), preHandler: requireWorker(authenticator), schema: { body } }, async () => ({ ok: true }));
  typed.get('/user', { preHandler: requireUser(authenticator) }, async () => ({ ok: true }));
  await app.register(async (plugin) => {
    // A plugin-wide hook is not a route option: it is added as onRequest by hand.
    plugin.addHook('onRequest', requireUser(authenticator));
    plugin.withTypeProvider<ZodTypeProvider>().post('/plugin', { schema: { body } }, async () => ({ ok: true }));
  });
  await app.ready();
});
afterAll(async () => app?.close());

function post(url: string, payload: string, headers: Record<string, string> = {}) {
  trace = [];
  return app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
}

describe('require* hooks run before the body is validated', () => {
  const invalid = JSON.stringify({ name: '', extra: true });

  it('answers 401 to an anonymous invalid or unparseable body, wherever the route lists the hook', async () => {
    for (const url of ['/user', '/key', '/admin', '/worker', '/plugin']) {
      for (const payload of [invalid, '{"name": ']) {
        const res = await post(url, payload);
        expect({ url, payload, status: res.statusCode, code: res.json().code }).toEqual({ url, payload, status: 401, code: 'UNAUTHORIZED' });
      }
    }
  });

  it('answers 403 to a USER on an admin route before validating the body', async () => {
    const res = await post('/admin', invalid, { authorization: 'Bearer jwt-user' });
    expect(res.statusCode).toBe(403);
  });

  it('answers 400 to an authenticated caller with an invalid body', async () => {
    expect((await post('/user', invalid, { authorization: 'Bearer jwt-user' })).statusCode).toBe(400);
    expect((await post('/key', invalid, { 'x-api-key': 'wg_live_good' })).statusCode).toBe(400);
    expect((await post('/worker', invalid, { authorization: 'Bearer worker-token' })).statusCode).toBe(400);
    expect((await post('/plugin', invalid, { authorization: 'Bearer jwt-user' })).statusCode).toBe(400);
  });

  it("authenticates once, before the body is read, and leaves the route's other hooks where they were", async () => {
    const res = await post('/user', JSON.stringify({ name: 'x' }), { authorization: 'Bearer jwt-user' });
    expect(res.statusCode).toBe(200);
    expect(trace).toEqual(['authenticated:user', 'before:body', 'after:body']);
    await post('/worker', JSON.stringify({ name: 'x' }), { authorization: 'Bearer worker-token' });
    expect(trace).toEqual(['authenticated:worker', 'own onRequest:no body']);
  });

  it('authenticates a HEAD twin of a GET route too', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/user' });
    expect(res.statusCode).toBe(401);
    trace = [];
    expect((await app.inject({ method: 'GET', url: '/user', headers: { authorization: 'Bearer jwt-user' } })).statusCode).toBe(200);
    expect(trace).toEqual(['authenticated:user']);
  });
});
