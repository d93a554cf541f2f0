import type { Coordinator, RateLimitResult, RateLimitRule, Unsubscribe } from './coordinator.js';
import { checkSlidingWindow, normaliseRule } from './sliding-window.js';

export interface MemoryCoordinatorOptions {
  /** How often expired entries are purged; lookups also expire lazily. Default 1000 ms. */
  sweepIntervalMs?: number;
  /** Told about errors thrown by subscribers, which are otherwise swallowed. */
  onError?: (error: unknown) => void;
}

interface Entry {
  value: string;
  expiresAt: number | null;
}

interface Window {
  buckets: Map<number, number>;
  expiresAt: number;
}

type Handler = (message: string) => void;

/** The embedded Coordinator: one process, no persistence, same semantics as Redis. */
export class MemoryCoordinator implements Coordinator {
  private readonly entries = new Map<string, Entry>();
  // Rate-limit state is its own namespace, as on Redis (see RedisCoordinator), so keys never clash.
  private readonly windows = new Map<string, Window>();
  private readonly channels = new Map<string, Set<Handler>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly onError: (error: unknown) => void;
  private closed = false;

  constructor(options: MemoryCoordinatorOptions = {}) {
    this.onError = options.onError ?? (() => undefined);
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 1000);
    this.sweeper.unref();
  }

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.assertOpen();
    this.entries.set(key, { value, expiresAt: expiry(ttlMs) });
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    this.assertOpen();
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: expiry(ttlMs) });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    this.assertOpen();
    if (!Number.isSafeInteger(by)) throw new RangeError(`increment must be an integer, got ${by}`);
    const entry = this.live(key);
    if (!entry) {
      this.entries.set(key, { value: String(by), expiresAt: expiry(ttlMs) });
      return by;
    }
    // Mirrors Redis INCRBY, which refuses anything but a base-10 integer.
    if (!/^-?\d+$/.test(entry.value)) throw new Error(`value of ${key} is not an integer`);
    const next = Number(entry.value) + by;
    entry.value = String(next);
    return next;
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    this.assertOpen();
    if (this.live(key)?.value !== expected) return false;
    this.entries.delete(key);
    return true;
  }

  async compareAndExpire(key: string, expected: string, ttlMs: number): Promise<boolean> {
    this.assertOpen();
    const entry = this.live(key);
    if (entry?.value !== expected) return false;
    entry.expiresAt = expiry(ttlMs);
    return true;
  }

  async publish(channel: string, message: string): Promise<void> {
    this.assertOpen();
    const handlers = this.channels.get(channel);
    if (!handlers) return;
    // Delivered after publish returns, like a network round trip, so a handler can never re-enter the publisher.
    for (const handler of [...handlers]) {
      setImmediate(() => {
        if (!handlers.has(handler)) return;
        try {
          handler(message);
        } catch (error) {
          this.onError(error);
        }
      });
    }
  }

  async subscribe(channel: string, handler: Handler): Promise<Unsubscribe> {
    this.assertOpen();
    // Each subscription gets its own identity, so subscribing one function twice needs two unsubscribes.
    const own: Handler = (message) => handler(message);
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
    }
    handlers.add(own);
    return async () => {
      const current = this.channels.get(channel);
      if (!current) return;
      current.delete(own);
      if (current.size === 0) this.channels.delete(channel);
    };
  }

  async rateLimit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    this.assertOpen();
    const normal = normaliseRule(rule);
    const now = Date.now();
    let window = this.windows.get(key);
    if (!window || window.expiresAt <= now) {
      window = { buckets: new Map(), expiresAt: 0 };
      this.windows.set(key, window);
    }
    const result = checkSlidingWindow(window.buckets, now, normal);
    window.expiresAt = now + result.resetMs;
    if (window.buckets.size === 0) this.windows.delete(key);
    return result;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    this.entries.clear();
    this.windows.clear();
    this.channels.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.entries.delete(key);
    }
    for (const [key, window] of this.windows) {
      if (window.expiresAt <= now) this.windows.delete(key);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('MemoryCoordinator is closed');
  }
}

function expiry(ttlMs: number | undefined): number | null {
  if (ttlMs === undefined) return null;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Date.now() + ttlMs;
}
