import type { Coordinator } from './coordinator.js';
import { MemoryCoordinator } from './memory-coordinator.js';
import { RedisCoordinator } from './redis-coordinator.js';

export interface CoordinatorConfig {
  /** `REDIS_URL`; without it the coordinator is in-memory (one process only). */
  redisUrl?: string;
  /** Prepended to every Redis key and channel. */
  keyPrefix?: string;
  /** Told about connection errors and errors thrown by subscribers. */
  onError?: (error: unknown) => void;
}

/** Redis when `redisUrl` is set, otherwise the embedded in-memory coordinator. */
export function createCoordinator(config: CoordinatorConfig = {}): Coordinator {
  const onError = config.onError ? { onError: config.onError } : {};
  if (config.redisUrl) return new RedisCoordinator({ url: config.redisUrl, keyPrefix: config.keyPrefix ?? '', ...onError });
  return new MemoryCoordinator(onError);
}
