import Fastify, { LogController } from 'fastify';
import { randomUUID } from 'node:crypto';
import { cpus, freemem, totalmem } from 'node:os';
import type { WorkerHealthResponse } from '@wagate/contracts';
import type { HistoryStore } from '../history/index.js';
import type { Logger } from '../logger.js';
import type { SessionManager } from '../sessions/index.js';
import { errorHandler } from './error-handler.js';
import { WORKER_API } from '@wagate/contracts';
import { workerApiRoutes } from './worker-api.routes.js';
import type { WorkerTokens } from './worker-token.js';

export interface HttpServerDeps {
  manager: SessionManager;
  history: HistoryStore;
  tokens: WorkerTokens;
  logger: Logger;
  workerId: string;
  version: string;
  /** Served at GET /metrics without a token, like /health (Prometheus scrapes it in-cluster). */
  metrics?: { render(): Promise<string>; contentType: string };
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

let lastCpu = { usage: process.cpuUsage(), at: process.hrtime.bigint() };

/** Process CPU share since the previous call, in percent of all cores. */
export function cpuPercent(): number {
  const now = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  const usedUs = now.usage.user - lastCpu.usage.user + (now.usage.system - lastCpu.usage.system);
  const elapsedUs = Number(now.at - lastCpu.at) / 1000;
  lastCpu = now;
  if (elapsedUs <= 0) return 0;
  return Math.min(100, Math.max(0, (usedUs / elapsedUs / Math.max(1, cpus().length)) * 100));
}

export function memoryPercent(): number {
  return Math.min(100, Math.max(0, ((totalmem() - freemem()) / totalmem()) * 100));
}

/** The worker's internal HTTP API: health without a token, everything else with one. */
export async function buildHttpServer(deps: HttpServerDeps) {
  // Request lines stay off: the gateway polls and heartbeats often, and the log would be mostly them.
  const app = Fastify({
    loggerInstance: deps.logger.child({ component: 'http' }),
    bodyLimit: 24 * 1024 * 1024,
    // The gateway sends the id of the API request a command serves; keeping it joins both logs.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
  });
  // Commands (not the gateway's polling reads) get one line each, with the gateway's request id.
  app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD') return;
    request.log.info({ method: request.method, url: request.routeOptions.url ?? request.url, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'command served');
  });
  const started = Date.now();
  app.setErrorHandler(errorHandler);

  app.get(WORKER_API.health, async (): Promise<WorkerHealthResponse> => ({
    status: deps.manager.draining ? 'draining' : 'ok',
    workerId: deps.workerId,
    version: deps.version,
    sessionCount: deps.manager.count,
    maxSessions: deps.manager.capacity,
    cpuUsage: cpuPercent(),
    memoryUsage: memoryPercent(),
    uptimeSeconds: (Date.now() - started) / 1000,
  }));

  const metrics = deps.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
  }

  await app.register(async (internal) => {
    internal.addHook('preHandler', async (request) => deps.tokens.check(request));
    await workerApiRoutes(internal, { manager: deps.manager, history: deps.history });
  });
  return app;
}
