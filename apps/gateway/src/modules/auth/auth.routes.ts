import { authResponse, loginBody, meResponse, problemResponses, refreshBody, refreshResponse, registerBody } from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { AuthService } from './auth.service.js';

export const authRoutes: FastifyPluginAsyncZod<{ service: AuthService; authenticator: Authenticator }> = async (app, { service, authenticator }) => {
  const tags = ['auth'];

  app.post(
    '/api/v1/auth/register',
    { schema: { tags, summary: 'Create an account', body: registerBody, response: { 201: authResponse, ...problemResponses('VALIDATION_FAILED', 'CONFLICT', 'RATE_LIMITED') } } },
    async (request, reply) => reply.status(201).send(await service.register(request.body)),
  );

  app.post(
    '/api/v1/auth/login',
    { schema: { tags, summary: 'Log in; wrong email and wrong password answer alike', body: loginBody, response: { 200: authResponse, ...problemResponses('VALIDATION_FAILED', 'UNAUTHORIZED', 'RATE_LIMITED') } } },
    async (request) => service.login(request.body, { ip: request.ip }),
  );

  app.post(
    '/api/v1/auth/refresh',
    { schema: { tags, summary: 'Swap a refresh token for new tokens (rotating; reuse revokes the family)', body: refreshBody, response: { 200: refreshResponse, ...problemResponses('VALIDATION_FAILED', 'UNAUTHORIZED', 'RATE_LIMITED') } } },
    async (request) => service.refresh(request.body.refreshToken),
  );

  app.get(
    '/api/v1/auth/me',
    { preHandler: requireUser(authenticator), schema: { tags, security: [{ bearer: [] }], summary: 'The calling user', response: { 200: meResponse, ...problemResponses('UNAUTHORIZED') } } },
    async (request) => service.me(principalOf(request, 'user').userId),
  );
};
