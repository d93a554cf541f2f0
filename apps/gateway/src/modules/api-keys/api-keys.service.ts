import { NotFoundError, ValidationError, type ApiKey, type ApiKeyCreated, type List } from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';
import type { FastifyBaseLogger } from 'fastify';
import type { Executor } from '../../db/index.js';
import type { ApiKeyPrincipal } from '../../http/authenticate.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { generateApiKey, hashApiKey, isWellFormedApiKey } from './api-key-format.js';
import type { ApiKeyRow, ApiKeysRepository } from './api-keys.repository.js';

/** lastUsedAt is written at most this often per key, not on every request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export function apiKeyView(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

export interface CreateApiKeyInput {
  userId: string;
  sessionId: string;
  name: string;
  /** ISO string or Date; must lie in the future. */
  expiresAt?: string | Date | undefined;
}

export interface ApiKeysServiceDeps {
  repository: ApiKeysRepository;
  coordinator: Coordinator;
  audit: (entry: AppendSystemLogInput) => void;
  logger: FastifyBaseLogger;
}

export function createApiKeysService(deps: ApiKeysServiceDeps) {
  const { repository, coordinator } = deps;

  async function createForSession(input: CreateApiKeyInput, tx?: Executor): Promise<ApiKeyCreated> {
    const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
    if (expiresAt && !(expiresAt.getTime() > Date.now())) {
      throw new ValidationError([{ path: 'body.expiresAt', message: 'must be in the future' }]);
    }
    const generated = generateApiKey();
    const row = await repository.insert(
      { userId: input.userId, sessionId: input.sessionId, name: input.name, prefix: generated.prefix, keyHash: generated.hash, expiresAt },
      tx,
    );
    deps.audit({ level: 'info', category: 'api-key', message: 'API key created', userId: input.userId, sessionId: input.sessionId, metadata: { keyId: row.id, prefix: row.prefix } });
    return { ...apiKeyView(row), key: generated.key };
  }

  /** Spreads lastUsedAt writes: one per key per LAST_USED_RESOLUTION_MS across all replicas. */
  function noteUse(keyId: string): void {
    void (async () => {
      if (!(await coordinator.setIfAbsent(`identity:api-key-used:${keyId}`, '1', LAST_USED_RESOLUTION_MS))) return;
      await repository.touch(keyId, new Date());
    })().catch((error: unknown) => deps.logger.warn({ err: error, keyId }, 'could not record API key use'));
  }

  return {
    createForSession,

    /** Revokes every live key of a session; effective for the next request (lookups are not cached). */
    async revokeAllForSession(sessionId: string, tx?: Executor): Promise<void> {
      const n = await repository.revokeAllForSession(sessionId, tx);
      if (n > 0) deps.audit({ level: 'info', category: 'api-key', message: 'API keys of session revoked', sessionId, metadata: { count: n } });
    },

    async createOwned(input: CreateApiKeyInput): Promise<ApiKeyCreated> {
      if (!(await repository.sessionOwned(input.sessionId, input.userId))) throw new NotFoundError('Session');
      return createForSession(input);
    },

    async listOwned(input: { sessionId: string; userId: string; limit: number; cursor?: string | undefined }): Promise<List<ApiKey>> {
      if (!(await repository.sessionOwned(input.sessionId, input.userId))) throw new NotFoundError('Session');
      const page = await repository.listForSession(input);
      return { data: page.data.map(apiKeyView), nextCursor: page.nextCursor };
    },

    async revokeOwned(input: { sessionId: string; keyId: string; userId: string }): Promise<void> {
      if (!(await repository.sessionOwned(input.sessionId, input.userId))) throw new NotFoundError('Session');
      const row = await repository.revoke(input);
      if (!row) throw new NotFoundError('API key');
      deps.audit({ level: 'info', category: 'api-key', message: 'API key revoked', userId: input.userId, sessionId: input.sessionId, metadata: { keyId: row.id, prefix: row.prefix } });
    },

    /**
     * The principal for a presented key, or null when it is malformed, unknown, revoked, expired or
     * its owner is deactivated. Not cached, so a revocation or deactivation applies to the very next
     * request on every replica; the lookup is one unique-index probe.
     */
    async verify(key: string): Promise<ApiKeyPrincipal | null> {
      if (!isWellFormedApiKey(key)) return null;
      const found = await repository.findByHash(hashApiKey(key));
      if (!found || !found.userActive) return null;
      const row = found.key;
      if (row.revokedAt !== null) return null;
      if (row.expiresAt !== null && row.expiresAt.getTime() <= Date.now()) return null;
      noteUse(row.id);
      return { kind: 'apiKey', userId: row.userId, tier: found.tier, sessionId: row.sessionId, keyId: row.id };
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
