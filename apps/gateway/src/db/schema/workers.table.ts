import { integer, pgEnum, pgTable, real, text, timestamp } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';

export const workerStatus = pgEnum('worker_status', ['ONLINE', 'OFFLINE', 'DRAINING']);
export const workerSource = pgEnum('worker_source', ['manual', 'self', 'k8s']);

export const workers = pgTable('workers', {
  id: text('id').primaryKey().$defaultFn(() => newId('wkr')),
  endpoint: text('endpoint').notNull().unique(),
  status: workerStatus('status').notNull().default('OFFLINE'),
  maxSessions: integer('max_sessions').notNull(),
  sessionCount: integer('session_count').notNull().default(0),
  cpuUsage: real('cpu_usage').notNull().default(0),
  memoryUsage: real('memory_usage').notNull().default(0),
  lastHeartbeat: timestamp('last_heartbeat', { withTimezone: true }),
  /** SHA-256 hex of the worker's token; the token itself is never stored. */
  tokenHash: text('token_hash'),
  source: workerSource('source').notNull().default('manual'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow().$onUpdate(() => new Date()),
});

export type WorkerRow = typeof workers.$inferSelect;
export type NewWorkerRow = typeof workers.$inferInsert;
