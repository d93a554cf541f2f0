// When a failed delivery is tried again. Pure: the dispatcher passes the attempt count and the
// response, and stores what comes back.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Delay before retry n (index 0 = after the first failed attempt). Roughly ×3–×6 per step,
 * 12 attempts in all (1 immediate + 11 retries) spanning 5 s + 30 s + 2 min + 10 min + 30 min +
 * 1 h + 3 h + 6 h + 12 h + 24 h + 24 h ≈ 70.7 h ≈ 2.9 days before the delivery is marked FAILED.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  5 * SECOND,
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  24 * HOUR,
  24 * HOUR,
];
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;
/** ±20 %: endpoints that failed together (an outage) do not all come back in the same second. */
export const JITTER = 0.2;
/** A Retry-After beyond a day is treated as a day, so one header cannot park a delivery forever. */
export const MAX_RETRY_AFTER_MS = 24 * HOUR;

/**
 * Milliseconds until the next attempt after `attempts` attempts have failed, or null when the
 * schedule is exhausted. `retryAfterMs` (from a 429/503) replaces the scheduled delay.
 */
export function nextRetryDelay(attempts: number, options: { retryAfterMs?: number | null; random?: () => number; schedule?: readonly number[] } = {}): number | null {
  const schedule = options.schedule ?? RETRY_SCHEDULE_MS;
  if (attempts < 1 || attempts > schedule.length) return null;
  if (options.retryAfterMs != null) return Math.min(Math.max(options.retryAfterMs, SECOND), MAX_RETRY_AFTER_MS);
  const base = schedule[attempts - 1]!;
  const random = options.random ?? Math.random;
  return Math.round(base * (1 - JITTER + 2 * JITTER * random()));
}

/** `Retry-After` as delta-seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return null;
  const trimmed = raw.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * SECOND;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

export type AttemptOutcome =
  | { kind: 'delivered' }
  /** 410 Gone: the receiver says the endpoint no longer exists. */
  | { kind: 'gone' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'exhausted' };

/** What to do after an attempt that got `status` (null: no response — network error, timeout, refused address). */
export function classifyAttempt(
  attempts: number,
  status: number | null,
  retryAfterHeader?: string | string[],
  options: { random?: () => number; schedule?: readonly number[]; now?: number } = {},
): AttemptOutcome {
  if (status !== null && status >= 200 && status < 300) return { kind: 'delivered' };
  if (status === 410) return { kind: 'gone' };
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(retryAfterHeader, options.now) : null;
  const delayMs = nextRetryDelay(attempts, { retryAfterMs, ...(options.random ? { random: options.random } : {}), ...(options.schedule ? { schedule: options.schedule } : {}) });
  return delayMs === null ? { kind: 'exhausted' } : { kind: 'retry', delayMs };
}
