// Orchestration (issue 8): failover of an OFFLINE worker's sessions, drain, the leader's
// resumable sweep, worker metrics sampling and Kubernetes discovery. It plugs into the workers
// module through its hooks; other modules never call it.
import type { Coordinator } from '@wagate/storage';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import type { WorkersModule } from '../workers/index.js';
import { createMigrator, type Migrator } from './migration.service.js';
import { createK8sDiscovery, type K8sDiscovery, type K8sDiscoveryOptions } from './k8s-discovery.js';
import { createWorkerMetricsSampler, type WorkerMetricsOptions, type WorkerMetricsSampler } from './worker-metrics.js';

export { createMigrator, MIGRATABLE_STATUSES, type Migrator, type MoveOutcome, type SweepResult } from './migration.service.js';

export { orchestrationRoutes } from './orchestration.routes.js';
export { createK8sDiscovery, defaultKubeConfig, type K8sDiscovery, type K8sDiscoveryOptions } from './k8s-discovery.js';
export { createWorkerMetricsSampler, type WorkerMetricsOptions, type WorkerMetricsSampler } from './worker-metrics.js';

export interface OrchestrationOptions {
  /** Restores in flight at once during a failover (default 16). */
  failoverConcurrency?: number;
  /** Sessions the leader may move per pass to even out load (0, the default, turns rebalancing off). */
  rebalancePerPass?: number;
  metrics?: WorkerMetricsOptions;
  /** Kubernetes discovery of worker pods; off when absent. */
  k8s?: K8sDiscoveryOptions;
}

export interface Orchestration {
  migrator: Migrator;
  metrics: WorkerMetricsSampler;
  discovery: K8sDiscovery | null;
  close(): Promise<void>;
}

export function createOrchestration(
  deps: { db: Database; coordinator: Coordinator; workers: WorkersModule; logger: FastifyBaseLogger; audit?: { append(input: AppendSystemLogInput): Promise<unknown> } },
  options: OrchestrationOptions = {},
): Orchestration {
  const { workers } = deps;
  const migrator = createMigrator({
    db: deps.db,
    repository: workers.repository,
    routing: workers.routing,
    client: workers.client,
    coordinator: deps.coordinator,
    logger: deps.logger,
    ...(deps.audit === undefined ? {} : { audit: deps.audit }),
    ...(options.failoverConcurrency === undefined ? {} : { concurrency: options.failoverConcurrency }),
  });
  const metrics = createWorkerMetricsSampler({ db: deps.db, coordinator: deps.coordinator, logger: deps.logger }, options.metrics);
  const background = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    background.add(p);
    void p.finally(() => background.delete(p));
  };
  workers.setHooks({
    onWorkerOffline: async (worker) => {
      await migrator.failOver(worker);
    },
    // The admin's request answers 202 at once; the sessions move in the background (and the
    // leader's sweep finishes the job if this replica goes away).
    onDraining: async (worker) => {
      track(migrator.drain(worker).catch((error: unknown) => deps.logger.error({ err: error, workerId: worker.id }, 'Drain failed')));
    },
    onLeaderPass: async () => {
      const swept = await migrator.sweep();
      // Only in calm waters: never while sessions of a dead or draining worker still wait.
      if (swept.moved === 0 && swept.waiting === 0) await migrator.rebalance(options.rebalancePerPass ?? 0);
      await metrics.cleanup();
    },
    onHeartbeat: (row) => metrics.onHeartbeat(row),
    onLeaseGap: (row, gap) => {
      track(migrator.recoverAfterLeaseGap(row, gap).catch((error: unknown) => deps.logger.error({ err: error, workerId: row.id }, 'Restoring after a lease gap failed')));
    },
  });
  const discovery =
    options.k8s === undefined
      ? null
      : createK8sDiscovery(
          {
            db: deps.db,
            repository: workers.repository,
            routing: workers.routing,
            client: workers.client,
            logger: deps.logger,
            ...(deps.audit === undefined ? {} : { audit: deps.audit }),
            onDraining: async (worker) => {
              track(migrator.drain(worker).catch((error: unknown) => deps.logger.error({ err: error, workerId: worker.id }, 'Drain failed')));
            },
            onOffline: async (worker) => {
              await migrator.failOver(worker);
            },
          },
          options.k8s,
        );
  discovery?.start();
  return {
    migrator,
    metrics,
    discovery,
    async close() {
      await discovery?.stop();
      await Promise.allSettled([...background]);
      await metrics.flush();
    },
  };
}
