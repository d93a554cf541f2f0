import { ValidationError, type UsageQuery, type UsageResponse } from '@wagate/contracts';
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { ownedBy, schema, type Database } from '../../db/index.js';

const { usageRecords } = schema;
const DAY_MS = 86_400_000;
const MAX_DAYS = 366;

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export function createUsageService(deps: { db: Database }) {
  return {
    /** The user's usage by UTC day between `from` and `to` (inclusive). */
    async byDay(userId: string, query: UsageQuery): Promise<UsageResponse> {
      const to = query.to ? new Date(`${query.to}T00:00:00Z`) : new Date(`${isoDay(new Date())}T00:00:00Z`);
      const from = query.from ? new Date(`${query.from}T00:00:00Z`) : new Date(to.getTime() - 29 * DAY_MS);
      if (from > to) throw new ValidationError([{ path: 'query.from', message: 'must not be after to' }]);
      if ((to.getTime() - from.getTime()) / DAY_MS >= MAX_DAYS) throw new ValidationError([{ path: 'query.from', message: `at most ${MAX_DAYS} days at once` }]);
      const day = sql<string>`to_char(${usageRecords.periodStart} at time zone 'UTC', 'YYYY-MM-DD')`;
      const where = [ownedBy(usageRecords, userId), gte(usageRecords.periodStart, from), lt(usageRecords.periodStart, new Date(to.getTime() + DAY_MS))];
      if (query.sessionId) where.push(eq(usageRecords.sessionId, query.sessionId));
      const rows = await deps.db
        .select({ day, metric: usageRecords.metric, count: sql<number>`sum(${usageRecords.count})`.mapWith(Number) })
        .from(usageRecords)
        .where(and(...where))
        .groupBy(day, usageRecords.metric)
        .orderBy(day, usageRecords.metric);
      const days = new Map<string, Record<string, number>>();
      const totals: Record<string, number> = {};
      for (const row of rows) {
        const metrics = days.get(row.day) ?? {};
        metrics[row.metric] = row.count;
        days.set(row.day, metrics);
        totals[row.metric] = (totals[row.metric] ?? 0) + row.count;
      }
      return { from: isoDay(from), to: isoDay(to), days: [...days].map(([date, metrics]) => ({ date, metrics })), totals };
    },

    /** Platform-wide totals of some metrics since a moment (admin stats). */
    async totalsSince(since: Date, metrics: string[]): Promise<Record<string, number>> {
      const rows = await deps.db
        .select({ metric: usageRecords.metric, count: sql<number>`sum(${usageRecords.count})`.mapWith(Number) })
        .from(usageRecords)
        .where(and(gte(usageRecords.periodStart, since), inArray(usageRecords.metric, metrics)))
        .groupBy(usageRecords.metric);
      return Object.fromEntries(metrics.map((m) => [m, rows.find((r) => r.metric === m)?.count ?? 0]));
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
