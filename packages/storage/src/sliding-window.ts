import type { RateLimitResult, RateLimitRule } from './coordinator.js';

/**
 * The bucketed sliding window shared by both coordinators (the Redis Lua script mirrors it line
 * for line). A window of `windowMs` is split into buckets of `bucketWidthMs`; a check counts every
 * bucket that may hold a unit younger than `windowMs`, i.e. buckets from floor((now - windowMs) / w)
 * to the current one. Counting the partly-covered oldest bucket in full is what makes it
 * conservative: the admitted units in ANY interval of `windowMs` never exceed `limit`, at the price
 * of a window up to one bucket (1/60) longer.
 */
export const MAX_BUCKETS = 60;

/** Width of one bucket; at least 1 ms so tiny windows get fewer, 1 ms buckets. */
export function bucketWidthMs(windowMs: number): number {
  return Math.max(1, Math.ceil(windowMs / MAX_BUCKETS));
}

/** Validated rule with the default cost applied; throws RangeError for a rule that can never work. */
export function normaliseRule(rule: RateLimitRule): Required<RateLimitRule> {
  const cost = rule.cost ?? 1;
  if (!Number.isSafeInteger(rule.limit) || rule.limit < 1) throw new RangeError(`rate limit must be a positive integer, got ${rule.limit}`);
  if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) throw new RangeError(`rate window must be a positive integer of ms, got ${rule.windowMs}`);
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`rate cost must be a non-negative integer, got ${cost}`);
  if (cost > rule.limit) throw new RangeError(`rate cost ${cost} exceeds the limit ${rule.limit} and could never be admitted`);
  return { limit: rule.limit, windowMs: rule.windowMs, cost };
}

/**
 * Evaluates one check at `now` against `buckets` (bucket index → units) and, when admitted, adds
 * the cost to the current bucket. Buckets too old to matter are removed. A denial changes no count.
 */
export function checkSlidingWindow(buckets: Map<number, number>, now: number, rule: Required<RateLimitRule>): RateLimitResult {
  const { limit, windowMs, cost } = rule;
  const width = bucketWidthMs(windowMs);
  const current = Math.floor(now / width);
  const oldest = Math.floor((now - windowMs) / width);
  let sum = 0;
  for (const [index, units] of buckets) {
    if (index < oldest) buckets.delete(index);
    else sum += units;
  }
  const allowed = sum + cost <= limit;
  if (allowed && cost > 0) {
    buckets.set(current, (buckets.get(current) ?? 0) + cost);
    sum += cost;
  }
  // Bucket i stops being counted at (i + 1) * width + windowMs.
  const leaves = (index: number): number => (index + 1) * width + windowMs - now;
  const ordered = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  const newest = ordered.at(-1);
  const resetMs = sum > 0 && newest ? Math.max(0, leaves(newest[0])) : 0;
  let retryAfterMs = 0;
  if (!allowed) {
    let left = sum;
    for (const [index, units] of ordered) {
      left -= units;
      if (left + cost <= limit) {
        retryAfterMs = Math.max(1, leaves(index));
        break;
      }
    }
  }
  return { allowed, limit, remaining: Math.max(0, limit - sum), resetMs, retryAfterMs };
}
