import { sql } from 'drizzle-orm';
import { boolean, check, pgEnum, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { newId } from '../ids.js';

export const userRole = pgEnum('user_role', ['USER', 'ADMIN']);
export const userTier = pgEnum('user_tier', ['BASIC', 'PRO', 'MAX']);

export const users = pgTable('users', {
  id: text('id').primaryKey().$defaultFn(() => newId('usr')),
  /** Stored lowercase (enforced by a check); callers normalise before insert and lookup. */
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: userRole('role').notNull().default('USER'),
  tier: userTier('tier').notNull().default('BASIC'),
  isActive: boolean('is_active').notNull().default(true),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow().$onUpdate(() => new Date()),
}, (t) => [
  // The unique index only prevents duplicates if every writer lowercases; the check makes a missed one fail loudly.
  check('users_email_lowercase', sql`${t.email} = lower(${t.email})`),
]);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
