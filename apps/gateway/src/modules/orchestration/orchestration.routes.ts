// Admin: a worker's load history from worker_metrics, for the console's fleet view.
import { NotFoundError, problemResponses, workerMetricsQuery, workerMetricsResponse, workerParams } from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { requireAdmin, type Authenticator } from '../../http/authenticate.js';
import { workerView, type WorkersRepository } from '../workers/index.js';
import type { WorkerMetricsSampler } from './worker-metrics.js';

/** Samples returned at most: a day at one per minute. */
const MAX_SAMPLES = 1440;

export const orchestrationRoutes: FastifyPluginAsyncZod<{ authenticator: Authenticator; repository: WorkersRepository; metrics: WorkerMetricsSampler }> = async (
  app,
  { authenticator, repository, metrics },
) => {
  app.get(
    '/api/v1/admin/workers/:id/metrics',
    {
      preHandler: requireAdmin(authenticator),
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: "A worker's load samples (sessions, CPU, memory), oldest first",
        params: workerParams,
        querystring: workerMetricsQuery,
        response: { 200: workerMetricsResponse, ...problemResponses('UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'VALIDATION_FAILED') },
      },
    },
    async (request) => {
      const row = await repository.findById(request.params.id);
      if (row === null) throw new NotFoundError('Worker');
      const since = request.query.since === undefined ? new Date(Date.now() - 3_600_000) : new Date(request.query.since);
      const samples = (await metrics.samples(row.id, since)).slice(-MAX_SAMPLES);
      return {
        worker: workerView(row),
        samples: samples.map((s) => ({ sampledAt: s.sampledAt.toISOString(), sessionCount: s.sessionCount, cpuUsage: s.cpuUsage, memoryUsage: s.memoryUsage })),
      };
    },
  );
};
