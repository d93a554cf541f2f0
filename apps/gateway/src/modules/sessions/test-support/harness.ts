// Module tests of sessions and events: the real routes, services and SQL (PGlite), with the
// identity and worker-fleet ports replaced by small fakes backed by the same database.
import { ServiceUnavailableError, type AppError, type ApiKeyCreated, type SessionCommandResponse, type UserRole, type UserTier, type WorkerSessionView } from '@wagate/contracts';
import { MemoryCoordinator, type Coordinator } from '@wagate/storage';
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createHash, randomBytes } from 'node:crypto';
import { parseGatewayConfig } from '../../../config.js';
import { schema, type Database, type DatabaseHandle, type Executor } from '../../../db/index.js';
import { registerAuthentication, type Authenticator } from '../../../http/authenticate.js';
import { registerErrorHandling } from '../../../http/error-handler.js';
import { createSystemLogsRepository } from '../../system-logs/index.js';
import type { SessionRoute, SessionRouting, WorkerClient } from '../../workers/index.js';
import { openTestPglite } from '../../../test-support/pglite.js';
import { createEventsIngest, createEventsRepository, eventsRoutes, type WebhookOutbox } from '../../events/index.js';
import { createSessionsRepository, createSessionsService, sessionLiveRoutes, sessionsRoutes, type SessionsService } from '../index.js';

const { users, sessions, workers, apiKeys } = schema;

export interface WorkerCall {
  method: string;
  route: SessionRoute;
  options?: unknown;
}

/** A worker fleet of rows in `workers` and a client that records what it was told. */
export class FakeFleet implements SessionRouting {
  readonly calls: WorkerCall[] = [];
  readonly views = new Map<string, Partial<WorkerSessionView>>();
  /** Method name → error the next call of it throws. */
  readonly failures = new Map<string, AppError>();
  startAnswer: SessionCommandResponse['status'] = 'CONNECTING';

  constructor(private readonly db: Database) {}

  async current(sessionId: string): Promise<SessionRoute | null> {
    const [row] = await this.db
      .select({ workerId: sessions.workerId, epoch: sessions.epoch, endpoint: workers.endpoint })
      .from(sessions)
      .innerJoin(workers, eq(workers.id, sessions.workerId))
      .where(and(eq(sessions.id, sessionId), inArray(workers.status, ['ONLINE', 'DRAINING'])));
    return row ? { sessionId, workerId: row.workerId!, endpoint: row.endpoint, epoch: row.epoch } : null;
  }

  async place(sessionId: string): Promise<SessionRoute> {
    const [worker] = await this.db.select().from(workers).where(eq(workers.status, 'ONLINE')).limit(1);
    if (!worker) throw new ServiceUnavailableError('No worker can take this session now.', 'NO_WORKER_AVAILABLE');
    const [row] = await this.db
      .update(sessions)
      .set({ workerId: worker.id, epoch: sql`${sessions.epoch} + 1` })
      .where(eq(sessions.id, sessionId))
      .returning({ epoch: sessions.epoch });
    return { sessionId, workerId: worker.id, endpoint: worker.endpoint, epoch: row!.epoch };
  }

  async release(sessionId: string): Promise<void> {
    await this.db.update(sessions).set({ workerId: null }).where(eq(sessions.id, sessionId));
  }

  private record(method: string, route: SessionRoute, options?: unknown): void {
    this.calls.push({ method, route, ...(options === undefined ? {} : { options }) });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  callsOf(method: string): WorkerCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  readonly client: WorkerClient = {
    start: async (route, options) => {
      this.record('start', route, options);
      return { sessionId: route.sessionId, epoch: route.epoch, status: this.startAnswer };
    },
    restore: async (route) => {
      this.record('restore', route);
      return { sessionId: route.sessionId, epoch: route.epoch, status: 'CONNECTING' };
    },
    stop: async (route) => {
      this.record('stop', route);
      return { sessionId: route.sessionId, epoch: route.epoch, status: 'DISCONNECTED' };
    },
    logout: async (route) => {
      this.record('logout', route);
      return { sessionId: route.sessionId, epoch: route.epoch, status: 'LOGGED_OUT' };
    },
    delete: async (route) => {
      this.record('delete', route);
    },
    session: async (route) => {
      this.record('session', route);
      const view = this.views.get(route.sessionId) ?? {};
      return { sessionId: route.sessionId, epoch: route.epoch, status: 'CONNECTING', reason: null, qr: null, pairingCode: null, attempts: 0, ...view };
    },
    send: async () => {
      throw new Error('not used by these tests');
    },
    message: async () => {
      throw new Error('not used by these tests');
    },
    history: async () => {
      throw new Error('not used by these tests');
    },
    media: async () => {
      throw new Error('not used by these tests');
    },
    contactsCheck: async () => {
      throw new Error('not used by these tests');
    },
  };
}

/** API keys as identity stores them (hashed), written in the caller's transaction. */
function fakeApiKeys(db: Database) {
  return {
    async createForSession(input: { userId: string; sessionId: string; name: string }, tx: Executor = db): Promise<ApiKeyCreated> {
      const key = `wg_live_${randomBytes(24).toString('base64url')}`;
      const [row] = await tx
        .insert(apiKeys)
        .values({ userId: input.userId, sessionId: input.sessionId, name: input.name, prefix: key.slice(0, 12), keyHash: createHash('sha256').update(key).digest('hex') })
        .returning();
      return { id: row!.id, name: row!.name, prefix: row!.prefix, key, createdAt: row!.createdAt.toISOString(), expiresAt: null, lastUsedAt: null };
    },
    async revokeAllForSession(sessionId: string, tx: Executor = db): Promise<void> {
      await tx.update(apiKeys).set({ revokedAt: new Date() }).where(and(eq(apiKeys.sessionId, sessionId), isNull(apiKeys.revokedAt)));
    },
  };
}

export interface HarnessOptions {
  database?: DatabaseHandle;
  coordinator?: Coordinator;
  webhookOutbox?: WebhookOutbox;
  heartbeatMs?: number;
  env?: Record<string, string>;
}

export interface Harness {
  app: FastifyInstance;
  db: Database;
  coordinator: Coordinator;
  fleet: FakeFleet;
  service: SessionsService;
  operations: string[];
  usage: { userId: string; sessionId?: string; metric: string }[];
  /** When set, consumeSessionOperation throws it. */
  limitError: { current: AppError | null };
  addUser(options?: { role?: UserRole; tier?: UserTier }): Promise<{ userId: string; token: string; auth: { authorization: string } }>;
  addWorker(status?: 'ONLINE' | 'OFFLINE'): Promise<{ workerId: string; auth: { authorization: string } }>;
  close(): Promise<void>;
}

export async function sessionsHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = options.database ?? (await openTestPglite());
  const db = database.db;
  const coordinator = options.coordinator ?? new MemoryCoordinator();
  const config = parseGatewayConfig({ LOG_LEVEL: 'silent', ...options.env });
  const fleet = new FakeFleet(db);
  const operations: string[] = [];
  const usage: Harness['usage'] = [];
  const limitError: Harness['limitError'] = { current: null };

  const authenticator: Authenticator = {
    async user(token) {
      const id = /^u:(.+)$/.exec(token)?.[1];
      if (!id) return null;
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row ? { kind: 'user', userId: row.id, role: row.role, tier: row.tier } : null;
    },
    async apiKey() {
      return null;
    },
    async worker(token) {
      const id = /^w:(.+)$/.exec(token)?.[1];
      return id ? { kind: 'worker', workerId: id } : null;
    },
  };

  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerAuthentication(app);

  const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const service = createSessionsService({
    db,
    repository: createSessionsRepository(db),
    config,
    coordinator,
    apiKeys: fakeApiKeys(db),
    limits: {
      async consumeSessionOperation(userId) {
        if (limitError.current) throw limitError.current;
        operations.push(userId);
      },
    },
    routing: fleet,
    workerClient: fleet.client,
    audit: createSystemLogsRepository(db),
    logger: silent,
  });
  const ingest = createEventsIngest({
    db,
    repository: createEventsRepository(),
    coordinator,
    logger: silent,
    usage: { record: (input) => void usage.push(input) },
    audit: createSystemLogsRepository(db),
    ...(options.webhookOutbox ? { webhookOutbox: options.webhookOutbox } : {}),
  });
  await app.register(sessionsRoutes, { service, authenticator });
  await app.register(sessionLiveRoutes, { service, authenticator, coordinator, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) });
  await app.register(eventsRoutes, { ingest, authenticator });
  await app.ready();

  let n = 0;
  return {
    app,
    db,
    coordinator,
    fleet,
    service,
    operations,
    usage,
    limitError,
    async addUser(opts = {}) {
      const [row] = await db
        .insert(users)
        .values({ email: `user${++n}-${randomBytes(3).toString('hex')}@example.com`, passwordHash: 'x', role: opts.role ?? 'USER', tier: opts.tier ?? 'BASIC' })
        .returning();
      const token = `u:${row!.id}`;
      return { userId: row!.id, token, auth: { authorization: `Bearer ${token}` } };
    },
    async addWorker(status = 'ONLINE') {
      const [row] = await db.insert(workers).values({ endpoint: `http://worker-${++n}-${randomBytes(3).toString('hex')}.test:4000`, status, maxSessions: 10 }).returning();
      return { workerId: row!.id, auth: { authorization: `Bearer w:${row!.id}` } };
    },
    async close() {
      await app.close();
      if (!options.coordinator) await coordinator.close();
      if (!options.database) await database.close();
    },
  };
}
