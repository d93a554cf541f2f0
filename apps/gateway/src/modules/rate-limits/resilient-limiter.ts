// The shared limiter with a local fallback. When the Coordinator (Redis) fails, each replica keeps
// enforcing the same rules on its own memory rather than letting everything through or refusing
// everything; limits then apply per replica until Redis answers again. /health/detailed says so.
import { MemoryCoordinator, type Coordinator, type RateLimitResult, type RateLimitRule } from '@wagate/storage';
import type { FastifyBaseLogger } from 'fastify';

export interface LimiterStatus {
  /** True while checks run on the local fallback. */
  degraded: boolean;
  since: Date | null;
}

export interface ResilientLimiter {
  check(key: string, rule: RateLimitRule): Promise<RateLimitResult>;
  status(): LimiterStatus;
  close(): Promise<void>;
}

/** After a failure, the shared limiter is tried again at most this often. */
const RETRY_SHARED_MS = 5_000;

export function createResilientLimiter(deps: { coordinator: Coordinator; logger: FastifyBaseLogger; retrySharedMs?: number }): ResilientLimiter {
  const local = new MemoryCoordinator();
  let degradedSince: Date | null = null;
  let nextSharedAttempt = 0;

  return {
    async check(key, rule) {
      if (degradedSince === null || Date.now() >= nextSharedAttempt) {
        try {
          const result = await deps.coordinator.rateLimit(`rl:${key}`, rule);
          if (degradedSince !== null) {
            deps.logger.info({ degradedForMs: Date.now() - degradedSince.getTime() }, 'shared rate limiter is back; leaving the local fallback');
            degradedSince = null;
          }
          return result;
        } catch (error) {
          // A programming error (bad rule) is not an outage.
          if (error instanceof RangeError) throw error;
          if (degradedSince === null) {
            degradedSince = new Date();
            deps.logger.error({ err: error }, 'shared rate limiter unreachable; enforcing limits per replica until it answers');
          }
          nextSharedAttempt = Date.now() + (deps.retrySharedMs ?? RETRY_SHARED_MS);
        }
      }
      return local.rateLimit(`rl:${key}`, rule);
    },
    status: () => ({ degraded: degradedSince !== null, since: degradedSince }),
    close: () => local.close(),
  };
}
