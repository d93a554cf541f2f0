// Refresh tokens: `<id>.<secret>`, only the SHA-256 of the secret stored.
import { and, eq, isNull } from 'drizzle-orm';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { schema, type Executor } from '../../db/index.js';

const { refreshTokens } = schema;

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export function parseRefreshToken(token: string): { id: string; secret: string } | null {
  const m = /^(rtk_[A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : null;
}

export function createRefreshTokensRepository(db: Executor) {
  return {
    /** Issues a token in `familyId` (a new family when omitted). */
    async issue(input: { userId: string; familyId?: string; ttlMs: number }, tx: Executor = db): Promise<string> {
      const id = `rtk_${randomBytes(16).toString('base64url')}`;
      const secret = randomBytes(32).toString('base64url');
      await tx.insert(refreshTokens).values({
        id,
        userId: input.userId,
        familyId: input.familyId ?? id,
        tokenHash: sha256(secret),
        expiresAt: new Date(Date.now() + input.ttlMs),
      });
      return `${id}.${secret}`;
    },

    /** The row whose id and secret both match, else undefined. */
    async find(token: string, tx: Executor = db): Promise<schema.RefreshTokenRow | undefined> {
      const parsed = parseRefreshToken(token);
      if (!parsed) return undefined;
      const [row] = await tx.select().from(refreshTokens).where(eq(refreshTokens.id, parsed.id)).limit(1);
      if (!row) return undefined;
      const a = Buffer.from(row.tokenHash, 'hex');
      const b = Buffer.from(sha256(parsed.secret), 'hex');
      return a.length === b.length && timingSafeEqual(a, b) ? row : undefined;
    },

    /** Marks the token spent; false when someone else spent it first (a concurrent reuse). */
    async markUsed(id: string, tx: Executor = db): Promise<boolean> {
      const rows = await tx
        .update(refreshTokens)
        .set({ usedAt: new Date() })
        .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt)))
        .returning({ id: refreshTokens.id });
      return rows.length === 1;
    },

    async revokeFamily(familyId: string, tx: Executor = db): Promise<void> {
      await tx.update(refreshTokens).set({ revokedAt: new Date() }).where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
    },

    async revokeAllForUser(userId: string, tx: Executor = db): Promise<void> {
      await tx.update(refreshTokens).set({ revokedAt: new Date() }).where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
    },
  };
}

export type RefreshTokensRepository = ReturnType<typeof createRefreshTokensRepository>;
