// Worker credentials: the shared bootstrap WORKER_TOKEN (register only) and per-worker tokens,
// of which the gateway stores only a SHA-256 digest (DESIGN.md §4).
import type { Coordinator } from '@wagate/storage';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WorkerPrincipal } from '../../http/authenticate.js';
import type { WorkersRepository } from './workers.repository.js';

export function hashWorkerToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A fresh per-worker token and the digest to store. */
export function issueWorkerToken(): { token: string; tokenHash: string } {
  const token = `wkt_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashWorkerToken(token) };
}

export const TOKEN_CACHE_PREFIX = 'workers:token:';
const TOKEN_CACHE_TTL_MS = 30_000;

export interface WorkerTokenVerifier {
  /** `Authenticator.worker`: the bootstrap token → `{ workerId: null }`, a per-worker token → its id. */
  verify(token: string): Promise<WorkerPrincipal | null>;
  /** Drops a cached token→worker answer when a token is rotated or its worker deleted. */
  forget(tokenHash: string | null): Promise<void>;
}

/**
 * Heartbeats and event batches arrive every few seconds per worker, so the digest→worker answer
 * is cached briefly in the Coordinator; rotation and deletion delete the cache entry at once.
 */
export function createWorkerTokenVerifier(deps: {
  repository: Pick<WorkersRepository, 'idByTokenHash'>;
  coordinator: Coordinator;
  bootstrapToken: string | undefined;
}): WorkerTokenVerifier {
  const bootstrap = deps.bootstrapToken === undefined ? undefined : Buffer.from(hashWorkerToken(deps.bootstrapToken), 'hex');
  return {
    async verify(token) {
      const digest = hashWorkerToken(token);
      if (bootstrap !== undefined && timingSafeEqual(bootstrap, Buffer.from(digest, 'hex'))) return { kind: 'worker', workerId: null };
      const key = TOKEN_CACHE_PREFIX + digest;
      const cached = await deps.coordinator.get(key);
      if (cached !== null) return { kind: 'worker', workerId: cached };
      const workerId = await deps.repository.idByTokenHash(digest);
      if (workerId === null) return null;
      await deps.coordinator.set(key, workerId, TOKEN_CACHE_TTL_MS);
      return { kind: 'worker', workerId };
    },
    async forget(tokenHash) {
      if (tokenHash !== null) await deps.coordinator.delete(TOKEN_CACHE_PREFIX + tokenHash);
    },
  };
}
