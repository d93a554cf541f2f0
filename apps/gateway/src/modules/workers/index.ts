// The workers module: registry, placement, routing, the HTTP client to workers, internal
// register/heartbeat, admin routes and the liveness monitor. Other modules see the two ports.
import type { Coordinator } from '@wagate/storage';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { createLivenessMonitor, type LivenessMonitor } from './liveness.job.js';
import { createSessionRouting, type SessionRoutingService } from './routing.service.js';
import { createHttpWorkerClient, type HttpWorkerClient, type WorkerClientOptions } from './worker-client.js';
import { createWorkerTokenVerifier, type WorkerTokenVerifier } from './worker-tokens.js';
import { createWorkersRepository, type WorkerRow, type WorkersRepository } from './workers.repository.js';
import { createWorkersService, type LeaseTiming, type WorkersService } from './workers.service.js';

export type { SessionRoute, SessionRouting, WorkerClient } from './session-routing.js';
export { pickWorker, type PlacementCandidate } from './placement.js';
export { adminWorkersRoutes, internalWorkersRoutes } from './workers.routes.js';
export { createHttpWorkerClient, type HttpWorkerClient, type WorkerClientOptions } from './worker-client.js';
export { createWorkerTokenVerifier, hashWorkerToken, type WorkerTokenVerifier } from './worker-tokens.js';
export { createWorkersRepository, type WorkerRow, type WorkersRepository } from './workers.repository.js';
export type { LeaseTiming, WorkersService } from './workers.service.js';
export { workerView } from './workers.service.js';
export type { LivenessMonitor } from './liveness.job.js';
export { canKeep } from './placement.js';

/** Tunables, all optional; tests shorten the timings. */
export interface WorkersModuleOptions {
  timing?: Partial<LeaseTiming>;
  client?: Omit<WorkerClientOptions, 'token'>;
  /** Routing cache TTL in the Coordinator (default 5 s). */
  routingCacheTtlMs?: number;
  liveness?: { enabled?: boolean; missedHeartbeats?: number; checkIntervalMs?: number };
  /** Issue 8's migration step, called for each worker the monitor marks OFFLINE. */
  onWorkerOffline?: (worker: WorkerRow) => Promise<void>;
  /** Issue 8's drain step, called when an admin drains a worker. */
  onDraining?: (worker: WorkerRow) => Promise<void>;
}

/** The orchestration hooks, settable after the module exists (the orchestration block comes later in app.ts). */
export interface WorkersHooks {
  onWorkerOffline?: (worker: WorkerRow) => Promise<void>;
  onDraining?: (worker: WorkerRow) => Promise<void>;
  onLeaderPass?: () => Promise<void>;
  /** Every recorded heartbeat (cheap, never throws): worker_metrics sampling. */
  onHeartbeat?: (row: WorkerRow) => void;
  /** A worker beats again after losing its lease without going OFFLINE: restore what it dropped. */
  onLeaseGap?: (row: WorkerRow, gap: { silentSince: Date; reported: string[] }) => void;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { heartbeatIntervalMs: 5000, leaseTtlMs: 15_000 };

/**
 * `Authenticator.worker` for the identity block: the bootstrap WORKER_TOKEN (register only) or a
 * per-worker token, looked up by digest with a short Coordinator cache.
 */
export function createWorkerAuthenticator(deps: { db: Database; coordinator: Coordinator; bootstrapToken: string | undefined }): WorkerTokenVerifier {
  return createWorkerTokenVerifier({ repository: createWorkersRepository(deps.db), coordinator: deps.coordinator, bootstrapToken: deps.bootstrapToken });
}

export interface WorkersModule {
  repository: WorkersRepository;
  tokens: WorkerTokenVerifier;
  routing: SessionRoutingService;
  client: HttpWorkerClient;
  service: WorkersService;
  liveness: LivenessMonitor;
  /** What an admin drain runs: the orchestration hook when set, else the worker is told to drain at once. */
  onDraining: (worker: WorkerRow) => Promise<void>;
  /** The timings in force (heartbeat, lease, OFFLINE window). */
  timing: Required<LeaseTiming>;
  /** Plugs in migration (OFFLINE failover, drain, the leader's sweep). */
  setHooks(hooks: WorkersHooks): void;
  /** Stops the monitor and closes the keep-alive pools. */
  close(): Promise<void>;
}

export function createWorkersModule(
  deps: {
    db: Database;
    coordinator: Coordinator;
    /** The bootstrap WORKER_TOKEN: accepted for registration, and what the gateway presents to workers. */
    workerToken: string | undefined;
    logger: FastifyBaseLogger;
    audit?: { append(input: AppendSystemLogInput): Promise<unknown> };
  },
  options: WorkersModuleOptions = {},
): WorkersModule {
  const timing: LeaseTiming = { ...DEFAULT_LEASE_TIMING, ...options.timing };
  const hooks: WorkersHooks = {
    ...(options.onWorkerOffline === undefined ? {} : { onWorkerOffline: options.onWorkerOffline }),
    ...(options.onDraining === undefined ? {} : { onDraining: options.onDraining }),
  };
  const logger = deps.logger.child({ module: 'workers' });
  const repository = createWorkersRepository(deps.db);
  const tokens = createWorkerTokenVerifier({ repository, coordinator: deps.coordinator, bootstrapToken: deps.workerToken });
  const routing = createSessionRouting({
    db: deps.db,
    repository,
    coordinator: deps.coordinator,
    ...(options.routingCacheTtlMs === undefined ? {} : { cacheTtlMs: options.routingCacheTtlMs }),
  });
  const client = createHttpWorkerClient({ ...options.client, token: deps.workerToken });
  const audit = deps.audit === undefined ? {} : { audit: deps.audit };
  const service = createWorkersService({ db: deps.db, repository, tokens, routing, client, timing, logger, ...audit, onHeartbeat: (row) => hooks.onHeartbeat?.(row),
    onLeaseGap: (row, gap) => hooks.onLeaseGap?.(row, gap),
  });
  const liveness = createLivenessMonitor({
    repository,
    routing,
    client,
    coordinator: deps.coordinator,
    timing,
    logger,
    ...audit,
    ...(options.liveness?.missedHeartbeats === undefined ? {} : { missedHeartbeats: options.liveness.missedHeartbeats }),
    ...(options.liveness?.checkIntervalMs === undefined ? {} : { checkIntervalMs: options.liveness.checkIntervalMs }),
    onWorkerOffline: async (worker) => hooks.onWorkerOffline?.(worker),
    onLeaderPass: async () => hooks.onLeaderPass?.(),
  });
  if (options.liveness?.enabled !== false) liveness.start();
  return {
    repository,
    tokens,
    routing,
    client,
    service,
    liveness,
    timing: { ...timing, offlineAfterMs: liveness.offlineAfterMs },
    setHooks(next) {
      Object.assign(hooks, next);
    },
    async onDraining(worker) {
      if (hooks.onDraining !== undefined) return hooks.onDraining(worker);
      await client.drain(worker.endpoint).catch((error: unknown) => logger.warn({ workerId: worker.id, err: error }, 'Could not tell the worker to drain'));
    },
    async close() {
      await liveness.stop();
      await client.close();
    },
  };
}
