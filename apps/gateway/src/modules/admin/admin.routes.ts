import {
  adminStats,
  adminUpdateUserBody,
  adminUserList,
  adminUserListQuery,
  adminUserResponse,
  idParams,
  problemResponses,
  systemLogList,
  systemLogListQuery,
} from '@wagate/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principalOf, requireAdmin, type Authenticator } from '../../http/authenticate.js';
import type { SystemLogsRepository } from '../system-logs/index.js';
import type { AdminStatsService } from './admin-stats.service.js';
import type { AdminUsersService } from './admin-users.service.js';

export const adminRoutes: FastifyPluginAsyncZod<{
  authenticator: Authenticator;
  users: AdminUsersService;
  stats: AdminStatsService;
  systemLogs: SystemLogsRepository;
}> = async (app, deps) => {
  const preHandler = requireAdmin(deps.authenticator);
  const tags = ['admin'];
  const security = [{ bearer: [] }];
  const denied = problemResponses('UNAUTHORIZED', 'FORBIDDEN');

  app.get(
    '/api/v1/admin/users',
    { preHandler, schema: { tags, security, summary: 'List users', querystring: adminUserListQuery, response: { 200: adminUserList, ...denied, ...problemResponses('VALIDATION_FAILED') } } },
    async (request) => deps.users.list(request.query),
  );

  app.patch(
    '/api/v1/admin/users/:id',
    {
      preHandler,
      schema: { tags, security, summary: "Change a user's tier, role or active flag (deactivation cuts off tokens and keys at once)", params: idParams, body: adminUpdateUserBody, response: { 200: adminUserResponse, ...denied, ...problemResponses('VALIDATION_FAILED', 'NOT_FOUND', 'CONFLICT') } },
    },
    async (request) => deps.users.update(principalOf(request, 'user').userId, request.params.id, request.body),
  );

  app.get(
    '/api/v1/admin/logs',
    { preHandler, schema: { tags, security, summary: 'System log, newest first', querystring: systemLogListQuery, response: { 200: systemLogList, ...denied, ...problemResponses('VALIDATION_FAILED') } } },
    async (request) => {
      const q = request.query;
      const page = await deps.systemLogs.list({
        limit: q.limit, cursor: q.cursor, userId: q.userId, category: q.category, level: q.level,
        sessionId: q.sessionId, workerId: q.workerId, since: q.since ? new Date(q.since) : undefined,
      });
      return {
        data: page.data.map((row) => ({ ...row, metadata: row.metadata ?? null, createdAt: row.createdAt.toISOString() })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/api/v1/admin/stats',
    { preHandler, schema: { tags, security, summary: 'Platform counts', response: { 200: adminStats, ...denied } } },
    async () => deps.stats.stats(),
  );
};
