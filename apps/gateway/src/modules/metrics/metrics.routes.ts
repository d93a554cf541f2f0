// GET /metrics and the hooks that feed the HTTP series. Registered at the root, so the hooks see
// every route; the route label is Fastify's template (`/api/v1/sessions/:id`), which keeps the
// series count bounded whatever ids clients send.
import { AppError } from '@wagate/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { GatewayMetrics } from './gateway-metrics.js';

/** Requests no route matched share one label instead of one series per probed URL. */
const UNMATCHED = '(unmatched)';

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED;
}

// The 429's error code, noted when the error passes through Fastify's onError hook.
const rejectionCodes = new WeakMap<FastifyRequest, string>();

export function registerMetrics(app: FastifyInstance, metrics: GatewayMetrics): void {
  app.addHook('onError', async (request, _reply, error) => {
    if (error instanceof AppError && error.status === 429) rejectionCodes.set(request, error.code);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    metrics.observeRequest({ method: request.method, route, status: reply.statusCode, seconds: reply.elapsedTime / 1000 });
    if (reply.statusCode === 429) metrics.observeRateLimited({ route, code: rejectionCodes.get(request) ?? 'RATE_LIMITED' });
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: 'Prometheus metrics of this replica (text exposition format); no authentication, keep it off the public network',
        response: { 200: z.string().describe('Prometheus text format 0.0.4') },
      },
    },
    async (_request, reply) => {
      const body = await metrics.render();
      return reply.type(metrics.contentType).send(body);
    },
  );
}
