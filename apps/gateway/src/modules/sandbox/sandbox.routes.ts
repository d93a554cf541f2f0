import {
  createSandboxPhoneBody,
  listOf,
  listQuery,
  okResponse,
  problemResponses,
  sandboxPairingCodeBody,
  sandboxPhone,
  sandboxPhoneMessage,
  sandboxPhoneMessageList,
  sandboxPhoneParams,
  sandboxPhoneResponse,
  sandboxScanBody,
  sandboxSendBody,
  sandboxUnlinkBody,
} from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireUser, type Authenticator } from '../../http/authenticate.js';
import type { SandboxService } from './sandbox.service.js';

export interface SandboxRoutesOptions {
  service: SandboxService;
  authenticator: Authenticator;
}

const tags = ['sandbox'];
const security = [{ bearer: [] as string[] }];
const errors = problemResponses('UNAUTHORIZED', 'NOT_FOUND', 'UNPROCESSABLE', 'SERVICE_UNAVAILABLE');
const base = '/api/v1/sandbox/phones';

export const sandboxRoutes: FastifyPluginAsyncZod<SandboxRoutesOptions> = async (app, { service, authenticator }) => {
  const user = requireUser(authenticator);
  const userId = (request: Parameters<typeof principalOf>[0]) => principalOf(request, 'user').userId;

  app.post(
    base,
    {
      preHandler: user,
      schema: {
        tags,
        security,
        summary: 'Create a virtual phone on the sandbox network (at most SANDBOX_PHONES_PER_USER per user; 403 QUOTA_EXCEEDED beyond)',
        body: createSandboxPhoneBody,
        response: { 201: sandboxPhoneResponse, ...errors, ...problemResponses('VALIDATION_FAILED', 'CONFLICT', 'QUOTA_EXCEEDED') },
      },
    },
    async (request, reply) => reply.status(201).send({ phone: await service.createPhone(userId(request), request.body) }),
  );

  app.get(
    base,
    { preHandler: user, schema: { tags, security, summary: 'Your virtual phones, oldest first', response: { 200: listOf(sandboxPhone), ...errors } } },
    async (request) => ({ data: await service.listPhones(userId(request)), nextCursor: null }),
  );

  app.post(
    `${base}/:phoneNumber/scan`,
    {
      preHandler: user,
      schema: { tags, security, summary: 'The phone scans a QR code and links the session showing it', params: sandboxPhoneParams, body: sandboxScanBody, response: { 200: okResponse, ...errors } },
    },
    async (request) => {
      await service.scan(userId(request), request.params.phoneNumber, request.body.qr);
      return { ok: true as const };
    },
  );

  app.post(
    `${base}/:phoneNumber/pairing-code`,
    {
      preHandler: user,
      schema: { tags, security, summary: 'The phone enters a pairing code shown by a session', params: sandboxPhoneParams, body: sandboxPairingCodeBody, response: { 200: okResponse, ...errors } },
    },
    async (request) => {
      await service.enterPairingCode(userId(request), request.params.phoneNumber, request.body.code);
      return { ok: true as const };
    },
  );

  app.post(
    `${base}/:phoneNumber/messages`,
    {
      preHandler: user,
      schema: {
        tags,
        security,
        summary: "A text message from the virtual phone, e.g. to a session's number",
        params: sandboxPhoneParams,
        body: sandboxSendBody,
        response: { 202: z.object({ message: sandboxPhoneMessage }), ...errors },
      },
    },
    async (request, reply) => {
      const message = await service.sendText(userId(request), request.params.phoneNumber, request.body.to, request.body.text);
      return reply.status(202).send({ message });
    },
  );

  app.get(
    `${base}/:phoneNumber/messages`,
    {
      preHandler: user,
      schema: {
        tags,
        security,
        summary: 'What the virtual phone received (decrypted) and sent, newest first, with receipts',
        params: sandboxPhoneParams,
        querystring: listQuery,
        response: { 200: sandboxPhoneMessageList, ...errors },
      },
    },
    async (request) => service.messages(userId(request), request.params.phoneNumber, request.query),
  );

  app.post(
    `${base}/:phoneNumber/unlink`,
    {
      preHandler: user,
      schema: {
        tags,
        security,
        summary: "The phone removes its linked devices of a session's number (the session is logged out)",
        params: sandboxPhoneParams,
        body: sandboxUnlinkBody,
        response: { 200: z.object({ ok: z.literal(true), unlinked: z.int().min(1) }), ...errors },
      },
    },
    async (request) => ({ ok: true as const, unlinked: await service.unlink(userId(request), request.params.phoneNumber, request.body.sessionPhoneNumber) }),
  );
};
