import { ConflictError, NotFoundError, UnauthorizedError, type AuthResponse, type LoginBody, type RefreshResponse, type RegisterBody } from '@wagate/contracts';
import type { Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { userView, type UserRow, type UsersRepository, type UserStatusCache, type UserView } from '../users/index.js';
import type { AccessTokens } from './access-tokens.js';
import { createDummyHash, hashPassword, verifyPassword } from './password.js';
import type { RefreshTokensRepository } from './refresh-tokens.repository.js';

/** Optional brute-force guard around login (the rate-limits module provides it). */
export interface LoginGuard {
  /** Throws (429) when this account or address is locked out. */
  before(input: { email: string; ip: string }): Promise<void>;
  /** Counts a failed attempt. */
  failed(input: { email: string; ip: string }): Promise<void>;
  /** Clears the account's failure count after a success. */
  succeeded(input: { email: string; ip: string }): Promise<void>;
}

export interface AuthServiceDeps {
  db: Database;
  users: UsersRepository;
  userStatus: UserStatusCache;
  refreshTokens: RefreshTokensRepository;
  accessTokens: AccessTokens;
  passwordCost: number;
  refreshTtlMs: number;
  audit: (entry: AppendSystemLogInput) => void;
  loginGuard?: LoginGuard | undefined;
}

const INVALID_LOGIN = 'Wrong email or password.';
const INVALID_REFRESH = 'The refresh token is invalid or expired.';

export function createAuthService(deps: AuthServiceDeps) {
  const dummyHash = createDummyHash(deps.passwordCost);
  // Computed now, so the first unknown-email login does not pay for the hash and stand out.
  void dummyHash();

  async function issueTokens(user: UserRow, familyId?: string): Promise<{ token: string; refreshToken: string }> {
    const [token, refreshToken] = await Promise.all([
      deps.accessTokens.sign({ userId: user.id, role: user.role, tier: user.tier }),
      deps.refreshTokens.issue({ userId: user.id, ttlMs: deps.refreshTtlMs, ...(familyId ? { familyId } : {}) }),
    ]);
    return { token, refreshToken };
  }

  return {
    async register(body: RegisterBody): Promise<AuthResponse> {
      const passwordHash = await hashPassword(body.password, deps.passwordCost);
      const user = await deps.users.create({ email: body.email, passwordHash });
      if (!user) throw new ConflictError('An account with this email already exists.');
      deps.audit({ level: 'info', category: 'auth', message: 'user registered', userId: user.id });
      return { user: userView(user), ...(await issueTokens(user)) };
    },

    /**
     * Unknown email, wrong password and deactivated account answer identically, and each costs
     * one bcrypt comparison (against a dummy hash when there is no user), so neither the body nor
     * the timing tells which accounts exist.
     */
    async login(body: LoginBody, context: { ip: string }): Promise<AuthResponse> {
      const attempt = { email: body.email, ip: context.ip };
      await deps.loginGuard?.before(attempt);
      const user = await deps.users.findByEmail(body.email);
      const matches = await verifyPassword(body.password, user?.passwordHash ?? (await dummyHash()));
      if (!user || !matches || !user.isActive) {
        await deps.loginGuard?.failed(attempt);
        deps.audit({ level: 'warn', category: 'auth', message: 'login failed', userId: user?.id ?? null, metadata: { ip: context.ip, reason: !user ? 'unknown email' : !matches ? 'wrong password' : 'inactive' } });
        throw new UnauthorizedError(INVALID_LOGIN);
      }
      await deps.loginGuard?.succeeded(attempt);
      deps.audit({ level: 'info', category: 'auth', message: 'login', userId: user.id, metadata: { ip: context.ip } });
      return { user: userView(user), ...(await issueTokens(user)) };
    },

    /**
     * Rotation: the presented token is spent and a new one issued in its family. A spent or
     * revoked token presented again means a copy exists elsewhere, so the whole family is revoked
     * and both holders must log in again.
     */
    async refresh(refreshToken: string): Promise<RefreshResponse> {
      const row = await deps.refreshTokens.find(refreshToken);
      if (!row) throw new UnauthorizedError(INVALID_REFRESH);
      const reuse = async () => {
        await deps.refreshTokens.revokeFamily(row.familyId);
        deps.audit({ level: 'warn', category: 'auth', message: 'refresh token reused; token family revoked', userId: row.userId, metadata: { familyId: row.familyId } });
        throw new UnauthorizedError(INVALID_REFRESH);
      };
      if (row.usedAt !== null || row.revokedAt !== null) return reuse();
      if (row.expiresAt.getTime() <= Date.now()) throw new UnauthorizedError(INVALID_REFRESH);
      // Conditional update: of two concurrent refreshes with one token, exactly one wins.
      if (!(await deps.refreshTokens.markUsed(row.id))) return reuse();
      const user = await deps.users.findById(row.userId);
      if (!user || !user.isActive) throw new UnauthorizedError(INVALID_REFRESH);
      return issueTokens(user, row.familyId);
    },

    async me(userId: string): Promise<{ user: UserView }> {
      const user = await deps.users.findById(userId);
      if (!user) throw new NotFoundError('User');
      return { user: userView(user) };
    },

    /** Creates the configured first admin if that email is not taken; never changes an existing account. */
    async ensureAdmin(email: string, password: string): Promise<'created' | 'exists'> {
      const normalized = email.trim().toLowerCase();
      if (await deps.users.findByEmail(normalized)) return 'exists';
      const created = await deps.users.create({ email: normalized, passwordHash: await hashPassword(password, deps.passwordCost), role: 'ADMIN' });
      if (!created) return 'exists';
      deps.audit({ level: 'info', category: 'admin', message: 'first admin created from configuration', userId: created.id });
      return 'created';
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
