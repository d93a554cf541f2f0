import { index, integer, pgTable, real, text, timestamp } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';
import { workers } from './workers.table.js';

export const workerMetrics = pgTable(
  'worker_metrics',
  {
    id: text('id').primaryKey().$defaultFn(() => newId('wmt')),
    workerId: text('worker_id').notNull().references(() => workers.id, { onDelete: 'cascade' }),
    sampledAt: timestamp('sampled_at', { withTimezone: true }).notNull().defaultNow(),
    sessionCount: integer('session_count').notNull(),
    cpuUsage: real('cpu_usage').notNull(),
    memoryUsage: real('memory_usage').notNull(),
  },
  (t) => [index('worker_metrics_worker_sampled_idx').on(t.workerId, t.sampledAt)],
);

export type WorkerMetricRow = typeof workerMetrics.$inferSelect;
export type NewWorkerMetricRow = typeof workerMetrics.$inferInsert;
