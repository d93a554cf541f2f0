import type { UserTier } from '@wagate/contracts';

const HOUR = 3_600_000;

/** Per-tier quotas (DESIGN.md §8). */
export const TIER_LIMITS: Record<UserTier, { messagesPerHour: number; apiCallsPerHour: number }> = {
  BASIC: { messagesPerHour: 100, apiCallsPerHour: 1_000 },
  PRO: { messagesPerHour: 1_000, apiCallsPerHour: 10_000 },
  MAX: { messagesPerHour: 10_000, apiCallsPerHour: 100_000 },
};

export const RATE_WINDOWS = {
  tierHour: HOUR,
  ip: 15 * 60_000,
  sessionOperations: 60_000,
  loginFailures: 15 * 60_000,
} as const;
