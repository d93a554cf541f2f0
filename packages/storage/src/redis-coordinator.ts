import { Redis, type RedisOptions } from 'ioredis';
import type { Coordinator, RateLimitResult, RateLimitRule, Unsubscribe } from './coordinator.js';
import {
  compareAndDeleteScript,
  compareAndExpireScript,
  incrementScript,
  rateLimitScript,
  type LuaScript,
} from './redis-coordinator-scripts.js';
import { bucketWidthMs, normaliseRule } from './sliding-window.js';

export interface RedisCoordinatorOptions {
  /** `redis://[:password@]host:port[/db]`, or `rediss://` for TLS. */
  url: string;
  /** Prepended to every key and channel, so tenants and test runs sharing one Redis never collide. */
  keyPrefix?: string;
  /** How long a command waits for the first connection before it rejects. Default 1500 ms. */
  connectWaitMs?: number;
  /** How long a sent command may take before it rejects. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** CLIENT SETNAME of the command connection; the subscriber adds `-subscriber`. Default `wagate`. */
  connectionName?: string;
  /** Told about connection errors and errors thrown by subscribers, which are otherwise swallowed. */
  onError?: (error: unknown) => void;
}

type Handler = (message: string) => void;

/** Namespace of rate-limit hashes, apart from plain keys (the memory adapter keeps them apart too). */
const RATE_LIMIT_NAMESPACE = 'ratelimit:';

/**
 * The Coordinator on Redis. Commands fail fast while Redis is unreachable (no offline queue,
 * bounded wait for a reconnect) because callers fall back to local limits rather than wait.
 */
export class RedisCoordinator implements Coordinator {
  private readonly client: Redis;
  private subscriber: Redis | null = null;
  private readonly prefix: string;
  private readonly connectWaitMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly channels = new Map<string, Set<Handler>>();
  private subscriptionOps: Promise<unknown> = Promise.resolve();
  /** Why a connection is down, from its first failure until it is ready again. */
  private readonly failures = new Map<Redis, Error>();
  private readonly connecting = new Map<Redis, Promise<void>>();
  private closed = false;

  constructor(private readonly options: RedisCoordinatorOptions) {
    this.prefix = options.keyPrefix ?? '';
    this.connectWaitMs = options.connectWaitMs ?? 1500;
    this.onError = options.onError ?? (() => undefined);
    this.client = this.connect(options.connectionName ?? 'wagate');
  }

  async get(key: string): Promise<string | null> {
    return this.run((c) => c.get(this.key(key)));
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    await this.run((c) => (ttlMs === undefined ? c.set(this.key(key), value) : c.set(this.key(key), value, 'PX', ttl(ttlMs))));
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    const reply = await this.run((c) =>
      ttlMs === undefined ? c.set(this.key(key), value, 'NX') : c.set(this.key(key), value, 'PX', ttl(ttlMs), 'NX'),
    );
    return reply === 'OK';
  }

  async delete(key: string): Promise<boolean> {
    return (await this.run((c) => c.del(this.key(key)))) > 0;
  }

  async increment(key: string, by = 1, ttlMs?: number): Promise<number> {
    if (!Number.isSafeInteger(by)) throw new RangeError(`increment must be an integer, got ${by}`);
    const ms = ttlMs === undefined ? 0 : ttl(ttlMs);
    return Number(await this.eval(incrementScript, this.key(key), by, ms));
  }

  async compareAndDelete(key: string, expected: string): Promise<boolean> {
    return Number(await this.eval(compareAndDeleteScript, this.key(key), expected)) === 1;
  }

  async compareAndExpire(key: string, expected: string, ttlMs: number): Promise<boolean> {
    return Number(await this.eval(compareAndExpireScript, this.key(key), expected, ttl(ttlMs))) === 1;
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.run((c) => c.publish(this.key(channel), message));
  }

  async subscribe(channel: string, handler: Handler): Promise<Unsubscribe> {
    const full = this.key(channel);
    // Each subscription gets its own identity, so subscribing one function twice needs two unsubscribes.
    const own: Handler = (message) => handler(message);
    await this.serially(async () => {
      const handlers = this.channels.get(full);
      if (handlers) {
        handlers.add(own);
        return;
      }
      const subscriber = this.subscriber ?? (this.subscriber = this.connectSubscriber());
      await this.ready(subscriber);
      await subscriber.subscribe(full);
      this.channels.set(full, new Set([own]));
    });
    return () => this.unsubscribe(full, own);
  }

  async rateLimit(key: string, rule: RateLimitRule): Promise<RateLimitResult> {
    const { limit, windowMs, cost } = normaliseRule(rule);
    const reply = await this.eval(rateLimitScript, this.key(RATE_LIMIT_NAMESPACE + key), limit, windowMs, cost, bucketWidthMs(windowMs));
    const [allowed, remaining, resetMs, retryAfterMs] = (reply as unknown[]).map(Number);
    return { allowed: allowed === 1, limit, remaining: remaining ?? 0, resetMs: resetMs ?? 0, retryAfterMs: retryAfterMs ?? 0 };
  }

  async ping(): Promise<void> {
    await this.run((c) => c.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    await Promise.all([this.client, this.subscriber].map((c) => c && quit(c)));
  }

  private key(key: string): string {
    return this.prefix + key;
  }

  private connect(name: string, extra: RedisOptions = {}): Redis {
    const client = new Redis(this.options.url, {
      connectionName: name,
      // Commands never wait in a queue: the caller gets an error and uses its fallback instead.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: this.options.commandTimeoutMs ?? 2000,
      connectTimeout: 5000,
      retryStrategy: (times) => Math.min(times * 100, 2000),
      ...extra,
    });
    client.on('ready', () => this.failures.delete(client));
    client.on('error', (error: Error) => {
      this.failures.set(client, error);
      this.onError(error);
    });
    client.on('close', () => {
      if (!this.failures.has(client)) this.failures.set(client, new Error('connection closed'));
    });
    return client;
  }

  private connectSubscriber(): Redis {
    // ioredis resubscribes every channel itself once the connection is back (autoResubscribe).
    const subscriber = this.connect(`${this.options.connectionName ?? 'wagate'}-subscriber`, { autoResubscribe: true, commandTimeout: undefined });
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    return subscriber;
  }

  private dispatch(channel: string, message: string): void {
    const handlers = this.channels.get(channel);
    if (!handlers) return;
    for (const handler of [...handlers]) {
      try {
        handler(message);
      } catch (error) {
        this.onError(error);
      }
    }
  }

  private async unsubscribe(full: string, own: Handler): Promise<void> {
    await this.serially(async () => {
      const handlers = this.channels.get(full);
      if (!handlers?.delete(own) || handlers.size > 0) return;
      this.channels.delete(full);
      try {
        await this.subscriber?.unsubscribe(full);
      } catch (error) {
        // Nothing is delivered to a channel without handlers, so a failed UNSUBSCRIBE only costs traffic.
        this.onError(error);
      }
    });
  }

  /** Subscribe and unsubscribe run one at a time, so a channel is never subscribed twice or dropped early. */
  private serially<T>(op: () => Promise<T>): Promise<T> {
    const result = this.subscriptionOps.then(op, op);
    this.subscriptionOps = result.catch(() => undefined);
    return result;
  }

  private async run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    await this.ready(this.client);
    return command(this.client);
  }

  private async eval(script: LuaScript, key: string, ...args: (string | number)[]): Promise<unknown> {
    return this.run(async (c) => {
      try {
        return await c.evalsha(script.sha, 1, key, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return c.eval(script.lua, 1, key, ...args);
      }
    });
  }

  /**
   * Resolves once `client` can take commands. While a connection is known to be down it rejects at
   * once, so a gateway whose Redis is gone adds no latency before using its local fallback; only a
   * connection not yet known to have failed (the first connect) is waited for, up to `connectWaitMs`.
   */
  private ready(client: Redis): Promise<void> {
    if (this.closed) return Promise.reject(new Error('RedisCoordinator is closed'));
    if (client.status === 'ready') return Promise.resolve();
    const failure = this.failures.get(client);
    if (failure || client.status === 'end') return Promise.reject(unavailable(failure));
    let waiting = this.connecting.get(client);
    if (!waiting) {
      // One wait per connection, however many commands arrive before it is up.
      waiting = new Promise<void>((resolve, reject) => {
        const settle = (): void => {
          clearTimeout(timer);
          client.off('ready', settle);
          client.off('error', settle);
          this.connecting.delete(client);
          if (client.status === 'ready') resolve();
          else reject(unavailable(this.failures.get(client) ?? new Error(`no connection within ${this.connectWaitMs} ms`)));
        };
        const timer = setTimeout(settle, this.connectWaitMs);
        client.on('ready', settle);
        // Listeners run in order, so the adapter's own 'error' listener has recorded the failure.
        client.on('error', settle);
      });
      this.connecting.set(client, waiting);
    }
    return waiting;
  }
}

function unavailable(cause: Error | undefined): Error {
  return new Error(`Redis is unavailable${cause ? `: ${cause.message}` : ''}`, { cause });
}

/** Redis takes whole milliseconds; rounding up never shortens a lease. */
function ttl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through: the socket is going away either way.
    }
  }
  client.disconnect();
}
