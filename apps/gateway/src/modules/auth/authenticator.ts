import type { Authenticator, UserPrincipal } from '../../http/authenticate.js';
import type { ApiKeysService } from '../api-keys/index.js';
import type { UserStatusCache } from '../users/index.js';
import type { AccessTokens } from './access-tokens.js';

/**
 * Users and API keys. A JWT only proves who the caller is: role and tier come from the user's
 * current record (cached, invalidated on change), so a demotion or deactivation applies at once.
 * Workers are verified by the workers module, which replaces `worker`.
 */
export function createAuthenticator(deps: { accessTokens: AccessTokens; userStatus: UserStatusCache; apiKeys: Pick<ApiKeysService, 'verify'> }): Authenticator {
  return {
    async user(accessToken): Promise<UserPrincipal | null> {
      const claims = await deps.accessTokens.verify(accessToken);
      if (!claims) return null;
      const status = await deps.userStatus.get(claims.userId);
      if (!status || !status.isActive) return null;
      return { kind: 'user', userId: claims.userId, role: status.role, tier: status.tier };
    },
    apiKey: (key) => deps.apiKeys.verify(key),
    worker: async () => null,
  };
}
