// Registry use cases: self-registration and heartbeats from workers, hand registration, drain and
// removal by admins. Every status change invalidates the routing cache entry of that worker.
import {
  AppError,
  ConflictError,
  NotFoundError,
  UnauthorizedError,
  type SessionAssignment,
  type Worker,
  type WorkerHeartbeatBody,
  type WorkerHeartbeatResponse,
  type WorkerRegisterBody,
  type WorkerRegisterResponse,
} from '@wagate/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import type { RoutingCache } from './routing.service.js';
import type { HttpWorkerClient } from './worker-client.js';
import { issueWorkerToken, type WorkerTokenVerifier } from './worker-tokens.js';
import type { WorkerRow, WorkersRepository } from './workers.repository.js';

export interface LeaseTiming {
  /** How often workers beat (handed out at registration). */
  heartbeatIntervalMs: number;
  /** A worker stops its sessions when it could not renew for this long. */
  leaseTtlMs: number;
  /**
   * Silence after which the gateway marks a worker OFFLINE and moves its sessions; never below
   * leaseTtlMs + heartbeatIntervalMs (the monitor enforces it), so the worker has stopped first.
   */
  offlineAfterMs?: number;
}

export interface WorkersServiceDeps {
  db: Database;
  repository: WorkersRepository;
  tokens: WorkerTokenVerifier;
  routing: RoutingCache;
  client: HttpWorkerClient;
  timing: LeaseTiming;
  logger: FastifyBaseLogger;
  /** The audit log (system_logs); optional so unit tests need not wire it. */
  audit?: { append(input: AppendSystemLogInput): Promise<unknown> };
  /** Sees every recorded heartbeat (worker_metrics sampling); must be cheap and never throw. */
  onHeartbeat?: (row: WorkerRow) => void;
  /**
   * A heartbeat came after a silence long enough for the worker to have declared its lease lost
   * (it then stopped every session) while the gateway never marked it OFFLINE: the sessions still
   * routed here need restoring. Called off the request path; `reported` is what the worker holds now.
   */
  onLeaseGap?: (row: WorkerRow, gap: { silentSince: Date; reported: string[] }) => void;
}

export function workerView(row: WorkerRow): Worker {
  return {
    id: row.id,
    endpoint: row.endpoint,
    status: row.status,
    sessionCount: row.sessionCount,
    maxSessions: row.maxSessions,
    cpuUsage: row.cpuUsage,
    memoryUsage: row.memoryUsage,
    lastHeartbeat: row.lastHeartbeat?.toISOString() ?? null,
  };
}

function sameEndpoint(endpoint: string): string {
  // Registered once as http://h:1/ and once as http://h:1 is still one worker.
  return endpoint.replace(/\/+$/, '');
}

export function createWorkersService(deps: WorkersServiceDeps) {
  const { db, repository, tokens, routing, client, timing, logger } = deps;

  function audit(input: AppendSystemLogInput): void {
    // Auditing must never fail the operation it records.
    void deps.audit?.append(input).catch((error: unknown) => logger.warn({ err: error }, 'Could not write the audit line'));
  }

  return {
    /**
     * A worker announces itself (bootstrap token, or its own token when re-registering). The row is
     * found by the worker's stable id, else by endpoint; a fresh per-worker token replaces the old one.
     */
    async register(body: WorkerRegisterBody, callerWorkerId: string | null): Promise<WorkerRegisterResponse> {
      const endpoint = sameEndpoint(body.endpoint);
      const { token, tokenHash } = issueWorkerToken();
      const { row, previousHash, replaced } = await db.transaction(async (tx) => {
        const byId = body.workerId === undefined ? null : await repository.findById(body.workerId, tx);
        const byEndpoint = await repository.findByEndpoint(endpoint, tx);
        const existing = byId ?? byEndpoint;
        // A per-worker token may only renew its own registration.
        if (callerWorkerId !== null && existing?.id !== callerWorkerId) throw new UnauthorizedError('A valid worker token is required.');
        let replacedRow: WorkerRow | null = null;
        if (byId !== null && byEndpoint !== null && byEndpoint.id !== byId.id) {
          // The address now answers as another worker: the old registration is gone for good.
          replacedRow = await repository.delete(byEndpoint.id, tx);
        }
        const change = {
          endpoint,
          maxSessions: body.maxSessions,
          // An admin's drain outlives a restart: the registry keeps not placing there.
          status: existing?.status === 'DRAINING' ? ('DRAINING' as const) : ('ONLINE' as const),
          // A discovered pod that registers itself stays known as discovered (its pod may vanish).
          source: existing?.source === 'k8s' ? ('k8s' as const) : ('self' as const),
          tokenHash,
          lastHeartbeat: new Date(),
        };
        if (existing !== null) {
          const updated = await repository.update(tx, existing.id, change);
          return { row: updated!, previousHash: existing.tokenHash, replaced: replacedRow };
        }
        const inserted = await repository.insert(tx, { ...(body.workerId === undefined ? {} : { id: body.workerId }), ...change });
        return { row: inserted, previousHash: null, replaced: replacedRow };
      });
      await tokens.forget(previousHash);
      await routing.invalidateWorker(row.id);
      if (replaced !== null) {
        await tokens.forget(replaced.tokenHash);
        await routing.invalidateWorker(replaced.id);
      }
      logger.info({ workerId: row.id, endpoint, version: body.version }, 'Worker registered');
      audit({ level: 'info', category: 'worker', message: 'Worker registered', workerId: row.id, metadata: { endpoint, version: body.version, maxSessions: body.maxSessions } });
      return { workerId: row.id, token, heartbeatIntervalMs: timing.heartbeatIntervalMs, leaseTtlMs: timing.leaseTtlMs };
    },

    /**
     * Renews the lease and records load. Sessions the worker reports that the routing table gives
     * to another worker or a newer epoch come back in `dropSessions`, with an epoch above the one
     * the worker holds so it drops them (the worker ignores drops at or below its own epoch).
     */
    async heartbeat(workerId: string, body: WorkerHeartbeatBody): Promise<WorkerHeartbeatResponse> {
      const before = await repository.findById(workerId);
      const row = await repository.heartbeat(
        workerId,
        { sessionCount: body.sessionCount, maxSessions: body.maxSessions, cpuUsage: body.cpuUsage, memoryUsage: body.memoryUsage },
        new Date(),
      );
      if (row === null) throw new UnauthorizedError('A valid worker token is required.');
      deps.onHeartbeat?.(row);
      // The worker gives up its lease one interval before it runs out unrenewed.
      const lastBeat = before?.lastHeartbeat;
      // Also after OFFLINE: what the failover has not moved yet is still routed here.
      if (before !== null && lastBeat != null && row.lastHeartbeat !== null) {
        const silence = row.lastHeartbeat.getTime() - lastBeat.getTime();
        if (silence >= timing.leaseTtlMs - timing.heartbeatIntervalMs) {
          logger.warn({ workerId, silenceMs: silence }, 'Worker beats again after a silence that cost it its lease');
          deps.onLeaseGap?.(row, { silentSince: lastBeat, reported: body.sessions.map((s) => s.sessionId) });
        }
      }
      if (before !== null && before.status !== row.status) {
        await routing.invalidateWorker(workerId);
        logger.info({ workerId, from: before.status, to: row.status }, 'Worker is back');
        audit({ level: 'info', category: 'worker', message: `Worker is ${row.status} again`, workerId });
      }
      const reported = new Map(body.sessions.map((s) => [s.sessionId, s.epoch]));
      const routes = await repository.routingOf([...reported.keys()]);
      const known = new Map(routes.map((r) => [r.sessionId, r]));
      const dropSessions: SessionAssignment[] = [];
      for (const [sessionId, epoch] of reported) {
        const route = known.get(sessionId);
        if (route !== undefined && route.workerId === workerId && route.epoch === epoch) continue;
        dropSessions.push({ sessionId, epoch: Math.max(route?.epoch ?? 0, epoch + 1) });
      }
      if (dropSessions.length > 0) logger.warn({ workerId, dropSessions }, 'Worker reports sessions that belong elsewhere');
      return { ok: true, leaseTtlMs: timing.leaseTtlMs, ...(dropSessions.length > 0 ? { dropSessions } : {}) };
    },

    list: repository.list,

    /** Hand registration: the endpoint must answer its health check before the worker is ONLINE. */
    async add(input: { endpoint: string; maxSessions: number }, actorUserId: string): Promise<Worker> {
      const endpoint = sameEndpoint(input.endpoint);
      if ((await repository.findByEndpoint(endpoint)) !== null) throw new ConflictError('A worker with this endpoint is already registered.');
      let health;
      try {
        health = await client.health(endpoint);
      } catch (error) {
        await client.close(endpoint);
        logger.info({ endpoint, err: error }, 'Health check of a new worker failed');
        throw new AppError('UNPROCESSABLE', 'The endpoint did not pass the worker health check (GET /health).');
      }
      if (health.status !== 'ok') throw new AppError('UNPROCESSABLE', `The worker reports status "${health.status}"; only a healthy worker can be added.`);
      let row: WorkerRow;
      try {
        row = await repository.insert(db, {
          endpoint,
          maxSessions: input.maxSessions,
          status: 'ONLINE',
          source: 'manual',
          sessionCount: health.sessionCount,
          cpuUsage: health.cpuUsage,
          memoryUsage: health.memoryUsage,
          lastHeartbeat: new Date(),
        });
      } catch (error) {
        // Two admins adding the same endpoint at once: the unique index decides.
        if ((await repository.findByEndpoint(endpoint)) !== null) throw new ConflictError('A worker with this endpoint is already registered.');
        throw error;
      }
      audit({ level: 'info', category: 'admin', message: 'Worker added by hand', userId: actorUserId, workerId: row.id, metadata: { endpoint } });
      return workerView(row);
    },

    /**
     * Stops placing sessions on the worker and tells it to drain. Moving its sessions elsewhere is
     * the migration step (issue 8), which hooks in where `onDraining` is called.
     */
    async drain(workerId: string, actorUserId: string, onDraining?: (worker: WorkerRow) => Promise<void>): Promise<Worker> {
      const existing = await repository.findById(workerId);
      if (existing === null) throw new NotFoundError('Worker');
      const row = (await repository.setStatus(workerId, 'DRAINING'))!;
      await routing.invalidateWorker(workerId);
      audit({ level: 'info', category: 'admin', message: 'Worker drain requested', userId: actorUserId, workerId });
      if (onDraining !== undefined) {
        // The migration moves the sessions one by one and tells the worker to drain at the end;
        // telling it now would stop every session at once.
        await onDraining(row);
        return workerView(row);
      }
      try {
        await client.drain(row.endpoint);
      } catch (error) {
        // The registry already stops placing here; an unreachable worker is the liveness monitor's case.
        logger.warn({ workerId, err: error }, 'Could not tell the worker to drain');
      }
      return workerView(row);
    },

    async remove(workerId: string, actorUserId: string): Promise<void> {
      const row = await repository.delete(workerId);
      if (row === null) throw new NotFoundError('Worker');
      await tokens.forget(row.tokenHash);
      await routing.invalidateWorker(workerId);
      await client.close(row.endpoint);
      audit({ level: 'info', category: 'admin', message: 'Worker removed', userId: actorUserId, workerId, metadata: { endpoint: row.endpoint } });
    },
  };
}

export type WorkersService = ReturnType<typeof createWorkersService>;
