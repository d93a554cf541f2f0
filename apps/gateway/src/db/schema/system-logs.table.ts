import { index, jsonb, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';

export const logLevel = pgEnum('log_level', ['debug', 'info', 'warn', 'error']);

export const systemLogs = pgTable(
  'system_logs',
  {
    id: text('id').primaryKey().$defaultFn(() => newId('log')),
    level: logLevel('level').notNull(),
    category: text('category').notNull(),
    message: text('message').notNull(),
    /** No FKs: a log line outlives the objects it mentions. */
    userId: text('user_id'),
    sessionId: text('session_id'),
    workerId: text('worker_id'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('system_logs_created_at_idx').on(t.createdAt, t.id), index('system_logs_user_id_idx').on(t.userId, t.createdAt)],
);

export type SystemLogRow = typeof systemLogs.$inferSelect;
export type NewSystemLogRow = typeof systemLogs.$inferInsert;
