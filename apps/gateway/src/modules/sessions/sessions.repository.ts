// Session rows. Tenant reads go through ownedRow/ownedBy; writes take an Executor so a use case
// can join them with API keys (create, delete) in one transaction.
import type { SessionStatus, UserTier } from '@wagate/contracts';
import { and, count, desc, eq, inArray } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { createdMicros, keysetPage, olderThanCursor, ownedBy, ownedRow, schema } from '../../db/index.js';
import type { Database, Executor } from '../../db/index.js';

const { sessions, users } = schema;

export type SessionRow = schema.SessionRow;

export interface SessionPage {
  data: SessionRow[];
  nextCursor: string | null;
}

export interface ListSessionsInput {
  limit: number;
  cursor?: string | undefined;
}

export interface ListAllSessionsInput extends ListSessionsInput {
  status?: SessionStatus | undefined;
  userId?: string | undefined;
  workerId?: string | undefined;
}

export interface StatusChange {
  status: SessionStatus;
  /** `undefined` keeps the number; `null` clears it (a logged-out device has no number). */
  phoneNumber?: string | null;
  /** Only when the row's status is one of these (a worker event may have moved it meanwhile). */
  onlyFrom?: readonly SessionStatus[];
}

export interface SessionsRepository {
  /** The session if `userId` owns it; another user's session reads as absent (→ 404). */
  findOwned(id: string, userId: string, tx?: Executor): Promise<SessionRow | null>;
  /** Any user's session: admins and internal callers (events ingest) only. */
  findById(id: string, tx?: Executor): Promise<SessionRow | null>;
  /** Newest first, with an opaque cursor. */
  listOwned(userId: string, input: ListSessionsInput): Promise<SessionPage>;
  listAll(input: ListAllSessionsInput): Promise<SessionPage>;
  countOwned(userId: string, tx?: Executor): Promise<number>;
  /**
   * Locks the owner's user row until the transaction ends: concurrent creates of one user run one
   * after the other, so a tier cap counted inside the lock cannot be overshot. Answers the owner's tier.
   */
  lockOwner(tx: Executor, userId: string): Promise<UserTier | null>;
  insert(tx: Executor, input: { userId: string; name: string }): Promise<SessionRow>;
  /** Sets the status (and phone); null when the row is gone or `onlyFrom` did not match. */
  setStatus(id: string, change: StatusChange, tx?: Executor): Promise<SessionRow | null>;
  delete(id: string, tx?: Executor): Promise<boolean>;
}

export function createSessionsRepository(db: Database): SessionsRepository {
  const micros = createdMicros(sessions.createdAt);

  async function page(where: SQL[], input: ListSessionsInput): Promise<SessionPage> {
    const older = olderThanCursor(sessions.createdAt, sessions.id, input.cursor);
    if (older) where.push(older);
    const rows = await db
      .select({ row: sessions, micros })
      .from(sessions)
      .where(where.length > 0 ? and(...where) : undefined)
      .orderBy(desc(sessions.createdAt), desc(sessions.id))
      .limit(input.limit + 1);
    return keysetPage(rows, input.limit);
  }

  return {
    async findOwned(id, userId, tx = db) {
      const [row] = await tx.select().from(sessions).where(ownedRow(sessions, id, userId)).limit(1);
      return row ?? null;
    },

    async findById(id, tx = db) {
      const [row] = await tx.select().from(sessions).where(eq(sessions.id, id)).limit(1);
      return row ?? null;
    },

    listOwned(userId, input) {
      return page([ownedBy(sessions, userId)], input);
    },

    listAll(input) {
      const where: SQL[] = [];
      if (input.status !== undefined) where.push(eq(sessions.status, input.status));
      if (input.userId !== undefined) where.push(ownedBy(sessions, input.userId));
      if (input.workerId !== undefined) where.push(eq(sessions.workerId, input.workerId));
      return page(where, input);
    },

    async countOwned(userId, tx = db) {
      const [row] = await tx.select({ n: count() }).from(sessions).where(ownedBy(sessions, userId));
      return row?.n ?? 0;
    },

    async lockOwner(tx, userId) {
      const [row] = await tx.select({ tier: users.tier }).from(users).where(eq(users.id, userId)).for('update');
      return row?.tier ?? null;
    },

    async insert(tx, input) {
      const [row] = await tx.insert(sessions).values({ userId: input.userId, name: input.name, status: 'DISCONNECTED' }).returning();
      return row!;
    },

    async setStatus(id, change, tx = db) {
      const where: SQL[] = [eq(sessions.id, id)];
      if (change.onlyFrom !== undefined) where.push(inArray(sessions.status, [...change.onlyFrom]));
      const [row] = await tx
        .update(sessions)
        .set({ status: change.status, ...(change.phoneNumber === undefined ? {} : { phoneNumber: change.phoneNumber }), updatedAt: new Date() })
        .where(and(...where))
        .returning();
      return row ?? null;
    },

    async delete(id, tx = db) {
      const rows = await tx.delete(sessions).where(eq(sessions.id, id)).returning({ id: sessions.id });
      return rows.length > 0;
    },
  };
}
