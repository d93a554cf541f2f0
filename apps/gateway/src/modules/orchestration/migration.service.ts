// Session migration (issue 8, DESIGN.md §6): sessions of an OFFLINE worker are placed on another
// worker with a new epoch and restored there from their stored creds (no QR); a DRAINING worker's
// sessions are moved one by one (stop on the old worker, then restore on the new one).
//
// Everything here is idempotent and driven by what PostgreSQL says, not by memory: a move re-reads
// the session's routing row under a row lock and does nothing when the session already left the
// worker it was taken from. So the leader's periodic sweep resumes a migration a dead leader left
// half done, and retries sessions that found no room once capacity appears.
import { type Coordinator } from '@wagate/storage';
import { and, asc, count, eq, gte, inArray, isNotNull, lt, notInArray, or } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { randomUUID } from 'node:crypto';
import { schema, type Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { pickWorker, type HttpWorkerClient, type SessionRoute, type WorkerRow, type WorkersRepository } from '../workers/index.js';

const { sessions, workers } = schema;

/** Only sessions that were live are brought back; a QR that was never scanned has nothing to restore. */
export const MIGRATABLE_STATUSES = ['CONNECTED', 'CONNECTING'] as const;

export type MoveOutcome = 'moved' | 'already-moved' | 'no-capacity' | 'busy' | 'stop-failed';

export interface MigratorDeps {
  db: Database;
  repository: WorkersRepository;
  routing: { invalidateSession(sessionId: string): Promise<void> };
  client: Pick<HttpWorkerClient, 'restore' | 'stop' | 'drain' | 'session'>;
  coordinator: Coordinator;
  logger: FastifyBaseLogger;
  audit?: { append(input: AppendSystemLogInput): Promise<unknown> };
  /** How long one replica holds the per-session move lock (default 30 s; a crash frees it then). */
  moveLockTtlMs?: number;
  /** Restores in flight at once when a dead worker's sessions are failed over (default 16). */
  concurrency?: number;
  /**
   * A moved session still CONNECTING after this long is checked on its worker and restored when
   * the worker does not host it: the replica that moved it died between the move and the restore
   * (default 15 s).
   */
  stalledRestoreMs?: number;
  now?: () => Date;
}

export interface SweepResult {
  moved: number;
  waiting: number;
  /** Sessions restored again because their move never reached the target. */
  restarted?: number;
}

export interface Migrator {
  /** Moves every live session of an OFFLINE worker elsewhere (all at once, bounded concurrency). */
  failOver(worker: Pick<WorkerRow, 'id'>): Promise<SweepResult>;
  /** Moves a DRAINING worker's sessions one by one, then tells the worker to drain (it stops the rest). */
  drain(worker: Pick<WorkerRow, 'id' | 'endpoint'>): Promise<SweepResult>;
  /**
   * The leader's pass: sessions still routed to OFFLINE workers (a dead leader's leftovers, or
   * sessions that found no room) and to DRAINING workers. Cheap when there is nothing to do.
   */
  sweep(): Promise<SweepResult>;
  /**
   * The worker lost its lease (it stopped every session) but was never marked OFFLINE: restores, at
   * their current epoch and on the same worker, the linked sessions routed to it that it does not
   * report — live ones, and those that went DISCONNECTED during the silence.
   */
  recoverAfterLeaseGap(worker: Pick<WorkerRow, 'id' | 'endpoint'>, gap: { silentSince: Date; reported: string[] }): Promise<number>;
  /**
   * One bounded rebalancing step (opt-in): when the busiest ONLINE worker holds at least two live
   * sessions more than the idlest one with room, moves up to `max` of them, each stopped first (one
   * reconnect of downtime per moved session). Answers how many moved.
   */
  rebalance(max: number): Promise<number>;
  /** Moves one session off `fromWorkerId` (stopping it there first when `stopFirst`). */
  move(sessionId: string, fromWorker: Pick<WorkerRow, 'id' | 'endpoint'>, stopFirst: boolean): Promise<MoveOutcome>;
}

export function createMigrator(deps: MigratorDeps): Migrator {
  const { db, repository, routing, client, coordinator } = deps;
  const logger = deps.logger.child({ module: 'orchestration' });
  const lockTtl = deps.moveLockTtlMs ?? 30_000;
  const concurrency = deps.concurrency ?? 16;
  const instance = randomUUID();
  const stalledMs = deps.stalledRestoreMs ?? 15_000;
  const now = deps.now ?? (() => new Date());
  // One drain run per worker on this replica; the sweep covers the others.
  const draining = new Map<string, Promise<SweepResult>>();

  function audit(input: AppendSystemLogInput): void {
    void deps.audit?.append(input).catch((error: unknown) => logger.warn({ err: error }, 'Could not write the audit line'));
  }

  async function liveSessionsOn(workerId: string): Promise<string[]> {
    const rows = await db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.workerId, workerId), inArray(sessions.status, [...MIGRATABLE_STATUSES])))
      .orderBy(asc(sessions.id));
    return rows.map((r) => r.id);
  }

  /** Places the session on another ONLINE worker with epoch + 1, unless it already left `fromId`. */
  async function reassign(sessionId: string, fromId: string): Promise<SessionRoute | 'already-moved' | 'no-capacity'> {
    return db.transaction(async (tx) => {
      const row = await repository.lockRouting(tx, sessionId);
      if (row === null || row.workerId !== fromId) return 'already-moved' as const;
      const online = (await repository.lockOnline(tx)).filter((w) => w.id !== fromId);
      const target = pickWorker(online);
      if (target === null) return 'no-capacity' as const;
      const epoch = await repository.assign(tx, sessionId, target.id);
      await repository.countPlacement(tx, target.id);
      // The session reconnects now; the target's own events take it to CONNECTED.
      await tx.update(sessions).set({ status: 'CONNECTING' }).where(eq(sessions.id, sessionId));
      return { sessionId, workerId: target.id, endpoint: target.endpoint, epoch };
    });
  }

  async function move(sessionId: string, from: Pick<WorkerRow, 'id' | 'endpoint'>, stopFirst: boolean): Promise<MoveOutcome> {
    const lockKey = `orchestration:move:${sessionId}`;
    if (!(await coordinator.setIfAbsent(lockKey, instance, lockTtl))) return 'busy';
    try {
      if (stopFirst) {
        const [current] = await repository.routingOf([sessionId]);
        if (current === undefined || current.workerId !== from.id) return 'already-moved';
        try {
          // The old socket closes before the new one opens: one reconnect of downtime, never two sockets.
          await client.stop({ sessionId, workerId: from.id, endpoint: from.endpoint, epoch: current.epoch });
        } catch (error) {
          // 404: not hosted there (stopped already, e.g. by a previous attempt) — the goal is met.
          if ((error as { code?: unknown }).code !== 'NOT_FOUND') {
            logger.warn({ sessionId, workerId: from.id, err: error }, 'Could not stop a session on the draining worker; will retry');
            return 'stop-failed';
          }
        }
      }
      const route = await reassign(sessionId, from.id);
      if (route === 'already-moved' || route === 'no-capacity') return route;
      await routing.invalidateSession(sessionId);
      logger.info({ sessionId, from: from.id, to: route.workerId, epoch: route.epoch }, 'Session moved');
      audit({
        level: 'info',
        category: 'worker',
        message: stopFirst ? 'Session moved off a draining worker' : 'Session failed over from an OFFLINE worker',
        sessionId,
        workerId: route.workerId,
        metadata: { from: from.id, to: route.workerId, epoch: route.epoch },
      });
      try {
        await client.restore(route);
      } catch (error) {
        // The routing already names the target: if the target is dead too, its own OFFLINE moves
        // the session again; otherwise a reconnect through the API restarts it there.
        logger.warn({ sessionId, workerId: route.workerId, err: error }, 'Restore on the new worker failed');
        audit({ level: 'warn', category: 'worker', message: 'Restore after a move failed', sessionId, workerId: route.workerId, metadata: { epoch: route.epoch } });
      }
      return 'moved';
    } finally {
      await coordinator.compareAndDelete(lockKey, instance).catch(() => undefined);
    }
  }

  async function moveAll(ids: string[], from: Pick<WorkerRow, 'id' | 'endpoint'>, stopFirst: boolean, parallel: number): Promise<SweepResult> {
    const result: SweepResult = { moved: 0, waiting: 0 };
    let next = 0;
    const lane = async () => {
      while (next < ids.length) {
        const id = ids[next++]!;
        const outcome = await move(id, from, stopFirst).catch((error: unknown) => {
          logger.error({ sessionId: id, err: error }, 'Moving a session failed');
          return 'stop-failed' as const;
        });
        if (outcome === 'moved') result.moved++;
        else if (outcome !== 'already-moved') result.waiting++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, parallel) }, lane));
    if (result.waiting > 0) {
      logger.warn({ workerId: from.id, waiting: result.waiting }, 'Sessions wait for a worker with room; retried on the next pass');
    }
    return result;
  }

  async function failOver(worker: Pick<WorkerRow, 'id'>): Promise<SweepResult> {
    const row = await repository.findById(worker.id);
    // Back ONLINE already (a late heartbeat): its sessions were never fenced, leave them.
    if (row === null || row.status !== 'OFFLINE') return { moved: 0, waiting: 0 };
    const ids = await liveSessionsOn(worker.id);
    if (ids.length === 0) return { moved: 0, waiting: 0 };
    logger.warn({ workerId: worker.id, sessions: ids.length }, 'Failing over the sessions of an OFFLINE worker');
    return moveAll(ids, row, false, concurrency);
  }

  async function drainRun(worker: Pick<WorkerRow, 'id' | 'endpoint'>): Promise<SweepResult> {
    const result = await moveAll(await liveSessionsOn(worker.id), worker, true, 1);
    const row = await repository.findById(worker.id);
    if (result.waiting === 0 && row?.status === 'DRAINING') {
      // Nothing live is left: the worker stops whatever else it holds (QR pages) and takes no more.
      await client.drain(worker.endpoint).catch((error: unknown) => logger.warn({ workerId: worker.id, err: error }, 'Could not tell the worker to drain'));
      audit({ level: 'info', category: 'worker', message: 'Worker drained: no live session left, removable', workerId: worker.id, metadata: { moved: result.moved } });
    }
    return result;
  }

  function drain(worker: Pick<WorkerRow, 'id' | 'endpoint'>): Promise<SweepResult> {
    const running = draining.get(worker.id);
    if (running !== undefined) return running;
    const run = drainRun(worker).finally(() => draining.delete(worker.id));
    draining.set(worker.id, run);
    return run;
  }

  /**
   * Linked sessions (they have a phone number, so creds) left CONNECTING on a live worker for
   * longer than a restore takes: if the worker does not host them, the restore was lost with the
   * replica that moved them; send it again at the same epoch (the worker treats a repeat as a no-op).
   */
  async function restartStalled(): Promise<number> {
    const rows = await db
      .select({ id: sessions.id, epoch: sessions.epoch, workerId: workers.id, endpoint: workers.endpoint })
      .from(sessions)
      .innerJoin(workers, eq(workers.id, sessions.workerId))
      .where(and(eq(sessions.status, 'CONNECTING'), eq(workers.status, 'ONLINE'), isNotNull(sessions.phoneNumber), lt(sessions.updatedAt, new Date(now().getTime() - stalledMs))))
      .limit(100);
    let restarted = 0;
    for (const row of rows) {
      const route: SessionRoute = { sessionId: row.id, workerId: row.workerId, endpoint: row.endpoint, epoch: row.epoch };
      const hosted = await client.session(route).then(
        () => true,
        (error: unknown) => ((error as { code?: unknown }).code === 'NOT_FOUND' ? false : null),
      );
      if (hosted !== false) continue;
      try {
        await client.restore(route);
        restarted++;
        logger.warn({ sessionId: row.id, workerId: row.workerId, epoch: row.epoch }, 'Restore of a moved session was lost; sent again');
        audit({ level: 'warn', category: 'worker', message: 'Restore of a moved session sent again', sessionId: row.id, workerId: row.workerId, metadata: { epoch: row.epoch } });
      } catch (error) {
        logger.warn({ sessionId: row.id, err: error }, 'Restoring a stalled session failed');
      }
    }
    return restarted;
  }

  async function recoverAfterLeaseGap(worker: Pick<WorkerRow, 'id' | 'endpoint'>, gap: { silentSince: Date; reported: string[] }): Promise<number> {
    const rows = await db
      .select({ id: sessions.id, epoch: sessions.epoch })
      .from(sessions)
      .where(
        and(
          eq(sessions.workerId, worker.id),
          isNotNull(sessions.phoneNumber),
          gap.reported.length === 0 ? undefined : notInArray(sessions.id, gap.reported),
          or(inArray(sessions.status, [...MIGRATABLE_STATUSES]), and(eq(sessions.status, 'DISCONNECTED'), gte(sessions.updatedAt, gap.silentSince))),
        ),
      );
    let restored = 0;
    let next = 0;
    const lane = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        const route: SessionRoute = { sessionId: row.id, workerId: worker.id, endpoint: worker.endpoint, epoch: row.epoch };
        // Never beside a move of the same session (a failover that found the worker OFFLINE).
        const lockKey = `orchestration:move:${row.id}`;
        if (!(await coordinator.setIfAbsent(lockKey, instance, lockTtl))) continue;
        try {
          const [current] = await repository.routingOf([row.id]);
          if (current?.workerId !== worker.id || current.epoch !== row.epoch) continue;
          if (await restoreInPlace(route)) restored++;
        } finally {
          await coordinator.compareAndDelete(lockKey, instance).catch(() => undefined);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, rows.length)) }, lane));
    if (rows.length > 0) {
      logger.warn({ workerId: worker.id, restored, dropped: rows.length }, 'Sessions a worker dropped for a lost lease restored in place');
      audit({ level: 'warn', category: 'worker', message: 'Sessions dropped for a lost lease restored in place', workerId: worker.id, metadata: { restored, dropped: rows.length } });
    }
    return restored;
  }

  async function restoreInPlace(route: SessionRoute): Promise<boolean> {
    // The worker takes sessions again once its own drain finished: a few tries.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await client.restore(route);
        return true;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        // A newer epoch elsewhere (moved meanwhile): not ours to restore.
        if (code === 'STALE_EPOCH' || code === 'NOT_FOUND') return false;
        await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      }
    }
    return false;
  }

  async function rebalance(max: number): Promise<number> {
    if (max <= 0) return 0;
    const online = await db.select().from(workers).where(eq(workers.status, 'ONLINE'));
    if (online.length < 2) return 0;
    const live = await db
      .select({ workerId: sessions.workerId, n: count() })
      .from(sessions)
      .where(and(inArray(sessions.workerId, online.map((w) => w.id)), inArray(sessions.status, [...MIGRATABLE_STATUSES])))
      .groupBy(sessions.workerId);
    const load = new Map(online.map((w) => [w.id, 0]));
    for (const row of live) if (row.workerId !== null) load.set(row.workerId, Number(row.n));
    const byLoad = [...online].sort((a, b) => load.get(b.id)! - load.get(a.id)! || (a.id < b.id ? -1 : 1));
    const busiest = byLoad[0]!;
    const idlest = byLoad.filter((w) => load.get(w.id)! < w.maxSessions).at(-1);
    if (idlest === undefined || idlest.id === busiest.id) return 0;
    const excess = Math.floor((load.get(busiest.id)! - load.get(idlest.id)!) / 2);
    if (excess < 1) return 0;
    const ids = (await liveSessionsOn(busiest.id)).slice(0, Math.min(max, excess));
    const result = await moveAll(ids, busiest, true, 1);
    if (result.moved > 0) {
      logger.info({ from: busiest.id, moved: result.moved }, 'Rebalanced sessions off the busiest worker');
      audit({ level: 'info', category: 'worker', message: 'Sessions rebalanced off the busiest worker', workerId: busiest.id, metadata: { moved: result.moved } });
    }
    return result.moved;
  }

  async function sweep(): Promise<SweepResult> {
    const rows = await db
      .selectDistinct({ id: workers.id, endpoint: workers.endpoint, status: workers.status })
      .from(sessions)
      .innerJoin(workers, eq(workers.id, sessions.workerId))
      .where(and(inArray(workers.status, ['OFFLINE', 'DRAINING']), inArray(sessions.status, [...MIGRATABLE_STATUSES])));
    const total: SweepResult = { moved: 0, waiting: 0 };
    for (const worker of rows) {
      const r = worker.status === 'OFFLINE' ? await failOver(worker) : await drain(worker);
      total.moved += r.moved;
      total.waiting += r.waiting;
    }
    const restarted = await restartStalled();
    return restarted > 0 ? { ...total, restarted } : total;
  }

  return { failOver, drain, sweep, move, recoverAfterLeaseGap, rebalance };
}
