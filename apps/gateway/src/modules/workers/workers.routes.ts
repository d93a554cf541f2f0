import {
  addWorkerBody,
  listQuery,
  problemResponses,
  workerHeartbeatBody,
  workerHeartbeatResponse,
  workerIdParams,
  workerList,
  workerParams,
  workerRegisterBody,
  workerRegisterResponse,
  workerResponse,
  UnauthorizedError,
} from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, requireAdmin, requireWorker, type Authenticator } from '../../http/authenticate.js';
import type { WorkerRow } from './workers.repository.js';
import { workerView, type WorkersService } from './workers.service.js';

export interface WorkersRoutesOptions {
  service: WorkersService;
  authenticator: Authenticator;
  /** Called when an admin drains a worker, before the worker is told; the migration step of issue 8. */
  onDraining?: (worker: WorkerRow) => Promise<void>;
}

/** OpenAPI: internal routes take a worker token; admin routes a dashboard JWT. */
const workerSecurity = [{ workerToken: [] as string[] }];
const adminSecurity = [{ bearer: [] as string[] }];

/** Worker → gateway: registration (bootstrap token) and heartbeats (the worker's own token). */
export const internalWorkersRoutes: FastifyPluginAsyncZod<WorkersRoutesOptions> = async (app, { service, authenticator }) => {
  app.post(
    '/api/v1/internal/workers/register',
    {
      preHandler: requireWorker(authenticator, { allowBootstrap: true }),
      schema: {
        tags: ['internal'],
        security: workerSecurity,
        summary: 'A worker registers itself and receives its own token',
        body: workerRegisterBody,
        response: { 200: workerRegisterResponse, ...problemResponses('VALIDATION_FAILED', 'UNAUTHORIZED') },
      },
    },
    async (request) => service.register(request.body, principalOf(request, 'worker').workerId),
  );

  app.post(
    '/api/v1/internal/workers/:id/heartbeat',
    {
      preHandler: requireWorker(authenticator),
      // Every worker beats every few seconds: per-request info lines would drown the log.
      logLevel: 'warn',
      schema: {
        tags: ['internal'],
        security: workerSecurity,
        summary: 'Renews a worker lease, reports load, answers sessions to drop',
        params: workerIdParams,
        body: workerHeartbeatBody,
        response: { 200: workerHeartbeatResponse, ...problemResponses('VALIDATION_FAILED', 'UNAUTHORIZED') },
      },
    },
    async (request) => {
      // Worker A's token never beats for worker B: answered like any bad credential.
      if (principalOf(request, 'worker').workerId !== request.params.id) throw new UnauthorizedError('A valid worker token is required.');
      return service.heartbeat(request.params.id, request.body);
    },
  );
};

/** Admin: the worker fleet. */
export const adminWorkersRoutes: FastifyPluginAsyncZod<WorkersRoutesOptions> = async (app, { service, authenticator, onDraining }) => {
  const admin = requireAdmin(authenticator);
  const errors = problemResponses('UNAUTHORIZED', 'FORBIDDEN');

  app.get(
    '/api/v1/admin/workers',
    { preHandler: admin, schema: { tags: ['admin'], security: adminSecurity, summary: 'Lists workers', querystring: listQuery, response: { 200: workerList, ...errors, ...problemResponses('VALIDATION_FAILED') } } },
    async (request) => {
      const page = await service.list(request.query);
      return { data: page.data.map(workerView), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/api/v1/admin/workers',
    {
      preHandler: admin,
      schema: {
        tags: ['admin'],
        security: adminSecurity,
        summary: 'Registers a worker by hand after a health check',
        body: addWorkerBody,
        response: { 201: workerResponse, ...errors, ...problemResponses('VALIDATION_FAILED', 'CONFLICT', 'UNPROCESSABLE') },
      },
    },
    async (request, reply) => {
      const worker = await service.add(request.body, principalOf(request, 'user').userId);
      return reply.status(201).send({ worker });
    },
  );

  app.post(
    '/api/v1/admin/workers/:id/drain',
    {
      preHandler: admin,
      schema: { tags: ['admin'], security: adminSecurity, summary: 'Stops placing sessions on a worker and drains it', params: workerParams, response: { 202: workerResponse, ...errors, ...problemResponses('NOT_FOUND') } },
    },
    async (request, reply) => {
      const worker = await service.drain(request.params.id, principalOf(request, 'user').userId, onDraining);
      return reply.status(202).send({ worker });
    },
  );

  app.delete(
    '/api/v1/admin/workers/:id',
    { preHandler: admin, schema: { tags: ['admin'], security: adminSecurity, summary: 'Removes a worker from the registry', params: workerParams, response: { 204: z.null(), ...errors, ...problemResponses('NOT_FOUND') } } },
    async (request, reply) => {
      await service.remove(request.params.id, principalOf(request, 'user').userId);
      return reply.status(204).send(null);
    },
  );
};
