import { index, integer, jsonb, pgTable, text, timestamp, unique } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    id: text('id').primaryKey().$defaultFn(() => newId('idm')),
    /** Who the key belongs to, e.g. `key_…:POST /v1/messages`. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the request, so a reused key with a different body is refused. */
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body').$type<unknown>(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique('idempotency_keys_scope_key_uq').on(t.scope, t.key), index('idempotency_keys_expires_at_idx').on(t.expiresAt)],
);

export type IdempotencyKeyRow = typeof idempotencyKeys.$inferSelect;
export type NewIdempotencyKeyRow = typeof idempotencyKeys.$inferInsert;
