import { z } from 'zod';
import { id, userTier } from './common.js';

/** Calendar day in UTC, `YYYY-MM-DD`. */
export const utcDate = z.iso.date();

/** `GET /api/v1/usage?from=&to=&sessionId=`: the caller's usage by UTC day (default: the last 30 days). */
export const usageQuery = z.strictObject({
  from: utcDate.optional(),
  to: utcDate.optional(),
  sessionId: id.optional(),
});
export type UsageQuery = z.infer<typeof usageQuery>;

/** Counts by metric: `api.calls`, `messages.sent`, `messages.sent.<type>`, `messages.received`. */
export const usageMetrics = z.record(z.string(), z.int().min(0));

export const usageResponse = z.object({
  from: utcDate,
  to: utcDate,
  /** Only days with any usage, oldest first. */
  days: z.array(z.object({ date: utcDate, metrics: usageMetrics })),
  totals: usageMetrics,
  /** What the caller's tier allows, so a client draws usage against it without copying numbers. */
  limits: z
    .object({
      tier: userTier,
      messagesPerHour: z.int().min(0),
      apiCallsPerHour: z.int().min(0),
      sessions: z.int().min(0),
    })
    .optional(),
});
export type UsageResponse = z.infer<typeof usageResponse>;
