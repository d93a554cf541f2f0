import compress from '@fastify/compress';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { BlobStore, Coordinator } from '@wagate/storage';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { randomBytes, randomUUID } from 'node:crypto';
import type { GatewayConfig } from './config.js';
import type { DatabaseHandle } from './db/index.js';
import { onAuthenticated, registerAuthentication, type Authenticator } from './http/authenticate.js';
import { registerErrorHandling, sendProblem } from './http/error-handler.js';
import { applySecurityHeaders, registerSecurityHeaders } from './http/security-headers.js';
import { loggerOptions } from './logger.js';
import { createHealthService, healthRoutes } from './modules/health/index.js';
import { createSystemLogsRepository, type AppendSystemLogInput } from './modules/system-logs/index.js';
import { apiKeysRoutes, createApiKeysRepository, createApiKeysService } from './modules/api-keys/index.js';
import { authRoutes, createAccessTokens, createAuthenticator, createAuthService, createRefreshTokensRepository } from './modules/auth/index.js';
import { createUserStatusCache, createUsersRepository } from './modules/users/index.js';
import { adminRoutes, createAdminStatsService, createAdminUsersService } from './modules/admin/index.js';
import { createLimits, createLoginGuard, createResilientLimiter, TIER_LIMITS } from './modules/rate-limits/index.js';
import { createUsageMeter, createUsageService, usageRoutes } from './modules/usage/index.js';
import { registerRateLimits } from './http/rate-limit.js';
import { adminWorkersRoutes, createWorkerAuthenticator, createWorkersModule, internalWorkersRoutes, type SessionRouting, type WorkerClient, type WorkersModuleOptions } from './modules/workers/index.js';
import { checkWebhookUrl, createWebhooksModule, webhooksRoutes, type WebhooksModuleOptions } from './modules/webhooks/index.js';
import { createIdempotencyRepository, createMessagesService, messagesRoutes } from './modules/messages/index.js';
import { createSandboxPhonesRepository, createSandboxService, createWaSimControlClient, sandboxRoutes } from './modules/sandbox/index.js';
import { createSessionsRepository, createSessionsService, publishLive, sessionLiveRoutes, sessionsRoutes, sessionView, webhookDisabledEvent } from './modules/sessions/index.js';
import { INGEST_MEMORY_RETENTION_MS, createEventsIngest, createEventsRepository, eventsRoutes } from './modules/events/index.js';
import { dashboardRoutes, defaultDashboardDir } from './modules/dashboard/index.js';
import { createGatewayMetrics, registerMetrics, type GatewayMetricsOptions } from './modules/metrics/index.js';
import { registerRequestContext } from './http/request-context.js';
import { registerGracefulClose } from './http/graceful-close.js';
import { createOrchestration, orchestrationRoutes, type OrchestrationOptions } from './modules/orchestration/index.js';
import { GATEWAY_VERSION } from './version.js';

export interface AppDependencies {
  config: GatewayConfig;
  /** Modules get `database.db` (either driver); the health probe uses `ping()`. */
  database: Pick<DatabaseHandle, 'db' | 'ping'>;
  coordinator: Coordinator;
  blobStore: BlobStore;
  /** Overrides the logger level from config (tests pass 'silent'). */
  logLevel?: string;
  /** A ready pino logger (tests capture lines with it); otherwise one is built from config. */
  logger?: FastifyBaseLogger;
  /** Defaults to the gateway package's version. */
  version?: string;
  /** Webhook dispatcher tunables and a DNS stand-in for the SSRF guard; tests shorten and fake them. */
  webhooks?: WebhooksModuleOptions;
  /** Worker fleet tunables (heartbeat/lease timings, client timeouts, liveness monitor); tests shorten them. */
  workers?: WorkersModuleOptions;
  /** Failover/drain/metrics/discovery tunables (issue 8). */
  orchestration?: OrchestrationOptions;
  /** The wa-sim control API behind the sandbox routes (WA_NETWORK=sandbox); `wagate dev` passes its in-process simulator's. */
  sandbox?: { controlUrl: string };
  /** The dashboard's static export directory; default apps/dashboard/out when built, null serves none. */
  dashboardDir?: string | null;
  /** Metrics tunables: the status-gauge cache, process metrics off (tests building many apps). */
  metrics?: Omit<GatewayMetricsOptions, 'db'>;
}

/**
 * The JWT signing secret. Production requires JWT_SECRET (config enforces it); elsewhere a missing
 * one becomes a per-process random secret, so tokens simply do not survive a restart.
 */
function jwtSecret(config: GatewayConfig, log: FastifyBaseLogger): string {
  if (config.JWT_SECRET) return config.JWT_SECRET;
  log.warn('JWT_SECRET is not set: using a random secret; dashboard logins end when the process restarts');
  return randomBytes(32).toString('base64url');
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

// Fastify's types take no hop count, so it becomes the equivalent "trust the first n hops" function.
function trustProxyOption(value: GatewayConfig['TRUST_PROXY']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof value === 'number' ? (_address, hop) => hop < value : value;
}

/** Builds the gateway's HTTP app without listening; tests drive it with `app.inject()`. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const version = deps.version ?? GATEWAY_VERSION;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: loggerOptions(deps.logLevel ?? deps.config.LOG_LEVEL, deps.config.LOG_FILE) }),
    bodyLimit: deps.config.BODY_LIMIT,
    requestTimeout: deps.config.REQUEST_TIMEOUT_MS,
    // Off unless configured: a forged X-Forwarded-For must not pick the client address.
    trustProxy: trustProxyOption(deps.config.TRUST_PROXY),
    // A caller's request id is kept when it is a sane token, so traces join across services.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Every request's log lines carry `requestId` (the same value as the x-request-id header).
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    routerOptions: { ignoreTrailingSlash: true },
    // Router-level failures (undecodable URL, over-long parameter) skip the hooks and the error
    // handler; without this they would leave as Fastify's own JSON without our headers.
    frameworkErrors: (error, request, reply) => {
      reply.header('x-request-id', request.id);
      applySecurityHeaders(reply);
      sendProblem(request, reply, error);
    },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(compress, { global: true, threshold: 1024 });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'WAGate API',
        version,
        description: 'Multi-tenant WhatsApp gateway. Errors are RFC 9457 application/problem+json with a stable `code`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'Dashboard JWT or session API key' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          workerToken: { type: 'http', scheme: 'bearer', description: 'Worker token, internal routes only: the bootstrap WORKER_TOKEN to register, the per-worker token otherwise' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  if (deps.config.DOCS_ENABLED) {
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  const health = createHealthService({
    probes: {
      database: () => deps.database.ping(),
      coordinator: () => deps.coordinator.ping(),
      blobStore: () => deps.blobStore.ping(),
    },
    version,
  });

  // One explicit line per module.
  await app.register(healthRoutes, { service: health });

  // ── Composition. One block per module, in dependency order; each block owns its lines. ──
  const db = deps.database.db;
  const systemLogs = createSystemLogsRepository(db);
  registerAuthentication(app);
  // [identity] users, JWT, API keys, rate limits, usage, audit, admin users (issue 5)
  // Audit lines are written off the request path; close() waits for the ones still in flight.
  const pendingAudit = new Set<Promise<unknown>>();
  const audit = (entry: AppendSystemLogInput): void => {
    const write = systemLogs.append(entry).catch((error: unknown) => app.log.warn({ err: error }, 'audit line not written'));
    pendingAudit.add(write);
    void write.finally(() => pendingAudit.delete(write));
  };
  app.addHook('onClose', async () => {
    await Promise.allSettled([...pendingAudit]);
  });
  const users = createUsersRepository(db);
  const userStatus = createUserStatusCache({ coordinator: deps.coordinator, users, logger: app.log });
  const apiKeys = createApiKeysService({ repository: createApiKeysRepository(db), coordinator: deps.coordinator, audit, logger: app.log });
  const accessTokens = createAccessTokens({ secret: jwtSecret(deps.config, app.log), ttlSeconds: deps.config.ACCESS_TOKEN_TTL_SECONDS });
  const authenticator: Authenticator = { ...createAuthenticator({ accessTokens, userStatus, apiKeys }), worker: createWorkerAuthenticator({ db, coordinator: deps.coordinator, bootstrapToken: deps.config.WORKER_TOKEN }).verify };
  const refreshTokens = createRefreshTokensRepository(db);
  const limiter = createResilientLimiter({ coordinator: deps.coordinator, logger: app.log });
  const limits = createLimits({ limiter, ipLimit: deps.config.RATE_LIMIT_IP_PER_15_MIN, sessionOperationsPerMinute: 60 });
  const auth = createAuthService({
    db, users, userStatus, refreshTokens, accessTokens, audit,
    loginGuard: createLoginGuard(limits, { perAccount: deps.config.LOGIN_FAILURES_PER_ACCOUNT, perIp: deps.config.LOGIN_FAILURES_PER_IP }),
    passwordCost: deps.config.PASSWORD_HASH_COST,
    refreshTtlMs: deps.config.REFRESH_TOKEN_TTL_DAYS * 86_400_000,
  });
  registerRateLimits(app, limits, { perIp: deps.config.RATE_LIMIT_IP_PER_15_MIN > 0 });
  health.addProbe('rateLimiter', async () => {
    if (limiter.status().degraded) throw new Error('shared limiter unreachable; limits enforced per replica');
  });
  const usage = createUsageMeter({ db, logger: app.log });
  onAuthenticated(app, async (principal) => {
    if (principal.kind === 'user') usage.record({ userId: principal.userId, metric: 'api.calls' });
    else if (principal.kind === 'apiKey') usage.record({ userId: principal.userId, sessionId: principal.sessionId, apiKeyId: principal.keyId, metric: 'api.calls' });
  });
  app.addHook('onClose', async () => {
    await usage.close();
    await limiter.close();
  });
  const usageService = createUsageService({ db });
  await app.register(authRoutes, { service: auth, authenticator });
  await app.register(apiKeysRoutes, { service: apiKeys, authenticator });
  const sessionCaps = { BASIC: deps.config.SESSION_LIMIT_BASIC, PRO: deps.config.SESSION_LIMIT_PRO, MAX: deps.config.SESSION_LIMIT_MAX };
  await app.register(usageRoutes, { service: usageService, authenticator, flush: usage.flush, limitsOf: (tier) => ({ ...TIER_LIMITS[tier], sessions: sessionCaps[tier] }) });
  await app.register(adminRoutes, {
    authenticator,
    systemLogs,
    users: createAdminUsersService({ users, userStatus, refreshTokens, audit }),
    stats: createAdminStatsService({ db, users, usage: usageService, flushUsage: usage.flush }),
  });
  if (deps.config.ADMIN_EMAIL && deps.config.ADMIN_PASSWORD) await auth.ensureAdmin(deps.config.ADMIN_EMAIL, deps.config.ADMIN_PASSWORD);
  // [/identity]
  // [workers] registry, placement, routing, worker client, internal register/heartbeat, admin workers (issue 6/8)
  const workerTiming = {
    heartbeatIntervalMs: deps.config.WORKER_HEARTBEAT_INTERVAL_MS,
    leaseTtlMs: deps.config.WORKER_LEASE_TTL_MS,
    offlineAfterMs: deps.config.WORKER_OFFLINE_AFTER_MS,
  };
  const workers = createWorkersModule(
    { db, coordinator: deps.coordinator, workerToken: deps.config.WORKER_TOKEN, logger: app.log, audit: systemLogs },
    { ...deps.workers, timing: { ...workerTiming, ...deps.workers?.timing }, client: { mediaCapBytes: deps.config.WORKER_MEDIA_CAP_BYTES, ...deps.workers?.client } },
  );
  app.addHook('onClose', () => workers.close());
  const routing: SessionRouting = workers.routing;
  const workerClient: WorkerClient = workers.client;
  await app.register(internalWorkersRoutes, { service: workers.service, authenticator });
  await app.register(adminWorkersRoutes, { service: workers.service, authenticator, onDraining: workers.onDraining });
  // [/workers]
  // [webhooks] endpoints, delivery outbox and dispatcher (issue 7)
  const webhooks = createWebhooksModule(
    {
      db,
      logger: app.log,
      systemLogs,
      encryptionKey: deps.config.ENCRYPTION_KEY,
      allowPrivateNetworks: deps.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      dispatchIntervalMs: deps.config.WEBHOOK_DISPATCH_INTERVAL_MS,
    },
    {
      ...deps.webhooks,
      dispatcher: {
        ...deps.webhooks?.dispatcher,
        // The dashboard's notice (no email): the session's live stream says which endpoint went off and why.
        onEndpointDisabled: (event) => {
          deps.webhooks?.dispatcher?.onEndpointDisabled?.(event);
          void publishLive(deps.coordinator, webhookDisabledEvent(event.sessionId, event.webhookId, event.reason), (error) =>
            app.log.warn({ err: error, sessionId: event.sessionId }, 'Publishing the webhook-disabled notice failed'),
          );
        },
      },
    },
  );
  // The sessions block's events ingest writes deliveries with it, inside its own transaction.
  const webhookOutbox = webhooks.outbox;
  await app.register(webhooksRoutes, { service: webhooks.service, authenticator });
  // Dispatch starts once the app is ready and stops before the database closes (onClose runs first).
  app.addHook('onReady', async () => webhooks.start());
  app.addHook('onClose', () => webhooks.close());
  // [/webhooks]
  // [sessions] sessions, events ingest, live status (issue 6)
  // Audit goes through identity's off-request-path writer; the modules only need `append`.
  const sessionsAudit = { append: async (entry: AppendSystemLogInput) => audit(entry) };
  const sessions = createSessionsService({
    db,
    repository: createSessionsRepository(db),
    config: deps.config,
    coordinator: deps.coordinator,
    apiKeys,
    limits,
    routing,
    workerClient,
    audit: sessionsAudit,
    logger: app.log.child({ module: 'sessions' }),
  });
  await app.register(sessionsRoutes, { service: sessions, authenticator });
  await app.register(sessionLiveRoutes, { service: sessions, authenticator, coordinator: deps.coordinator });
  const eventsIngest = createEventsIngest({
    db,
    repository: createEventsRepository(),
    coordinator: deps.coordinator,
    logger: app.log.child({ module: 'events' }),
    webhookOutbox,
    usage,
    audit: sessionsAudit,
  });
  await app.register(eventsRoutes, { ingest: eventsIngest, authenticator });
  // [/sessions]
  // [messages] external messaging API, contacts, sandbox (issue 6)
  const messages = createMessagesService({
    sessions: createSessionsRepository(db),
    sessionView,
    routing,
    worker: workerClient,
    limits,
    usage,
    idempotency: createIdempotencyRepository(db),
    // The webhook SSRF rules also cover media URLs, which a worker fetches from inside the network.
    checkMediaUrl: (url) =>
      checkWebhookUrl(url, { allowPrivateNetworks: deps.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS, ...(deps.webhooks?.lookup ? { lookup: deps.webhooks.lookup } : {}) }),
  });
  await app.register(messagesRoutes, { service: messages, authenticator });
  // Expired idempotency keys are dead weight once past 24 h, and so are the ingest's processed
  // event ids and past placements after a week; every replica sweeping is harmless (DELETEs).
  const sweptIdempotency = createIdempotencyRepository(db);
  const sweptEvents = createEventsRepository();
  const retentionSweep = setInterval(() => {
    sweptIdempotency.deleteExpired().catch((err: unknown) => app.log.warn({ err }, 'idempotency key sweep failed'));
    sweptEvents.prune(db, new Date(Date.now() - INGEST_MEMORY_RETENTION_MS)).catch((err: unknown) => app.log.warn({ err }, 'ingest memory sweep failed'));
  }, 60 * 60 * 1000);
  retentionSweep.unref();
  app.addHook('onClose', async () => clearInterval(retentionSweep));
  const sandboxControlUrl = deps.sandbox?.controlUrl ?? deps.config.SANDBOX_CONTROL_URL;
  if (deps.config.WA_NETWORK === 'sandbox') {
    if (sandboxControlUrl) {
      const sandbox = createSandboxService({
        phones: createSandboxPhonesRepository(db),
        network: createWaSimControlClient({ controlUrl: sandboxControlUrl }),
        phonesPerUser: deps.config.SANDBOX_PHONES_PER_USER,
      });
      await app.register(sandboxRoutes, { service: sandbox, authenticator });
    } else {
      app.log.warn('WA_NETWORK=sandbox but SANDBOX_CONTROL_URL is not set: the /api/v1/sandbox routes are off');
    }
  }
  // [/messages]
  // [orchestration] migration of sessions off OFFLINE/draining workers, worker metrics, Kubernetes discovery (issue 8)
  const k8s = deps.config.K8S_DISCOVERY
    ? { namespace: deps.config.K8S_NAMESPACE, labelSelector: deps.config.K8S_WORKER_SELECTOR, port: deps.config.K8S_WORKER_PORT, maxSessions: deps.config.K8S_WORKER_MAX_SESSIONS }
    : undefined;
  const orchestration = createOrchestration(
    { db, coordinator: deps.coordinator, workers, logger: app.log, audit: systemLogs },
    { failoverConcurrency: deps.config.WORKER_FAILOVER_CONCURRENCY, rebalancePerPass: deps.config.WORKER_REBALANCE_PER_PASS, ...(k8s === undefined ? {} : { k8s }), ...deps.orchestration },
  );
  app.addHook('onClose', () => orchestration.close());
  await app.register(orchestrationRoutes, { authenticator, repository: workers.repository, metrics: orchestration.metrics });
  // [/orchestration]
  // [metrics] GET /metrics, Prometheus (issue 10)
  const metrics = createGatewayMetrics({ db, ...deps.metrics });
  usage.observe((event) => metrics.observeUsage(event));
  eventsIngest.observe?.((event, ingestedAt) => metrics.observeEvent(event, ingestedAt));
  webhooks.observeAttempts((attempt) => metrics.observeWebhookAttempt(attempt));
  registerMetrics(app, metrics);
  // Calls to workers made while serving a request carry its id (x-request-id), so logs join.
  registerRequestContext(app);
  // SIGTERM: responses finished while closing end their connection, so close() never waits on idle keep-alives.
  registerGracefulClose(app);
  // [/metrics]
  // [dashboard] the static console at / (issue 9)
  const dashboardDir = deps.dashboardDir === undefined ? defaultDashboardDir() : deps.dashboardDir;
  if (dashboardDir) {
    await app.register(dashboardRoutes, { root: dashboardDir });
  } else {
    // No export yet (a fresh clone before `npm run build`): the root points at the API documentation.
    app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect(deps.config.DOCS_ENABLED ? '/docs' : '/health'));
  }
  // [/dashboard]

  return app;
}
