// worker_metrics: a bounded sample of worker load taken from heartbeats (at most one row per
// worker per sample interval, gated in the Coordinator so replicas share the budget), and a
// retention cleanup the liveness leader runs now and then.
import type { Coordinator } from '@wagate/storage';
import { and, asc, desc, eq, gte, lt } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { schema, type Database } from '../../db/index.js';
import type { WorkerRow } from '../workers/index.js';

const { workerMetrics } = schema;

export interface WorkerMetricsOptions {
  /** One sample per worker per this long (default 60 s). */
  sampleIntervalMs?: number;
  /** Samples older than this are deleted (default 7 days). */
  retentionMs?: number;
  /** How often the cleanup may run across the fleet (default 1 h). */
  cleanupIntervalMs?: number;
}

export interface WorkerMetricsSampler {
  /** From a heartbeat: writes a sample unless one was taken within the interval. Never throws. */
  onHeartbeat(row: WorkerRow): void;
  /** Deletes expired samples, at most once per cleanup interval fleet-wide; answers rows deleted. */
  cleanup(now?: Date): Promise<number>;
  /** A worker's samples since `since`, oldest first. */
  samples(workerId: string, since: Date): Promise<schema.WorkerMetricRow[]>;
  /** Waits for sample writes in flight (tests, shutdown). */
  flush(): Promise<void>;
}

export function createWorkerMetricsSampler(deps: { db: Database; coordinator: Coordinator; logger: FastifyBaseLogger }, options: WorkerMetricsOptions = {}): WorkerMetricsSampler {
  const { db, coordinator, logger } = deps;
  const sampleMs = options.sampleIntervalMs ?? 60_000;
  const retentionMs = options.retentionMs ?? 7 * 86_400_000;
  const cleanupMs = options.cleanupIntervalMs ?? 3_600_000;
  const pending = new Set<Promise<unknown>>();

  async function sample(row: WorkerRow): Promise<void> {
    if (!(await coordinator.setIfAbsent(`workers:metrics-sample:${row.id}`, '1', sampleMs))) return;
    await db.insert(workerMetrics).values({
      workerId: row.id,
      sampledAt: row.lastHeartbeat ?? new Date(),
      sessionCount: row.sessionCount,
      cpuUsage: row.cpuUsage,
      memoryUsage: row.memoryUsage,
    });
  }

  return {
    onHeartbeat(row) {
      const p = sample(row).catch((error: unknown) => logger.warn({ err: error, workerId: row.id }, 'Could not sample worker metrics'));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    async cleanup(now = new Date()) {
      if (!(await coordinator.setIfAbsent('workers:metrics-cleanup', '1', cleanupMs))) return 0;
      const deleted = await db
        .delete(workerMetrics)
        .where(lt(workerMetrics.sampledAt, new Date(now.getTime() - retentionMs)))
        .returning({ id: workerMetrics.id });
      if (deleted.length > 0) logger.info({ deleted: deleted.length }, 'Expired worker metrics deleted');
      return deleted.length;
    },
    async samples(workerId, since) {
      return db
        .select()
        .from(workerMetrics)
        .where(and(eq(workerMetrics.workerId, workerId), gte(workerMetrics.sampledAt, since)))
        .orderBy(asc(workerMetrics.sampledAt), desc(workerMetrics.id));
    },
    async flush() {
      await Promise.allSettled([...pending]);
    },
  };
}
