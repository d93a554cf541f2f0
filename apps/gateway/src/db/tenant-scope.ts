// Every tenant-owned query goes through these: another user's object simply does not match (→ 404).
import { and, eq } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/** `where user_id = $userId`. */
export function ownedBy(table: { userId: PgColumn }, userId: string): SQL {
  return eq(table.userId, userId);
}

/** `where id = $id and user_id = $userId`: the one row, only if `userId` owns it. */
export function ownedRow(table: { id: PgColumn; userId: PgColumn }, id: string, userId: string): SQL {
  // and() of two defined conditions is always defined.
  return and(eq(table.id, id), eq(table.userId, userId)) as SQL;
}
