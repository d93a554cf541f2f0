import { ConflictError, NotFoundError, type AdminUpdateUserBody, type AdminUserListQuery, type List } from '@wagate/contracts';
import type { RefreshTokensRepository } from '../auth/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { userView, type UsersRepository, type UserStatusCache, type UserView } from '../users/index.js';

export function createAdminUsersService(deps: {
  users: UsersRepository;
  userStatus: UserStatusCache;
  refreshTokens: RefreshTokensRepository;
  audit: (entry: AppendSystemLogInput) => void;
}) {
  return {
    async list(query: AdminUserListQuery): Promise<List<UserView>> {
      const page = await deps.users.list(query);
      return { data: page.data.map(userView), nextCursor: page.nextCursor };
    },

    /**
     * Changes tier, role or the active flag. Deactivation takes effect on the next request: access
     * tokens are checked against the user's current state, API keys are looked up with their owner,
     * and every refresh token is revoked.
     */
    async update(adminId: string, userId: string, body: AdminUpdateUserBody): Promise<{ user: UserView }> {
      if (adminId === userId && (body.isActive === false || body.role === 'USER')) {
        // The last administrator could otherwise lock everyone out of the admin routes.
        throw new ConflictError('Administrators cannot deactivate or demote themselves.');
      }
      const before = await deps.users.findById(userId);
      if (!before) throw new NotFoundError('User');
      const after = await deps.users.update(userId, body);
      if (!after) throw new NotFoundError('User');
      if (after.isActive === false) await deps.refreshTokens.revokeAllForUser(userId);
      await deps.userStatus.invalidate(userId);

      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of ['tier', 'role', 'isActive'] as const) {
        if (before[field] !== after[field]) changes[field] = { from: before[field], to: after[field] };
      }
      if (Object.keys(changes).length > 0) {
        const message = changes.isActive ? (after.isActive ? 'user reactivated' : 'user deactivated') : 'user tier or role changed';
        deps.audit({ level: 'info', category: 'admin', message, userId, metadata: { by: adminId, changes } });
      }
      return { user: userView(after) };
    },
  };
}

export type AdminUsersService = ReturnType<typeof createAdminUsersService>;
