import { integer, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';
import { sessions } from './sessions.table.js';

/**
 * Which worker held a session at each epoch, one row per epoch bump (written by the placement that
 * bumps it). The ingest asks it whether a late data event — from a worker the session has since
 * left, e.g. one that was killed and restarted with its journal — comes from an epoch that worker
 * really held. `worker_id` has no foreign key: the history outlives a worker row an admin deletes.
 */
export const sessionPlacements = pgTable(
  'session_placements',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    epoch: integer('epoch').notNull(),
    workerId: text('worker_id').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.epoch] })],
);

export type SessionPlacementRow = typeof sessionPlacements.$inferSelect;
