// Kubernetes discovery (issue 8): worker pods matched by a label selector are registered by their
// pod IP (source 'k8s') once they pass the worker health check; a pod that disappears is drained
// when it still answers (its sessions move one by one, never two sockets) and marked OFFLINE when
// it does not (its sessions fail over). List, then watch from the list's resourceVersion; the
// watch restarts with a fresh list when it ends, so a missed event heals on the next list.
import { CoreV1Api, KubeConfig, Watch, type V1Pod } from '@kubernetes/client-node';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import type { HttpWorkerClient, WorkerRow, WorkersRepository } from '../workers/index.js';

export interface K8sDiscoveryOptions {
  namespace: string;
  /** e.g. app.kubernetes.io/component=wagate-worker */
  labelSelector: string;
  /** The worker's HTTP port inside the pod. */
  port: number;
  /** Until the worker's own heartbeat reports its capacity. */
  maxSessions: number;
  /** A ready KubeConfig (tests point it at a stub); default: in-cluster, else KUBECONFIG/~/.kube/config. */
  kubeConfig?: KubeConfig;
  /** Pause before a new list + watch after the watch ended or failed (default 2 s). */
  rewatchDelayMs?: number;
}

export interface K8sDiscoveryDeps {
  db: Database;
  repository: WorkersRepository;
  routing: { invalidateWorker(workerId: string): Promise<void> };
  client: Pick<HttpWorkerClient, 'health'>;
  logger: FastifyBaseLogger;
  audit?: { append(input: AppendSystemLogInput): Promise<unknown> };
  /** The pod is gone but still answers: move its sessions one by one. */
  onDraining(worker: WorkerRow): Promise<void>;
  /** The pod is gone and silent: fail its sessions over. */
  onOffline(worker: WorkerRow): Promise<void>;
}

export interface K8sDiscovery {
  /** One list: registers ready pods, retires registered k8s workers whose pod is gone. */
  sync(): Promise<{ registered: string[]; removed: string[] }>;
  start(): void;
  stop(): Promise<void>;
}

export function defaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  // In a pod the service account is mounted; elsewhere the usual kubeconfig lookup.
  if (process.env.KUBERNETES_SERVICE_HOST !== undefined) kc.loadFromCluster();
  else kc.loadFromDefault();
  return kc;
}

function endpointOf(pod: V1Pod, port: number): string | null {
  const ip = pod.status?.podIP;
  if (pod.metadata?.deletionTimestamp !== undefined && pod.metadata.deletionTimestamp !== null) return null;
  if (pod.status?.phase !== 'Running' || ip === undefined || ip === '') return null;
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return `http://${host}:${port}`;
}

export function createK8sDiscovery(deps: K8sDiscoveryDeps, options: K8sDiscoveryOptions): K8sDiscovery {
  const { repository, routing, client } = deps;
  const logger = deps.logger.child({ module: 'k8s-discovery' });
  const kc = options.kubeConfig ?? defaultKubeConfig();
  const api = kc.makeApiClient(CoreV1Api);
  const rewatchDelay = options.rewatchDelayMs ?? 2000;
  let running = false;
  let abort: AbortController | null = null;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  /** Pods by name → endpoint, as last seen. */
  const pods = new Map<string, string>();
  /** Where the last list left off: the watch starts from there. */
  let resourceVersion: string | undefined;

  function audit(input: AppendSystemLogInput): void {
    void deps.audit?.append(input).catch((error: unknown) => logger.warn({ err: error }, 'Could not write the audit line'));
  }

  async function register(endpoint: string, podName: string): Promise<boolean> {
    const existing = await repository.findByEndpoint(endpoint);
    if (existing !== null && existing.status !== 'OFFLINE') return false;
    try {
      const health = await client.health(endpoint, 3000);
      if (health.status !== 'ok') return false;
      if (existing !== null) {
        await repository.update(deps.db, existing.id, { status: 'ONLINE', lastHeartbeat: new Date(), sessionCount: health.sessionCount });
        await routing.invalidateWorker(existing.id);
      } else {
        await repository.insert(deps.db, {
          endpoint,
          maxSessions: health.maxSessions > 0 ? health.maxSessions : options.maxSessions,
          status: 'ONLINE',
          source: 'k8s',
          sessionCount: health.sessionCount,
          cpuUsage: health.cpuUsage,
          memoryUsage: health.memoryUsage,
          lastHeartbeat: new Date(),
        });
      }
    } catch (error) {
      // Not ready yet (or a race with another replica's insert): the next event or list retries.
      logger.info({ endpoint, pod: podName, err: error }, 'Discovered pod not registered yet');
      return false;
    }
    logger.info({ endpoint, pod: podName }, 'Worker pod discovered');
    audit({ level: 'info', category: 'worker', message: 'Worker pod discovered', metadata: { endpoint, pod: podName } });
    return true;
  }

  async function retire(endpoint: string, podName: string): Promise<boolean> {
    const row = await repository.findByEndpoint(endpoint);
    if (row === null || row.status === 'OFFLINE') return false;
    const reachable = await client.health(endpoint, 2000).then(
      () => true,
      () => false,
    );
    const updated = await repository.setStatus(row.id, reachable ? 'DRAINING' : 'OFFLINE');
    await routing.invalidateWorker(row.id);
    if (updated === null) return false;
    logger.warn({ endpoint, pod: podName, reachable }, 'Worker pod is gone');
    audit({ level: 'warn', category: 'worker', message: reachable ? 'Worker pod removed: draining' : 'Worker pod removed: OFFLINE', workerId: row.id, metadata: { endpoint, pod: podName } });
    await (reachable ? deps.onDraining(updated) : deps.onOffline(updated)).catch((error: unknown) => logger.error({ err: error, workerId: row.id }, 'Retiring a pod failed'));
    return true;
  }

  async function sync(): Promise<{ registered: string[]; removed: string[] }> {
    const list = await api.listNamespacedPod({ namespace: options.namespace, labelSelector: options.labelSelector });
    const seen = new Map<string, string>();
    for (const pod of list.items) {
      const endpoint = endpointOf(pod, options.port);
      if (endpoint !== null && pod.metadata?.name !== undefined) seen.set(pod.metadata.name, endpoint);
    }
    const registered: string[] = [];
    for (const [name, endpoint] of seen) if (await register(endpoint, name)) registered.push(endpoint);
    const removed: string[] = [];
    const live = new Set(seen.values());
    // Registered k8s workers with no matching pod any more (also those a previous replica knew).
    const known = new Set([...pods.values(), ...(await k8sEndpoints())]);
    for (const endpoint of known) if (!live.has(endpoint) && (await retire(endpoint, '(gone)'))) removed.push(endpoint);
    pods.clear();
    for (const [name, endpoint] of seen) pods.set(name, endpoint);
    resourceVersion = list.metadata?.resourceVersion;
    return { registered, removed };
  }

  async function k8sEndpoints(): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await repository.list({ limit: 100, cursor });
      for (const w of page.data) if (w.source === 'k8s') out.push(w.endpoint);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  async function onEvent(type: string, pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name;
    if (name === undefined) return;
    const endpoint = endpointOf(pod, options.port);
    const previous = pods.get(name);
    if (type === 'DELETED' || endpoint === null) {
      pods.delete(name);
      if (previous !== undefined) await retire(previous, name);
      return;
    }
    pods.set(name, endpoint);
    if (previous !== undefined && previous !== endpoint) await retire(previous, name);
    await register(endpoint, name);
  }

  async function watchOnce(): Promise<void> {
    await sync();
    let chain: Promise<void> = Promise.resolve();
    await new Promise<void>((resolve) => {
      const watch = new Watch(kc);
      watch
        .watch(
          `/api/v1/namespaces/${encodeURIComponent(options.namespace)}/pods`,
          { labelSelector: options.labelSelector, ...(resourceVersion === undefined ? {} : { resourceVersion }), allowWatchBookmarks: true },
          (type: string, object: V1Pod) => {
            if (type === 'BOOKMARK' || type === 'ERROR') return;
            // One at a time, in order: a DELETED must not overtake the ADDED before it.
            chain = chain.then(() => onEvent(type, object)).catch((error: unknown) => logger.warn({ err: error }, 'Handling a pod event failed'));
          },
          (error: unknown) => {
            if (error !== null && error !== undefined && running) logger.warn({ err: error }, 'Pod watch ended');
            resolve();
          },
        )
        .then(
          (controller) => {
            abort = controller;
            if (!running) controller.abort();
          },
          (error: unknown) => {
            logger.warn({ err: error }, 'Pod watch could not start');
            resolve();
          },
        );
    });
    await chain;
  }

  return {
    sync,
    start() {
      if (running) return;
      running = true;
      loop = (async () => {
        while (running) {
          await watchOnce().catch((error: unknown) => logger.warn({ err: error }, 'Pod discovery pass failed'));
          if (!running) break;
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, rewatchDelay).unref();
          });
          wake = null;
        }
      })();
    },
    async stop() {
      running = false;
      abort?.abort();
      wake?.();
      await loop;
    },
  };
}
