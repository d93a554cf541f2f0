// A gateway slice for this module's tests: the real workers module on PGlite and a memory
// Coordinator, behind the real auth hooks. Users are stand-ins (fixed bearer strings), because
// JWT issuance belongs to the identity module; worker tokens go through the real verifier.
import { createCoordinator, type Coordinator } from '@wagate/storage';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { schema, type DatabaseHandle } from '../../../db/index.js';
import { registerAuthentication, type Authenticator } from '../../../http/authenticate.js';
import { registerErrorHandling } from '../../../http/error-handler.js';
import { openTestPglite } from '../../../test-support/pglite.js';
import { adminWorkersRoutes, createWorkersModule, internalWorkersRoutes, type WorkersModule, type WorkersModuleOptions } from '../index.js';

export const BOOTSTRAP_TOKEN = 'bootstrap-worker-token-0123456789';
export const ADMIN_JWT = 'test-admin-jwt';
export const USER_JWT = 'test-user-jwt';
export const API_KEY = 'wg_live_test_key';

export interface WorkersTestApp {
  app: FastifyInstance;
  database: DatabaseHandle;
  coordinator: Coordinator;
  workers: WorkersModule;
  adminId: string;
  userId: string;
  /** A session row owned by the plain user (status DISCONNECTED, unplaced). */
  createSession(): Promise<string>;
  close(): Promise<void>;
}

export async function workersTestApp(options: WorkersModuleOptions & { coordinator?: Coordinator } = {}): Promise<WorkersTestApp> {
  const database = await openTestPglite();
  const coordinator = options.coordinator ?? createCoordinator();
  const db = database.db;
  const [admin] = await db.insert(schema.users).values({ email: 'admin@example.com', passwordHash: 'x', role: 'ADMIN' }).returning();
  const [user] = await db.insert(schema.users).values({ email: 'user@example.com', passwordHash: 'x' }).returning();
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerAuthentication(app);
  const workers = createWorkersModule({ db, coordinator, workerToken: BOOTSTRAP_TOKEN, logger: app.log }, { liveness: { enabled: false }, ...options });
  const authenticator: Authenticator = {
    user: async (token) =>
      token === ADMIN_JWT
        ? { kind: 'user', userId: admin!.id, role: 'ADMIN', tier: 'MAX' }
        : token === USER_JWT
          ? { kind: 'user', userId: user!.id, role: 'USER', tier: 'BASIC' }
          : null,
    apiKey: async (key) => (key === API_KEY ? { kind: 'apiKey', userId: user!.id, tier: 'BASIC', sessionId: 'ses_x', keyId: 'key_x' } : null),
    worker: (token) => workers.tokens.verify(token),
  };
  await app.register(internalWorkersRoutes, { service: workers.service, authenticator });
  await app.register(adminWorkersRoutes, { service: workers.service, authenticator, ...(workers.onDraining ? { onDraining: workers.onDraining } : {}) });
  // A user route, to prove a worker token opens nothing but internal routes.
  const { requireUser } = await import('../../../http/authenticate.js');
  app.get('/api/v1/test/me', { preHandler: requireUser(authenticator) }, async () => ({ ok: true }));
  await app.ready();
  return {
    app,
    database,
    coordinator,
    workers,
    adminId: admin!.id,
    userId: user!.id,
    async createSession() {
      const [row] = await db.insert(schema.sessions).values({ userId: user!.id, name: 'test' }).returning();
      return row!.id;
    },
    async close() {
      await app.close();
      await workers.close();
      await database.close();
      if (options.coordinator === undefined) await coordinator.close();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
