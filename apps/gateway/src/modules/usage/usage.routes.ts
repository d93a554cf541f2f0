import { problemResponses, usageQuery, usageResponse } from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { UsageService } from './usage.service.js';

export const usageRoutes: FastifyPluginAsyncZod<{ service: UsageService; authenticator: Authenticator; flush: () => Promise<void> }> = async (app, { service, authenticator, flush }) => {
  app.get(
    '/api/v1/usage',
    {
      preHandler: requireUser(authenticator),
      schema: { tags: ['usage'], security: [{ bearer: [] }], summary: 'Your usage by UTC day', querystring: usageQuery, response: { 200: usageResponse, ...problemResponses('UNAUTHORIZED', 'VALIDATION_FAILED') } },
    },
    async (request) => {
      // This replica's buffered counts first, so a caller sees its own recent calls.
      await flush();
      return service.byDay(principalOf(request, 'user').userId, request.query);
    },
  );
};
