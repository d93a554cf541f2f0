import {
  adminSessionList,
  adminSessionListQuery,
  connectSessionBody,
  createSessionBody,
  createSessionResponse,
  listQuery,
  pairingCodeResponse,
  qrResponse,
  sessionList,
  sessionParams,
  sessionResponse,
} from '@wagate/contracts';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireAdmin, requireUser, type Authenticator } from '../../http/authenticate.js';
import { adminSessionView, sessionView } from './session-view.js';
import type { Actor, SessionsService } from './sessions.service.js';
import type { SessionRow } from './sessions.repository.js';

export interface SessionsRoutesOptions {
  service: SessionsService;
  authenticator: Authenticator;
}

export function actorOf(request: FastifyRequest): Actor {
  const { userId, role, tier } = principalOf(request, 'user');
  return { userId, role, tier };
}

const viewFor = (actor: Actor, row: SessionRow) => sessionView(row, { admin: actor.role === 'ADMIN' });
const security = [{ bearer: [] }];
const tags = ['sessions'];

export const sessionsRoutes: FastifyPluginAsyncZod<SessionsRoutesOptions> = async (app, { service, authenticator }) => {
  const user = requireUser(authenticator);

  app.post(
    '/api/v1/sessions',
    {
      preHandler: user,
      schema: { tags, security, summary: 'Declare a session (DISCONNECTED) and get its first API key, shown once', body: createSessionBody, response: { 201: createSessionResponse } },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const { row, apiKey } = await service.create(actor, request.body);
      return reply.status(201).send({ session: viewFor(actor, row), apiKey });
    },
  );

  app.get(
    '/api/v1/sessions',
    { preHandler: user, schema: { tags, security, summary: 'Your sessions, newest first', querystring: listQuery, response: { 200: sessionList } } },
    async (request) => {
      const actor = actorOf(request);
      const page = await service.list(actor, request.query);
      return { data: page.data.map((row) => viewFor(actor, row)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/v1/sessions/:id',
    { preHandler: user, schema: { tags, security, summary: 'One session', params: sessionParams, response: { 200: sessionResponse } } },
    async (request) => {
      const actor = actorOf(request);
      return { session: viewFor(actor, await service.get(actor, request.params.id)) };
    },
  );

  app.post(
    '/api/v1/sessions/:id/connect',
    {
      preHandler: user,
      schema: {
        tags,
        security,
        summary: 'Place the session on a worker and start it (QR by default, or a pairing code for phoneNumber)',
        params: sessionParams,
        body: connectSessionBody,
        response: { 202: sessionResponse },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const row = await service.connect(actor, request.params.id, request.body);
      return reply.status(202).send({ session: viewFor(actor, row) });
    },
  );

  app.get(
    '/api/v1/sessions/:id/qr',
    {
      preHandler: user,
      schema: { tags, security, summary: 'The current QR (raw and PNG data URL); 409 SESSION_NOT_AWAITING_QR otherwise', params: sessionParams, response: { 200: qrResponse } },
    },
    async (request) => service.qr(actorOf(request), request.params.id),
  );

  app.get(
    '/api/v1/sessions/:id/pairing-code',
    {
      preHandler: user,
      schema: { tags, security, summary: 'The pairing code to type on the phone, when connecting by pairing code', params: sessionParams, response: { 200: pairingCodeResponse } },
    },
    async (request) => service.pairingCode(actorOf(request), request.params.id),
  );

  app.post(
    '/api/v1/sessions/:id/disconnect',
    { preHandler: user, schema: { tags, security, summary: 'Close the WhatsApp connection; credentials are kept for a later connect', params: sessionParams, response: { 202: sessionResponse } } },
    async (request, reply) => {
      const actor = actorOf(request);
      return reply.status(202).send({ session: viewFor(actor, await service.disconnect(actor, request.params.id)) });
    },
  );

  app.post(
    '/api/v1/sessions/:id/logout',
    { preHandler: user, schema: { tags, security, summary: 'Unlink the device and delete its credentials', params: sessionParams, response: { 202: sessionResponse } } },
    async (request, reply) => {
      const actor = actorOf(request);
      return reply.status(202).send({ session: viewFor(actor, await service.logout(actor, request.params.id)) });
    },
  );

  app.delete(
    '/api/v1/sessions/:id',
    {
      preHandler: user,
      schema: { tags, security, summary: 'Delete the session: the worker removes its data, its API keys are revoked', params: sessionParams, response: { 204: z.null().describe('Deleted') } },
    },
    async (request, reply) => {
      await service.remove(actorOf(request), request.params.id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/api/v1/admin/sessions',
    {
      preHandler: requireAdmin(authenticator),
      schema: { tags: ['admin'], security, summary: 'Every session, with owner and worker', querystring: adminSessionListQuery, response: { 200: adminSessionList } },
    },
    async (request) => {
      const page = await service.listAll(request.query);
      return { data: page.data.map(adminSessionView), nextCursor: page.nextCursor };
    },
  );
};
