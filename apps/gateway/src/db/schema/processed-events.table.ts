import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Ingest dedupe: a worker event id seen once is never processed twice. */
export const processedEvents = pgTable(
  'processed_events',
  {
    eventId: text('event_id').primaryKey(),
    sessionId: text('session_id').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('processed_events_processed_at_idx').on(t.processedAt)],
);

export type ProcessedEventRow = typeof processedEvents.$inferSelect;
