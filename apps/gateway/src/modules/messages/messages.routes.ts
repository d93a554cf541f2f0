import {
  contactsCheckBody,
  contactsCheckResponse,
  messageList,
  messageListQuery,
  messageParams,
  messageResponse,
  problemResponses,
  sendMessageBody,
  sendMessageHeaders,
  sessionParams,
  sessionResponse,
} from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireApiKey, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { MessagesService } from './messages.service.js';

export interface MessagesRoutesOptions {
  service: MessagesService;
  authenticator: Authenticator;
}

const apiKeySecurity: { [scheme: string]: string[] }[] = [{ bearer: [] }, { apiKey: [] }];
const tags = ['messages'];
const keyErrors = problemResponses('UNAUTHORIZED', 'NOT_FOUND', 'SESSION_NOT_CONNECTED', 'RATE_LIMITED', 'WORKER_UNREACHABLE');

/** Bytes of any type: declared for OpenAPI only (a Buffer reply skips the serializer). */
const mediaBytes = z.string().meta({ description: 'The media bytes, with their Content-Type', format: 'binary' });

export const messagesRoutes: FastifyPluginAsyncZod<MessagesRoutesOptions> = async (app, { service, authenticator }) => {
  const apiKey = requireApiKey(authenticator);
  const user = requireUser(authenticator);

  app.get(
    '/api/v1/session',
    {
      preHandler: apiKey,
      schema: { tags, security: apiKeySecurity, summary: "The API key's session", response: { 200: sessionResponse, ...problemResponses('UNAUTHORIZED', 'NOT_FOUND') } },
    },
    async (request) => ({ session: await service.session(principalOf(request, 'apiKey')) }),
  );

  app.post(
    '/api/v1/messages',
    {
      preHandler: apiKey,
      schema: {
        tags,
        security: apiKeySecurity,
        summary: 'Send a message from the key\'s session (202; `Idempotency-Key` makes retries safe for 24 h)',
        headers: sendMessageHeaders,
        body: sendMessageBody,
        response: { 202: messageResponse, ...keyErrors, ...problemResponses('VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REUSED') },
      },
    },
    async (request, reply) => {
      const result = await service.send(principalOf(request, 'apiKey'), request.body, request.headers['idempotency-key']);
      if (result.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(result.status).send(result.body);
    },
  );

  app.get(
    '/api/v1/messages',
    {
      preHandler: apiKey,
      schema: { tags, security: apiKeySecurity, summary: 'Message history of the key\'s session, newest first', querystring: messageListQuery, response: { 200: messageList, ...keyErrors } },
    },
    async (request) => service.list(principalOf(request, 'apiKey'), request.query),
  );

  app.get(
    '/api/v1/messages/:messageId',
    {
      preHandler: apiKey,
      schema: { tags, security: apiKeySecurity, summary: 'One message with its current status', params: messageParams, response: { 200: messageResponse, ...keyErrors } },
    },
    async (request) => ({ message: await service.get(principalOf(request, 'apiKey'), request.params.messageId) }),
  );

  app.get(
    '/api/v1/messages/:messageId/media',
    {
      preHandler: apiKey,
      schema: { tags, security: apiKeySecurity, summary: 'The media bytes of a message', params: messageParams, response: { 200: mediaBytes, ...keyErrors } },
    },
    async (request, reply) => {
      const media = await service.media(principalOf(request, 'apiKey'), request.params.messageId);
      // The 200 schema is a binary string for OpenAPI; Fastify sends a Buffer as-is, unserialized.
      return reply.type(media.contentType).header('content-length', String(media.body.length)).send(media.body as unknown as string);
    },
  );

  app.post(
    '/api/v1/contacts/check',
    {
      preHandler: apiKey,
      schema: {
        tags: ['contacts'],
        security: apiKeySecurity,
        summary: 'Which phone numbers are on WhatsApp',
        body: contactsCheckBody,
        response: { 200: contactsCheckResponse, ...keyErrors, ...problemResponses('VALIDATION_FAILED') },
      },
    },
    async (request) => service.checkContacts(principalOf(request, 'apiKey'), request.body.phones),
  );

  app.get(
    '/api/v1/sessions/:id/messages',
    {
      preHandler: user,
      schema: {
        tags: ['sessions'],
        security: [{ bearer: [] }],
        summary: 'Message history of one of your sessions (dashboard)',
        params: sessionParams,
        querystring: messageListQuery,
        response: { 200: messageList, ...problemResponses('UNAUTHORIZED', 'NOT_FOUND', 'SESSION_NOT_CONNECTED') },
      },
    },
    async (request) => {
      const { userId, role } = principalOf(request, 'user');
      return service.listForUser({ userId, role }, request.params.id, request.query);
    },
  );
};
