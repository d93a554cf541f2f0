import type { UserTier } from '@wagate/contracts';
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { createdMicros, keysetPage, olderThanCursor, ownedRow, schema, type Executor } from '../../db/index.js';

const { apiKeys, sessions, users } = schema;
export type ApiKeyRow = schema.ApiKeyRow;

export interface ApiKeyLookup {
  key: ApiKeyRow;
  userActive: boolean;
  tier: UserTier;
}


export function createApiKeysRepository(db: Executor) {
  return {
    /** Whether `userId` owns session `sessionId` (another user's session reads as absent). */
    async sessionOwned(sessionId: string, userId: string): Promise<boolean> {
      const [row] = await db.select({ id: sessions.id }).from(sessions).where(ownedRow(sessions, sessionId, userId)).limit(1);
      return row !== undefined;
    },

    async insert(values: schema.NewApiKeyRow, tx: Executor = db): Promise<ApiKeyRow> {
      const [row] = await tx.insert(apiKeys).values(values).returning();
      return row!;
    },

    /** Live (unrevoked) keys of one owned session, newest first. */
    async listForSession(input: { sessionId: string; userId: string; limit: number; cursor?: string | undefined }) {
      const where: SQL[] = [eq(apiKeys.sessionId, input.sessionId), eq(apiKeys.userId, input.userId), isNull(apiKeys.revokedAt)];
      const older = olderThanCursor(apiKeys.createdAt, apiKeys.id, input.cursor);
      if (older) where.push(older);
      const rows = await db
        .select({ row: apiKeys, micros: createdMicros(apiKeys.createdAt) })
        .from(apiKeys)
        .where(and(...where))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .limit(input.limit + 1);
      return keysetPage(rows, input.limit);
    },

    /** Revokes one key of an owned session; undefined when there is no such live key. */
    async revoke(input: { keyId: string; sessionId: string; userId: string }): Promise<ApiKeyRow | undefined> {
      const [row] = await db
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(ownedRow(apiKeys, input.keyId, input.userId), eq(apiKeys.sessionId, input.sessionId), isNull(apiKeys.revokedAt)))
        .returning();
      return row;
    },

    async revokeAllForSession(sessionId: string, tx: Executor = db): Promise<number> {
      const rows = await tx
        .update(apiKeys)
        .set({ revokedAt: new Date() })
        .where(and(eq(apiKeys.sessionId, sessionId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      return rows.length;
    },

    /** The key with its owner's current state, in one indexed lookup. */
    async findByHash(keyHash: string): Promise<ApiKeyLookup | undefined> {
      const [row] = await db
        .select({ key: apiKeys, userActive: users.isActive, tier: users.tier })
        .from(apiKeys)
        .innerJoin(users, eq(users.id, apiKeys.userId))
        .where(eq(apiKeys.keyHash, keyHash))
        .limit(1);
      return row;
    },

    /** Records use; only moves forward, so out-of-order writers never rewind it. */
    async touch(keyId: string, at: Date): Promise<void> {
      await db
        .update(apiKeys)
        .set({ lastUsedAt: at })
        .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, at))));
    },

    /** Live keys of every session of a user (for audits and stats). */
    async countLive(userId: string): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)`.mapWith(Number) })
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, new Date()))));
      return row?.n ?? 0;
    },
  };
}

export type ApiKeysRepository = ReturnType<typeof createApiKeysRepository>;
