import { SESSION_STATUSES, type AdminStats, type SessionStatus } from '@wagate/contracts';
import { count, sql } from 'drizzle-orm';
import { schema, type Database } from '../../db/index.js';
import type { UsageService } from '../usage/index.js';
import type { UsersRepository } from '../users/index.js';

const { sessions, workers } = schema;

export function createAdminStatsService(deps: { db: Database; users: UsersRepository; usage: UsageService; flushUsage: () => Promise<void> }) {
  return {
    async stats(): Promise<AdminStats> {
      await deps.flushUsage();
      const since = new Date(Date.now() - 86_400_000);
      const [users, sessionRows, workerRows, messages] = await Promise.all([
        deps.users.counts(),
        deps.db.select({ status: sessions.status, n: count() }).from(sessions).groupBy(sessions.status),
        deps.db
          .select({ status: workers.status, n: count(), capacity: sql<number>`coalesce(sum(${workers.maxSessions}), 0)`.mapWith(Number) })
          .from(workers)
          .groupBy(workers.status),
        // Hour buckets: "last 24 h" covers the buckets starting in the last 24 hours.
        deps.usage.totalsSince(since, ['messages.sent', 'messages.received', 'messages.failed']),
      ]);
      const byStatus = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>;
      for (const row of sessionRows) byStatus[row.status] = row.n;
      const workerCount = (status: string) => workerRows.find((w) => w.status === status)?.n ?? 0;
      return {
        users,
        sessions: { total: sessionRows.reduce((sum, r) => sum + r.n, 0), byStatus },
        workers: {
          total: workerRows.reduce((sum, r) => sum + r.n, 0),
          online: workerCount('ONLINE'),
          draining: workerCount('DRAINING'),
          offline: workerCount('OFFLINE'),
          // Room for sessions on workers that take new ones.
          capacity: workerRows.find((w) => w.status === 'ONLINE')?.capacity ?? 0,
        },
        messages: { sentLast24h: messages['messages.sent'] ?? 0, receivedLast24h: messages['messages.received'] ?? 0, failedLast24h: messages['messages.failed'] ?? 0 },
        generatedAt: new Date().toISOString(),
      };
    },
  };
}

export type AdminStatsService = ReturnType<typeof createAdminStatsService>;
