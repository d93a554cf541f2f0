import { RateLimitedError, type UserTier } from '@wagate/contracts';
import type { RateLimitResult, RateLimitRule } from '@wagate/storage';
import type { ApiKeyPrincipal } from '../../http/authenticate.js';
import type { ResilientLimiter } from './resilient-limiter.js';
import { RATE_WINDOWS, TIER_LIMITS } from './tiers.js';

/** `RateLimit-*` headers (IETF draft: delta seconds) for a result. */
export function rateLimitHeaders(result: RateLimitResult): Record<string, string> {
  return {
    'RateLimit-Limit': String(result.limit),
    'RateLimit-Remaining': String(result.remaining),
    'RateLimit-Reset': String(Math.ceil(result.resetMs / 1000)),
  };
}

/** Throws the 429 for a denied result, with Retry-After and the RateLimit-* headers. */
export function assertAllowed(result: RateLimitResult, message: string): RateLimitResult {
  if (result.allowed) return result;
  throw new RateLimitedError(message, { ...rateLimitHeaders(result), 'Retry-After': String(Math.max(1, Math.ceil(result.retryAfterMs / 1000))) });
}

export interface LimitsOptions {
  limiter: ResilientLimiter;
  /** Requests per IP per 15 minutes (1,000 by default). */
  ipLimit: number;
  /** Session operations per user per minute (60 by default). */
  sessionOperationsPerMinute: number;
}

export function createLimits(options: LimitsOptions) {
  const { limiter } = options;
  const check = (key: string, rule: RateLimitRule) => limiter.check(key, rule);

  return {
    /** One outbound message against the tier's hourly quota; throws 429 when spent. */
    async consumeMessage(principal: Pick<ApiKeyPrincipal, 'userId' | 'tier'>): Promise<void> {
      const limit = TIER_LIMITS[principal.tier].messagesPerHour;
      assertAllowed(await check(`messages:${principal.userId}`, { limit, windowMs: RATE_WINDOWS.tierHour }), `The ${principal.tier} tier allows ${limit} messages per hour.`);
    },

    /** Connect/disconnect/logout/create/delete: 60 per minute per user. */
    async consumeSessionOperation(userId: string): Promise<void> {
      const limit = options.sessionOperationsPerMinute;
      assertAllowed(await check(`session-ops:${userId}`, { limit, windowMs: RATE_WINDOWS.sessionOperations }), `At most ${limit} session operations per minute.`);
    },

    /** One authenticated API call against the tier's hourly quota; the result feeds the response headers. */
    async consumeApiCall(principal: { userId: string; tier: UserTier }): Promise<RateLimitResult> {
      const limit = TIER_LIMITS[principal.tier].apiCallsPerHour;
      return assertAllowed(await check(`api-calls:${principal.userId}`, { limit, windowMs: RATE_WINDOWS.tierHour }), `The ${principal.tier} tier allows ${limit} API calls per hour.`);
    },

    /** One request from an address, against the global per-IP budget. */
    async consumeIp(ip: string): Promise<RateLimitResult> {
      return assertAllowed(await check(`ip:${ip}`, { limit: options.ipLimit, windowMs: RATE_WINDOWS.ip }), 'Too many requests from this address.');
    },

    /** Reads a budget without spending it (cost 0). */
    peek(key: string, rule: Omit<RateLimitRule, 'cost'>): Promise<RateLimitResult> {
      return check(key, { ...rule, cost: 0 });
    },

    spend(key: string, rule: Omit<RateLimitRule, 'cost'>): Promise<RateLimitResult> {
      return check(key, { ...rule, cost: 1 });
    },

    status: () => limiter.status(),
  };
}

export type Limits = ReturnType<typeof createLimits>;
