import { join } from 'node:path';
import { createBlobStore } from '@wagate/storage';
import type { BlobStore } from '@wagate/storage';
import type { WorkerConfig } from './config.js';
import { Keyring } from './crypto/index.js';
import { EventOutbox, GatewayLink } from './gateway-link/index.js';
import { HistoryStore } from './history/index.js';
import { WorkerTokens, buildHttpServer, cpuPercent, memoryPercent } from './http/index.js';
import { createLogger } from './logger.js';
import { createWorkerMetrics } from './metrics/index.js';
import type { WorkerMetrics } from './metrics/index.js';
import type { Logger } from './logger.js';
import { RetentionJob } from './retention/index.js';
import { SessionManager } from './sessions/index.js';
import { BaileysConnector, assertRealNetworkTrust, useSimulatorTrust } from './whatsapp/index.js';
import type { SimulatorTrust } from './whatsapp/index.js';

export interface WorkerDeps {
  /** Defaults to the store the config names (S3 when set, else files under DATA_DIR). */
  blobs?: BlobStore;
  /** Required when WA_NETWORK=sandbox: the simulator's WebSocket URL and trust roots. */
  sandbox?: SimulatorTrust & { url: string };
  logger?: Logger;
  version?: string;
  /** Skip registration and heartbeats (tests, or a gateway in the same process wiring it). */
  standalone?: boolean;
  /** Node process metrics on /metrics (default on; tests running many workers turn them off). */
  processMetrics?: boolean;
}

export interface Worker {
  config: WorkerConfig;
  manager: SessionManager;
  history: HistoryStore;
  outbox: EventOutbox;
  link: GatewayLink;
  retention: RetentionJob;
  http: Awaited<ReturnType<typeof buildHttpServer>>;
  metrics: WorkerMetrics;
  /** Listens, starts the outbox sender and registers with the gateway (in the background). */
  start(): Promise<{ url: string }>;
  /** Stops every session (keeping creds), flushes history, tries to deliver events, closes. */
  stop(): Promise<void>;
}

/** Wires one worker process from its config: the composition root, and the only place adapters are chosen. */
export async function createWorker(config: WorkerConfig, deps: WorkerDeps = {}): Promise<Worker> {
  const logger = deps.logger ?? createLogger(config.logLevel, config.workerId, config.logFile);
  const version = deps.version ?? '0.1.0';

  let mediaTrust;
  if (config.waNetwork === 'sandbox') {
    if (deps.sandbox === undefined) throw new Error('WA_NETWORK=sandbox needs the simulator (URL and trust roots) from the process that runs it.');
    mediaTrust = useSimulatorTrust(deps.sandbox);
  } else {
    // A real-network worker refuses to run with a simulator's certificate root in place.
    assertRealNetworkTrust();
  }

  const blobs =
    deps.blobs ??
    createBlobStore(
      config.s3 === undefined
        ? { dataDir: config.dataDir }
        : { s3: { endpoint: config.s3.endpoint, bucket: config.s3.bucket, accessKeyId: config.s3.accessKey, secretAccessKey: config.s3.secretKey, region: config.s3.region } },
    );
  const keyring = new Keyring(config.encryptionKeys);
  const history = new HistoryStore({ blobs, keyring, logger, flushIntervalMs: config.historyFlushMs });
  const tokens = new WorkerTokens(config.workerToken);

  // The outbox and the link both learn which sessions to drop; `sessions` is created below and
  // only read when the gateway answers, long after this function exists.
  const dropSessions = (moved: { sessionId: string; epoch: number }[]): void => {
    for (const { sessionId, epoch } of moved) {
      const hosted = sessions.get(sessionId);
      if (hosted !== undefined && hosted.epoch < epoch) {
        logger.warn({ sessionId, epoch: hosted.epoch, newer: epoch }, 'The gateway moved this session elsewhere; dropping it');
        void sessions.stop(sessionId).catch(() => undefined);
      }
    }
  };

  const outbox = new EventOutbox({
    // One worker per DATA_DIR: the journal must outlive the process id to be replayed after a restart.
    dir: join(config.dataDir, 'worker-outbox'),
    gatewayUrl: config.gatewayUrl,
    workerToken: config.workerToken,
    workerId: config.workerId,
    logger,
    onDropSessions: dropSessions,
  });

  const connector = new BaileysConnector({
    logger,
    ...(config.waVersion === undefined ? {} : { version: config.waVersion }),
    ...(deps.sandbox === undefined ? {} : { waWebSocketUrl: deps.sandbox.url }),
    ...(mediaTrust === undefined ? {} : { mediaTrust }),
  });

  const metrics = createWorkerMetrics(deps.processMetrics === undefined ? {} : { processMetrics: deps.processMetrics });
  const sessions: SessionManager = new SessionManager({
    workerId: config.workerId,
    maxSessions: config.maxSessions,
    blobs,
    keyring,
    connector,
    history,
    events: outbox,
    logger,
    pacer: config.pacer,
    authKeyFlushMs: config.authKeyFlushMs,
    onSocketClosed: (decision, statusCode) => metrics.socketClosed(decision, statusCode),
  });
  metrics.bind({ sessions: () => sessions.list(), queuedSends: () => sessions.queuedSends, outbox: () => outbox.stats });

  const link = new GatewayLink({
    gatewayUrl: config.gatewayUrl,
    bootstrapToken: config.workerToken,
    workerId: config.workerId,
    endpoint: config.endpoint,
    maxSessions: config.maxSessions,
    version,
    logger,
    snapshot: () => ({
      sessionCount: sessions.count,
      cpuUsage: cpuPercent(),
      memoryUsage: memoryPercent(),
      sessions: sessions.list().map((s) => ({ sessionId: s.sessionId, epoch: s.epoch, status: s.status })),
    }),
    onToken: (token, workerId) => {
      tokens.add(token);
      outbox.setIdentity(token, workerId);
    },
    onDropSessions: dropSessions,
    onLeaseLost: () => {
      // Stop every socket before the gateway may grant these sessions to another worker, and take
      // no new ones until a heartbeat renews the lease (the gateway then re-places what it wants here).
      void sessions.drain().catch((error: unknown) => logger.error({ err: error }, 'Draining after the lease was lost failed'));
    },
    onLeaseRenewed: () => {
      void sessions.resume();
    },
  });

  const retention = new RetentionJob({
    blobs,
    retentionDays: config.historyRetentionDays,
    intervalMs: config.retentionSweepIntervalMs,
    sessions: () => sessions.list().map((s) => s.sessionId),
    logger,
  });

  const http = await buildHttpServer({ manager: sessions, history, tokens, logger, workerId: config.workerId, version, metrics });

  return {
    config,
    manager: sessions,
    history,
    outbox,
    link,
    retention,
    http,
    metrics,
    async start() {
      await outbox.open();
      outbox.start();
      const url = await http.listen({ port: config.port, host: config.host });
      retention.start();
      if (deps.standalone !== true) {
        void link
          .register()
          .then(() => link.startHeartbeat())
          .catch((error: unknown) => logger.error({ err: error }, 'Registration stopped'));
      }
      logger.info({ url, maxSessions: config.maxSessions, network: config.waNetwork }, 'Worker started');
      return { url };
    },
    async stop() {
      link.stop();
      await retention.stop();
      await sessions.close();
      await history.close();
      await outbox.stop(2000);
      await http.close();
      if (deps.blobs === undefined) await blobs.close();
      logger.info('Worker stopped');
    },
  };
}
