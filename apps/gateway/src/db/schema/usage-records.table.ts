import { bigint, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';
import { users } from './users.table.js';

export const usageRecords = pgTable(
  'usage_records',
  {
    id: text('id').primaryKey().$defaultFn(() => newId('usg')),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    /** No FK: usage outlives the session/key it was counted for. */
    sessionId: text('session_id'),
    apiKeyId: text('api_key_id'),
    /** Start of the hour bucket. */
    periodStart: timestamp('period_start', { withTimezone: true }).notNull(),
    metric: text('metric').notNull(),
    count: bigint('count', { mode: 'number' }).notNull().default(0),
  },
  // NULLS NOT DISTINCT (PostgreSQL 15+) so a user-level row (no session/key) is still one row per bucket.
  (t) => [unique('usage_records_bucket_uq').on(t.userId, t.sessionId, t.apiKeyId, t.periodStart, t.metric).nullsNotDistinct()],
);

export type UsageRecordRow = typeof usageRecords.$inferSelect;
export type NewUsageRecordRow = typeof usageRecords.$inferInsert;
