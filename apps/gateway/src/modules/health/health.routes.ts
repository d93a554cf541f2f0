import { healthDetailedResponse, healthResponse } from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { HealthService } from './health.service.js';

export const healthRoutes: FastifyPluginAsyncZod<{ service: HealthService }> = async (app, { service }) => {
  app.get(
    '/health',
    { schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: healthResponse } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/detailed',
    {
      schema: {
        tags: ['operations'],
        summary: 'Readiness: every dependency answers (503 otherwise)',
        response: { 200: healthDetailedResponse, 503: healthDetailedResponse },
      },
    },
    async (_request, reply) => {
      const report = await service.detailed();
      return reply.status(report.status === 'ok' ? 200 : 503).send(report);
    },
  );
};
