import { eventBatchBody, eventBatchResponse, ForbiddenError } from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf, requireWorker, type Authenticator } from '../../http/authenticate.js';
import type { EventsIngest } from './events.service.js';

export interface EventsRoutesOptions {
  ingest: EventsIngest;
  authenticator: Authenticator;
}

export const eventsRoutes: FastifyPluginAsyncZod<EventsRoutesOptions> = async (app, { ingest, authenticator }) => {
  app.post(
    '/api/v1/internal/events',
    {
      preHandler: requireWorker(authenticator),
      schema: {
        tags: ['internal'],
        security: [{ workerToken: [] }],
        summary: 'Worker event batch (worker token): per-event acknowledged / rejected, and sessions the worker must drop',
        body: eventBatchBody,
        response: { 200: eventBatchResponse },
      },
    },
    async (request) => {
      const { workerId } = principalOf(request, 'worker');
      // requireWorker refuses the bootstrap token here; a worker speaks only for itself.
      if (workerId === null) throw new ForbiddenError('Events need a per-worker token.');
      const foreign = request.body.events.find((e) => e.workerId !== workerId);
      if (foreign) throw new ForbiddenError(`Event ${foreign.id} names another worker than the token's.`);
      return ingest.ingest(workerId, request.body.events);
    },
  );
};
