// Idempotency keys (DESIGN.md §4, API.md): the row is claimed BEFORE the side effect, so two
// concurrent requests with one key cannot both send; the response is stored after it.
import { and, eq, isNull, lte, sql } from 'drizzle-orm';
import { createHash } from 'node:crypto';
import { schema, type Database } from '../../db/index.js';

const { idempotencyKeys } = schema;

export type ClaimResult =
  /** This request owns the key: do the work, then `complete` (or `release` on failure). */
  | { kind: 'claimed'; rowId: string }
  /** An earlier request with the same body finished: answer with its response. */
  | { kind: 'replay'; status: number; body: unknown }
  /** The key was used with a different request within its lifetime. */
  | { kind: 'mismatch' }
  /** An earlier request with the same key is still running. */
  | { kind: 'in-progress' };

export interface ClaimInput {
  /** Who the key belongs to (keys of different sessions never collide). */
  scope: string;
  key: string;
  requestHash: string;
  ttlMs: number;
  /**
   * How long an unanswered claim is held since it was taken or last renewed (`renew`, which the
   * claimant does every CLAIM_RENEW_MS while its request runs). After it, the claim is taken to be
   * abandoned by a gateway that died mid-request and the next retry takes it over, instead of
   * answering 409 "in progress" for the rest of the 24 h.
   */
  claimLeaseMs?: number;
}

/** Three renewals long: a claimant misses two before anyone takes over. */
export const DEFAULT_CLAIM_LEASE_MS = 15_000;
export const CLAIM_RENEW_MS = 5_000;

export interface IdempotencyRepository {
  claim(input: ClaimInput): Promise<ClaimResult>;
  complete(rowId: string, status: number, body: unknown): Promise<void>;
  /** The claimant is still at work: the lease of an unanswered claim starts again. */
  renew(rowId: string): Promise<void>;
  /** Frees a claim whose work failed, so a retry with the same key may try again. */
  release(rowId: string): Promise<void>;
  /** Removes expired rows; returns how many. */
  deleteExpired(): Promise<number>;
}

/** JSON with object keys sorted, so the same request always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function createIdempotencyRepository(db: Database): IdempotencyRepository {
  return {
    async claim({ scope, key, requestHash: hash, ttlMs, claimLeaseMs = DEFAULT_CLAIM_LEASE_MS }) {
      const where = and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
      // An expired key is free again; removing it first lets the insert below claim it.
      await db.delete(idempotencyKeys).where(and(where, lte(idempotencyKeys.expiresAt, sql`now()`)));
      const inserted = await db
        .insert(idempotencyKeys)
        .values({ scope, key, requestHash: hash, expiresAt: new Date(Date.now() + ttlMs) })
        .onConflictDoNothing({ target: [idempotencyKeys.scope, idempotencyKeys.key] })
        .returning({ id: idempotencyKeys.id });
      if (inserted[0]) return { kind: 'claimed', rowId: inserted[0].id };

      const [existing] = await db.select().from(idempotencyKeys).where(where).limit(1);
      // Released between our insert and this read: the caller may simply try again.
      if (!existing) return { kind: 'in-progress' };
      if (existing.requestHash !== hash) return { kind: 'mismatch' };
      if (existing.responseStatus === null) {
        // created_at of an unanswered row is when it was claimed; database time on both sides. The
        // conditional UPDATE lets one of several concurrent retries take over an abandoned claim.
        const [taken] = await db
          .update(idempotencyKeys)
          .set({ createdAt: sql`now()` })
          .where(
            and(
              eq(idempotencyKeys.id, existing.id),
              isNull(idempotencyKeys.responseStatus),
              lte(idempotencyKeys.createdAt, sql`now() - make_interval(secs => ${claimLeaseMs / 1000})`),
            ),
          )
          .returning({ id: idempotencyKeys.id });
        return taken ? { kind: 'claimed', rowId: taken.id } : { kind: 'in-progress' };
      }
      return { kind: 'replay', status: existing.responseStatus, body: existing.responseBody };
    },

    async complete(rowId, status, body) {
      await db.update(idempotencyKeys).set({ responseStatus: status, responseBody: body }).where(eq(idempotencyKeys.id, rowId));
    },

    async renew(rowId) {
      await db.update(idempotencyKeys).set({ createdAt: sql`now()` }).where(and(eq(idempotencyKeys.id, rowId), isNull(idempotencyKeys.responseStatus)));
    },

    async release(rowId) {
      await db.delete(idempotencyKeys).where(eq(idempotencyKeys.id, rowId));
    },

    async deleteExpired() {
      const rows = await db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, sql`now()`)).returning({ id: idempotencyKeys.id });
      return rows.length;
    },
  };
}
