// The liveness monitor: one leader at a time (a Coordinator lease) marks silent workers OFFLINE.
// Self-registered workers become OFFLINE when their heartbeats stopped for the OFFLINE window (past
// their lease, which is the fence) AND a direct health check fails; hand-registered ones, which
// never beat, by health checks alone.
//
// Fencing timings (defaults; WORKER_HEARTBEAT_INTERVAL_MS, WORKER_LEASE_TTL_MS, WORKER_OFFLINE_AFTER_MS):
//   H = heartbeat interval 5 s, L = worker lease 15 s, W = OFFLINE window 20 s (never below L + H).
//   A worker's lease runs L from the START of its last successful beat; it stops every session at
//   L - H (10 s) after that start, even while a beat hangs. The gateway stamps the beat when it
//   ARRIVES (later than its start) and marks OFFLINE only after W (20 s) of silence AND a failed
//   health check, then the leader's pass (every H) moves the sessions. So the sessions are stopped
//   at least W - (L - H) = 10 s before any other worker may be given them; a worker that still
//   answers health checks gets another W before OFFLINE. The e2e partition test checks the order
//   on wa-sim's socket record (tests/e2e/failover.test.ts).
import type { Coordinator } from '@wagate/storage';
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import type { RoutingCache } from './routing.service.js';
import type { HttpWorkerClient } from './worker-client.js';
import type { LeaseTiming } from './workers.service.js';
import type { WorkerRow, WorkersRepository } from './workers.repository.js';

export const LIVENESS_LEASE_KEY = 'workers:liveness-leader';

export interface LivenessMonitorDeps {
  repository: WorkersRepository;
  routing: RoutingCache;
  client: Pick<HttpWorkerClient, 'health'>;
  coordinator: Coordinator;
  timing: LeaseTiming;
  logger: FastifyBaseLogger;
  /** A worker is OFFLINE after this many heartbeat intervals of silence (never before its lease ran out). */
  missedHeartbeats?: number;
  /** How often the leader looks (default: the heartbeat interval). */
  checkIntervalMs?: number;
  /**
   * Called once per worker that went OFFLINE, after the registry says so. Session migration
   * (issue 8: new placement, epoch bump, restore on the target) plugs in here.
   */
  onWorkerOffline?: (worker: WorkerRow) => Promise<void>;
  /** Runs at the end of every pass this replica leads (migration's resumable sweep). */
  onLeaderPass?: () => Promise<void>;
  /** Silence past the lease with a passing health check defers OFFLINE at most this long (default: the OFFLINE window). */
  reachableGraceMs?: number;
  audit?: { append(input: AppendSystemLogInput): Promise<unknown> };
  now?: () => Date;
}

export interface LivenessMonitor {
  /** One pass; answers whether this replica led it and which workers it marked OFFLINE. */
  runOnce(): Promise<{ leader: boolean; offline: string[] }>;
  start(): void;
  stop(): Promise<void>;
  /** When silence becomes OFFLINE, in milliseconds. */
  readonly offlineAfterMs: number;
}

export function createLivenessMonitor(deps: LivenessMonitorDeps): LivenessMonitor {
  const { repository, routing, client, coordinator, timing, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const checkIntervalMs = deps.checkIntervalMs ?? timing.heartbeatIntervalMs;
  // Never before the worker's own lease has expired: until then it may still hold live sockets.
  const offlineAfterMs = Math.max(
    (deps.missedHeartbeats ?? 3) * timing.heartbeatIntervalMs,
    timing.leaseTtlMs + timing.heartbeatIntervalMs,
    timing.offlineAfterMs ?? 0,
  );
  const reachableGraceMs = deps.reachableGraceMs ?? offlineAfterMs;
  const healthTimeoutMs = Math.min(2000, checkIntervalMs);
  const instance = randomUUID();
  const leaseTtlMs = checkIntervalMs * 3;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;

  async function lead(): Promise<boolean> {
    return (await coordinator.compareAndExpire(LIVENESS_LEASE_KEY, instance, leaseTtlMs)) || coordinator.setIfAbsent(LIVENESS_LEASE_KEY, instance, leaseTtlMs);
  }

  async function wentOffline(worker: WorkerRow, why: string): Promise<void> {
    await routing.invalidateWorker(worker.id);
    logger.warn({ workerId: worker.id, endpoint: worker.endpoint, lastHeartbeat: worker.lastHeartbeat }, `Worker marked OFFLINE: ${why}`);
    void deps.audit
      ?.append({ level: 'warn', category: 'worker', message: `Worker marked OFFLINE: ${why}`, workerId: worker.id })
      .catch((error: unknown) => logger.warn({ err: error }, 'Could not write the audit line'));
    await deps.onWorkerOffline?.(worker).catch((error: unknown) => logger.error({ err: error, workerId: worker.id }, 'Handling an OFFLINE worker failed'));
  }

  async function checkManual(worker: WorkerRow, at: Date): Promise<boolean> {
    try {
      const health = await client.health(worker.endpoint, Math.min(5000, checkIntervalMs));
      await repository.heartbeat(worker.id, { sessionCount: health.sessionCount, maxSessions: worker.maxSessions, cpuUsage: health.cpuUsage, memoryUsage: health.memoryUsage }, at);
      if (worker.status === 'OFFLINE') await routing.invalidateWorker(worker.id);
      return false;
    } catch {
      const silentSince = worker.lastHeartbeat ?? worker.createdAt;
      if (worker.status === 'OFFLINE' || at.getTime() - silentSince.getTime() < offlineAfterMs) return false;
      const row = await repository.setStatus(worker.id, 'OFFLINE');
      if (row !== null) await wentOffline(row, 'failed health checks');
      return row !== null;
    }
  }

  async function runOnce(): Promise<{ leader: boolean; offline: string[] }> {
    if (!(await lead())) return { leader: false, offline: [] };
    const at = now();
    const offline: string[] = [];
    const before = new Date(at.getTime() - offlineAfterMs);
    const silent = await repository.silentSelfWorkers(before);
    const judged = await Promise.all(
      silent.map(async (worker) => {
        const reachable = await client.health(worker.endpoint, healthTimeoutMs).then(
          () => true,
          () => false,
        );
        // Answers but cannot beat (a one-way partition): its lease already stopped its sessions, so
        // moving them is safe; give the network a grace period first.
        const silentFor = at.getTime() - (worker.lastHeartbeat ?? worker.createdAt).getTime();
        if (reachable && silentFor < offlineAfterMs + reachableGraceMs) return null;
        const row = await repository.markOfflineIfSilent(worker.id, before);
        return row === null ? null : { row, why: reachable ? 'missed heartbeats (health check answers, lease expired)' : 'missed heartbeats and a failed health check' };
      }),
    );
    for (const item of judged) {
      if (item === null) continue;
      offline.push(item.row.id);
      await wentOffline(item.row, item.why);
    }
    const due = await repository.manualDueForCheck(new Date(at.getTime() - timing.heartbeatIntervalMs));
    const results = await Promise.all(due.map(async (worker) => ((await checkManual(worker, at)) ? worker.id : null)));
    for (const id of results) if (id !== null) offline.push(id);
    await deps.onLeaderPass?.().catch((error: unknown) => logger.error({ err: error }, 'Leader pass hook failed'));
    return { leader: true, offline };
  }

  return {
    offlineAfterMs,
    runOnce,
    start() {
      if (timer !== null) return;
      timer = setInterval(() => {
        if (running !== null) return;
        running = runOnce()
          .catch((error: unknown) => logger.error({ err: error }, 'Liveness pass failed'))
          .finally(() => (running = null));
      }, checkIntervalMs);
      timer.unref();
    },
    async stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      await running;
      await coordinator.compareAndDelete(LIVENESS_LEASE_KEY, instance).catch(() => undefined);
    },
  };
}
