// Users table access. Emails arrive already lowercased (the contracts' `email` schema does it).
import type { UserRole, UserTier } from '@wagate/contracts';
import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { createdMicros, keysetPage, olderThanCursor, schema, type Executor } from '../../db/index.js';

const { users } = schema;
export type UserRow = schema.UserRow;

export interface UserView {
  id: string;
  email: string;
  role: UserRole;
  tier: UserTier;
  isActive: boolean;
  createdAt: string;
}

/** The API's `user`: an allow-list of fields, so a hash can never be serialised by accident. */
export function userView(row: UserRow): UserView {
  return { id: row.id, email: row.email, role: row.role, tier: row.tier, isActive: row.isActive, createdAt: row.createdAt.toISOString() };
}

export interface UserPatch {
  tier?: UserTier | undefined;
  role?: UserRole | undefined;
  isActive?: boolean | undefined;
}

export interface ListUsersInput {
  limit: number;
  cursor?: string | undefined;
  role?: UserRole | undefined;
  tier?: UserTier | undefined;
}


export function createUsersRepository(db: Executor) {
  return {
    async findById(id: string, tx: Executor = db): Promise<UserRow | undefined> {
      const [row] = await tx.select().from(users).where(eq(users.id, id)).limit(1);
      return row;
    },

    async findByEmail(email: string): Promise<UserRow | undefined> {
      const [row] = await db.select().from(users).where(eq(users.email, email)).limit(1);
      return row;
    },

    /** Inserts unless the email exists; undefined when it does (no exception on the race). */
    async create(input: { email: string; passwordHash: string; role?: UserRole }): Promise<UserRow | undefined> {
      const [row] = await db
        .insert(users)
        .values({ email: input.email, passwordHash: input.passwordHash, role: input.role ?? 'USER' })
        .onConflictDoNothing({ target: users.email })
        .returning();
      return row;
    },

    async update(id: string, patch: UserPatch): Promise<UserRow | undefined> {
      const values: Partial<schema.NewUserRow> = {};
      if (patch.tier !== undefined) values.tier = patch.tier;
      if (patch.role !== undefined) values.role = patch.role;
      if (patch.isActive !== undefined) values.isActive = patch.isActive;
      const [row] = await db.update(users).set({ ...values, updatedAt: new Date() }).where(eq(users.id, id)).returning();
      return row;
    },

    async list(input: ListUsersInput): Promise<{ data: UserRow[]; nextCursor: string | null }> {
      const where: SQL[] = [];
      if (input.role) where.push(eq(users.role, input.role));
      if (input.tier) where.push(eq(users.tier, input.tier));
      const older = olderThanCursor(users.createdAt, users.id, input.cursor);
      if (older) where.push(older);
      const rows = await db
        .select({ row: users, micros: createdMicros(users.createdAt) })
        .from(users)
        .where(where.length ? and(...where) : undefined)
        .orderBy(desc(users.createdAt), desc(users.id))
        .limit(input.limit + 1);
      return keysetPage(rows, input.limit);
    },

    async counts(): Promise<{ total: number; active: number }> {
      const [row] = await db
        .select({ total: count(), active: sql<number>`count(*) filter (where ${users.isActive})`.mapWith(Number) })
        .from(users);
      return { total: row?.total ?? 0, active: row?.active ?? 0 };
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
