import {
  createWebhookBody,
  idParams,
  listQuery,
  updateWebhookBody,
  webhookCreatedResponse,
  webhookDeliveryList,
  webhookDeliveryParams,
  webhookDeliveryResponse,
  webhookList,
  webhookParams,
  webhookResponse,
  isoDateTime,
} from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { Actor, WebhooksService } from './webhooks.service.js';

const rotatedResponse = z.object({
  webhook: webhookCreatedResponse.shape.webhook.extend({ previousSecretExpiresAt: isoDateTime }),
});

const BASE = '/api/v1/sessions/:id/webhooks';
const tags = ['webhooks'];
const security = [{ bearer: [] }];

export const webhooksRoutes: FastifyPluginAsyncZod<{ service: WebhooksService; authenticator: Authenticator }> = async (app, { service, authenticator }) => {
  app.addHook('onRequest', requireUser(authenticator));
  const actor = (request: Parameters<typeof principalOf>[0]): Actor => {
    const p = principalOf(request, 'user');
    return { userId: p.userId, role: p.role };
  };

  app.get(
    BASE,
    { schema: { tags, security, summary: "List a session's webhook endpoints", params: idParams, querystring: listQuery, response: { 200: webhookList } } },
    async (request) => service.list(actor(request), request.params.id, request.query),
  );

  app.post(
    BASE,
    {
      schema: {
        tags,
        security,
        summary: 'Add a webhook endpoint; the signing secret is in this response only',
        params: idParams,
        body: createWebhookBody,
        response: { 201: webhookCreatedResponse },
      },
    },
    async (request, reply) => reply.status(201).send({ webhook: await service.create(actor(request), request.params.id, request.body) }),
  );

  app.get(
    `${BASE}/:webhookId`,
    { schema: { tags, security, summary: 'One webhook endpoint', params: webhookParams, response: { 200: webhookResponse } } },
    async (request) => ({ webhook: await service.get(actor(request), request.params.id, request.params.webhookId) }),
  );

  app.patch(
    `${BASE}/:webhookId`,
    {
      schema: {
        tags,
        security,
        summary: 'Change the URL, the subscribed events or the active flag (re-enabling resets the failure count)',
        params: webhookParams,
        body: updateWebhookBody,
        response: { 200: webhookResponse },
      },
    },
    async (request) => ({ webhook: await service.update(actor(request), request.params.id, request.params.webhookId, request.body) }),
  );

  app.delete(
    `${BASE}/:webhookId`,
    { schema: { tags, security, summary: 'Delete a webhook endpoint and its delivery log', params: webhookParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await service.remove(actor(request), request.params.id, request.params.webhookId);
      return reply.status(204).send(null);
    },
  );

  app.post(
    `${BASE}/:webhookId/rotate-secret`,
    {
      schema: {
        tags,
        security,
        summary: 'New signing secret (shown once); the old one keeps signing alongside it for 24 h',
        params: webhookParams,
        response: { 200: rotatedResponse },
      },
    },
    async (request) => ({ webhook: await service.rotateSecret(actor(request), request.params.id, request.params.webhookId) }),
  );

  app.get(
    `${BASE}/:webhookId/deliveries`,
    {
      schema: {
        tags,
        security,
        summary: 'Delivery log, newest first',
        params: webhookParams,
        querystring: listQuery,
        response: { 200: webhookDeliveryList },
      },
    },
    async (request) => service.listDeliveries(actor(request), request.params.id, request.params.webhookId, request.query),
  );

  app.post(
    `${BASE}/:webhookId/deliveries/:deliveryId/redeliver`,
    {
      schema: {
        tags,
        security,
        summary: 'Send a delivery again now, with the same webhook-id',
        params: webhookDeliveryParams,
        response: { 202: webhookDeliveryResponse },
      },
    },
    async (request, reply) =>
      reply.status(202).send({ delivery: await service.redeliver(actor(request), request.params.id, request.params.webhookId, request.params.deliveryId) }),
  );

  app.post(
    `${BASE}/:webhookId/test`,
    {
      schema: {
        tags,
        security,
        summary: 'Queue a test session.status event to this endpoint',
        params: webhookParams,
        response: { 202: webhookDeliveryResponse },
      },
    },
    async (request, reply) => reply.status(202).send({ delivery: await service.sendTest(actor(request), request.params.id, request.params.webhookId) }),
  );
};
