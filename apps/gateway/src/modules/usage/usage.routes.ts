import { problemResponses, usageQuery, usageResponse, type UserTier } from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { UsageService } from './usage.service.js';

/** The caller's tier allowances, answered beside the usage (the tier comes from the verified token). */
export type TierLimitsOf = (tier: UserTier) => { messagesPerHour: number; apiCallsPerHour: number; sessions: number };

export const usageRoutes: FastifyPluginAsyncZod<{ service: UsageService; authenticator: Authenticator; flush: () => Promise<void>; limitsOf?: TierLimitsOf }> = async (
  app,
  { service, authenticator, flush, limitsOf },
) => {
  app.get(
    '/api/v1/usage',
    {
      preHandler: requireUser(authenticator),
      schema: { tags: ['usage'], security: [{ bearer: [] }], summary: 'Your usage by UTC day', querystring: usageQuery, response: { 200: usageResponse, ...problemResponses('UNAUTHORIZED', 'VALIDATION_FAILED') } },
    },
    async (request) => {
      // This replica's buffered counts first, so a caller sees its own recent calls.
      await flush();
      const principal = principalOf(request, 'user');
      const usage = await service.byDay(principal.userId, request.query);
      return limitsOf ? { ...usage, limits: { tier: principal.tier, ...limitsOf(principal.tier) } } : usage;
    },
  );
};
