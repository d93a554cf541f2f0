// SessionRouting on PostgreSQL (sessions.worker_id, sessions.epoch) with a short-lived cache in the
// Coordinator. Two cache entries per lookup — session → (worker, epoch) and worker → (endpoint,
// status) — so a worker changing status invalidates one key, not one per session it hosts.
import { NotFoundError, ServiceUnavailableError, type WorkerStatus } from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';
import type { Database } from '../../db/index.js';
import { canKeep, pickWorker } from './placement.js';
import type { SessionRoute, SessionRouting } from './session-routing.js';
import type { WorkersRepository } from './workers.repository.js';

export const ROUTE_CACHE_PREFIX = 'routing:session:';
export const WORKER_CACHE_PREFIX = 'routing:worker:';

interface CachedRoute {
  workerId: string | null;
  epoch: number;
}
interface CachedWorker {
  endpoint: string;
  status: WorkerStatus;
}

export interface RoutingCache {
  /** Forget a session's cached route (after any change to its worker or epoch). */
  invalidateSession(sessionId: string): Promise<void>;
  /** Forget a worker's cached endpoint/status (after a status change, re-registration or delete). */
  invalidateWorker(workerId: string): Promise<void>;
}

export interface SessionRoutingService extends SessionRouting, RoutingCache {}

export function createSessionRouting(deps: {
  db: Database;
  repository: WorkersRepository;
  coordinator: Coordinator;
  /** How long a cached answer may lag a change made by a path that does not invalidate (default 5 s). */
  cacheTtlMs?: number;
}): SessionRoutingService {
  const { db, repository, coordinator } = deps;
  const ttl = deps.cacheTtlMs ?? 5000;

  async function routeOf(sessionId: string): Promise<CachedRoute | null> {
    const key = ROUTE_CACHE_PREFIX + sessionId;
    const cached = await coordinator.get(key);
    if (cached !== null) return JSON.parse(cached) as CachedRoute;
    const [row] = await repository.routingOf([sessionId]);
    if (row === undefined) return null;
    const route: CachedRoute = { workerId: row.workerId, epoch: row.epoch };
    await coordinator.set(key, JSON.stringify(route), ttl);
    return route;
  }

  async function workerOf(workerId: string): Promise<CachedWorker | null> {
    const key = WORKER_CACHE_PREFIX + workerId;
    const cached = await coordinator.get(key);
    if (cached !== null) return JSON.parse(cached) as CachedWorker | null;
    const row = await repository.findById(workerId);
    const worker = row === null ? null : { endpoint: row.endpoint, status: row.status };
    await coordinator.set(key, JSON.stringify(worker), ttl);
    return worker;
  }

  const cache: RoutingCache = {
    async invalidateSession(sessionId) {
      await coordinator.delete(ROUTE_CACHE_PREFIX + sessionId);
    },
    async invalidateWorker(workerId) {
      await coordinator.delete(WORKER_CACHE_PREFIX + workerId);
    },
  };

  return {
    ...cache,

    async current(sessionId) {
      const route = await routeOf(sessionId);
      if (route === null || route.workerId === null) return null;
      const worker = await workerOf(route.workerId);
      if (worker === null || worker.status === 'OFFLINE') return null;
      return { sessionId, workerId: route.workerId, endpoint: worker.endpoint, epoch: route.epoch };
    },

    async place(sessionId) {
      const route = await db.transaction(async (tx): Promise<SessionRoute> => {
        const routing = await repository.lockRouting(tx, sessionId);
        if (routing === null) throw new NotFoundError('Session');
        const online = await repository.lockOnline(tx);
        const previous = online.find((w) => w.id === routing.workerId);
        const chosen = previous !== undefined && canKeep(previous) ? previous : pickWorker(online);
        if (chosen === null) throw new ServiceUnavailableError('No worker has room for this session; try again shortly.', 'NO_WORKER_AVAILABLE');
        const epoch = await repository.assign(tx, sessionId, chosen.id);
        if (chosen !== previous) await repository.countPlacement(tx, chosen.id);
        return { sessionId, workerId: chosen.id, endpoint: chosen.endpoint, epoch };
      });
      await cache.invalidateSession(sessionId);
      return route;
    },

    async release(sessionId) {
      await repository.unassign(sessionId);
      await cache.invalidateSession(sessionId);
    },
  };
}
