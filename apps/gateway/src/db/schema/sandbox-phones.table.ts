import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.table.js';

/**
 * Which user created which virtual phone on the sandbox network. The simulator itself has no
 * notion of tenants; this row is what makes another user's phone a 404. The phone number is the
 * key because the simulator refuses a second phone with the same number.
 */
export const sandboxPhones = pgTable(
  'sandbox_phones',
  {
    phoneNumber: text('phone_number').primaryKey(),
    userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('sandbox_phones_user_id_idx').on(t.userId)],
);

export type SandboxPhoneRow = typeof sandboxPhones.$inferSelect;
export type NewSandboxPhoneRow = typeof sandboxPhones.$inferInsert;
