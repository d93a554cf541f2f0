import {
  apiKeyCreatedResponse,
  apiKeyList,
  apiKeyParams,
  createApiKeyBody,
  listQuery,
  problemResponses,
  sessionParams,
} from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { ApiKeysService } from './api-keys.service.js';

export const apiKeysRoutes: FastifyPluginAsyncZod<{ service: ApiKeysService; authenticator: Authenticator }> = async (app, { service, authenticator }) => {
  const onRequest = requireUser(authenticator);
  const tags = ['api-keys'];
  const security = [{ bearer: [] }];

  app.get(
    '/api/v1/sessions/:id/api-keys',
    {
      preHandler: onRequest,
      schema: { tags, security, summary: "List a session's live API keys (prefix only)", params: sessionParams, querystring: listQuery, response: { 200: apiKeyList, ...problemResponses('UNAUTHORIZED', 'NOT_FOUND', 'VALIDATION_FAILED') } },
    },
    async (request) => {
      const { userId } = principalOf(request, 'user');
      return service.listOwned({ sessionId: request.params.id, userId, limit: request.query.limit, cursor: request.query.cursor });
    },
  );

  app.post(
    '/api/v1/sessions/:id/api-keys',
    {
      preHandler: onRequest,
      schema: { tags, security, summary: 'Create an API key for a session (the key is shown once)', params: sessionParams, body: createApiKeyBody, response: { 201: apiKeyCreatedResponse, ...problemResponses('UNAUTHORIZED', 'NOT_FOUND', 'VALIDATION_FAILED') } },
    },
    async (request, reply) => {
      const { userId } = principalOf(request, 'user');
      const apiKey = await service.createOwned({ userId, sessionId: request.params.id, name: request.body.name, expiresAt: request.body.expiresAt });
      return reply.status(201).send({ apiKey });
    },
  );

  app.delete(
    '/api/v1/sessions/:id/api-keys/:keyId',
    {
      preHandler: onRequest,
      schema: { tags, security, summary: 'Revoke an API key (effective at once)', params: apiKeyParams, response: { 204: z.null().describe('Revoked'), ...problemResponses('UNAUTHORIZED', 'NOT_FOUND') } },
    },
    async (request, reply) => {
      const { userId } = principalOf(request, 'user');
      await service.revokeOwned({ userId, sessionId: request.params.id, keyId: request.params.keyId });
      return reply.status(204).send(null);
    },
  );
};
