// What every authenticated request needs to know about its user, cached briefly in the Coordinator.
// Writers call `invalidate` after any change, so a deactivation or role change applies at once on
// every replica (they share the Coordinator).
import type { UserRole, UserTier } from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';
import type { FastifyBaseLogger } from 'fastify';
import type { UsersRepository } from './users.repository.js';

export interface UserStatus {
  role: UserRole;
  tier: UserTier;
  isActive: boolean;
}

export interface UserStatusCache {
  /** The user's current role/tier/active flag; null when the user does not exist. */
  get(userId: string): Promise<UserStatus | null>;
  invalidate(userId: string): Promise<void>;
}

const TTL_MS = 30_000;
/**
 * `invalidate` leaves this marker for a few seconds instead of deleting the key, and readers
 * cache only into an absent key. A reader that fetched the row just before a change can then
 * not put the old state back after the invalidation.
 */
const TOMBSTONE = '-';
const TOMBSTONE_MS = 5_000;
/** The Coordinator key of a user's cached status (tests that edit users in SQL drop it). */
export const userStatusCacheKey = (userId: string) => `identity:user-status:${userId}`;
const key = userStatusCacheKey;

/**
 * A Coordinator outage degrades to reading the database on every request rather than failing
 * authentication; the cache is only an optimisation.
 */
export function createUserStatusCache(deps: { coordinator: Coordinator; users: UsersRepository; logger?: FastifyBaseLogger }): UserStatusCache {
  const warn = (error: unknown) => deps.logger?.warn({ err: error }, 'user status cache unavailable; reading the database');
  return {
    async get(userId) {
      const cached = await deps.coordinator.get(key(userId)).catch((error: unknown) => (warn(error), null));
      if (cached !== null && cached !== TOMBSTONE) return JSON.parse(cached) as UserStatus;
      const row = await deps.users.findById(userId);
      if (!row) return null;
      const status: UserStatus = { role: row.role, tier: row.tier, isActive: row.isActive };
      if (cached === null) await deps.coordinator.setIfAbsent(key(userId), JSON.stringify(status), TTL_MS).catch(warn);
      return status;
    },
    async invalidate(userId) {
      await deps.coordinator.set(key(userId), TOMBSTONE, TOMBSTONE_MS);
    },
  };
}
