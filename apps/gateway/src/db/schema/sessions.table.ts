import { index, integer, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';
import { users } from './users.table.js';
import { workers } from './workers.table.js';

export const sessionStatus = pgEnum('session_status', ['DISCONNECTED', 'CONNECTING', 'QR_READY', 'CONNECTED', 'LOGGED_OUT', 'FAILED']);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey().$defaultFn(() => newId('ses')),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    status: sessionStatus('status').notNull().default('DISCONNECTED'),
    phoneNumber: text('phone_number'),
    workerId: text('worker_id').references(() => workers.id, { onDelete: 'set null' }),
    /** Bumped on every reassignment; a worker's stale epoch is refused (DESIGN.md §5). */
    epoch: integer('epoch').notNull().default(0),
    lastActivityAt: timestamp('last_activity_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow().$onUpdate(() => new Date()),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId), index('sessions_worker_id_idx').on(t.workerId)],
);

export type SessionRow = typeof sessions.$inferSelect;
export type NewSessionRow = typeof sessions.$inferInsert;
