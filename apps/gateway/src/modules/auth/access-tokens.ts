// Dashboard access tokens: HS256 JWTs, algorithm pinned (no `none`, no RS/HS confusion), with
// issuer, audience and expiry always checked.
import type { UserRole, UserTier } from '@wagate/contracts';
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { randomUUID } from 'node:crypto';

export const JWT_ISSUER = 'wagate';
export const JWT_AUDIENCE = 'wagate-dashboard';
const ALGORITHM = 'HS256';

export interface AccessTokenClaims {
  userId: string;
  role: UserRole;
  tier: UserTier;
}

export interface AccessTokens {
  sign(claims: AccessTokenClaims): Promise<string>;
  /** The token's subject when signature, algorithm, issuer, audience and expiry all check out; else null. */
  verify(token: string): Promise<{ userId: string } | null>;
}

export function createAccessTokens(options: { secret: string; ttlSeconds: number }): AccessTokens {
  const key = new TextEncoder().encode(options.secret);
  return {
    async sign(claims) {
      return new SignJWT({ role: claims.role, tier: claims.tier })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(claims.userId)
        .setIssuer(JWT_ISSUER)
        .setAudience(JWT_AUDIENCE)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${options.ttlSeconds}s`)
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: JWT_ISSUER,
          audience: JWT_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat'],
          typ: 'JWT',
        });
        return typeof payload.sub === 'string' && payload.sub !== '' ? { userId: payload.sub } : null;
      } catch (error) {
        // Every jose verification failure means "not a valid token"; anything else is a bug.
        if (error instanceof joseErrors.JOSEError) return null;
        throw error;
      }
    },
  };
}
