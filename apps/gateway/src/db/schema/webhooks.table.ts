import { boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';
import { sessions } from './sessions.table.js';
import { users } from './users.table.js';

export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey().$defaultFn(() => newId('whk')),
    sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events').array().notNull(),
    /** The signing secret, encrypted at rest. */
    secretCiphertext: text('secret_ciphertext').notNull(),
    /** The secret before the last rotation, still accepted until `previousSecretExpiresAt`. */
    previousSecretCiphertext: text('previous_secret_ciphertext'),
    previousSecretExpiresAt: timestamp('previous_secret_expires_at', { withTimezone: true }),
    isActive: boolean('is_active').notNull().default(true),
    failureCount: integer('failure_count').notNull().default(0),
    /** Start of the current run of failed attempts (null after a success); auto-disable needs failure sustained over time, not a burst. */
    failingSince: timestamp('failing_since', { withTimezone: true }),
    disabledReason: text('disabled_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow().$onUpdate(() => new Date()),
  },
  (t) => [index('webhooks_session_id_idx').on(t.sessionId), index('webhooks_user_id_idx').on(t.userId)],
);

export type WebhookRow = typeof webhooks.$inferSelect;
export type NewWebhookRow = typeof webhooks.$inferInsert;
