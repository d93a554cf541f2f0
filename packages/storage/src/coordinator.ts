/** Result of one rate check; times are milliseconds. */
export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  /** Units still available in the current window after this call. */
  remaining: number;
  /** Milliseconds until the whole window has room again (for `RateLimit-Reset`). */
  resetMs: number;
  /** Milliseconds to wait before `cost` units would be admitted (0 when allowed). */
  retryAfterMs: number;
}

export interface RateLimitRule {
  limit: number;
  windowMs: number;
  /** Units this call consumes; defaults to 1. */
  cost?: number;
}

export type Unsubscribe = () => Promise<void>;

/**
 * Shared, short-lived coordination state: caches, counters, leases, pub/sub and rate limits.
 * Every method is atomic on its own key. Values are strings; callers serialise.
 */
export interface Coordinator {
  /** Value of `key`, or null when absent or expired. */
  get(key: string): Promise<string | null>;
  /** Sets `key`, replacing any value; `ttlMs` makes it expire. */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Sets `key` only when absent; true when this call set it (a lease acquisition). */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  /** Deletes `key`; true when it existed. */
  delete(key: string): Promise<boolean>;
  /** Adds `by` (default 1) and returns the new value; `ttlMs` is applied when the key is created. */
  increment(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** Deletes `key` only while it still holds `expected` (a lease release). */
  compareAndDelete(key: string, expected: string): Promise<boolean>;
  /** Resets the TTL of `key` only while it still holds `expected` (a lease renewal). */
  compareAndExpire(key: string, expected: string, ttlMs: number): Promise<boolean>;
  /** Publishes to every subscriber of `channel`, in this process and others; returns receivers if known. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `handler` for every message on `channel` until the returned function is called. */
  subscribe(channel: string, handler: (message: string) => void): Promise<Unsubscribe>;
  /**
   * Admits `cost` units under `rule` for `key`. Never admits more than `rule.limit` units within
   * any interval of `rule.windowMs` (no 2x burst at a window edge).
   */
  rateLimit(key: string, rule: RateLimitRule): Promise<RateLimitResult>;
  /** Resolves when the backing service answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
