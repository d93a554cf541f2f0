import { z } from 'zod';
import { id, isoDateTime, LIMITS, userRole, userTier } from './common.js';

/**
 * Emails are compared case-insensitively everywhere, so they are trimmed and lowercased on the way
 * in. The `.email()` method (not `z.email()`) is used on purpose: its check runs after the trim.
 */
export const email = z.string().trim().toLowerCase().max(254).email('must be an email address');

/** A user as the API shows it. The response schema strips unknown keys, so a hash can never leak. */
export const user = z.object({
  id,
  email: z.string(),
  role: userRole,
  tier: userTier,
  isActive: z.boolean(),
  createdAt: isoDateTime,
});
export type User = z.infer<typeof user>;

export const registerBody = z.strictObject({
  email,
  password: z.string().min(LIMITS.passwordMinChars).max(LIMITS.passwordMaxChars),
});
export type RegisterBody = z.infer<typeof registerBody>;

// No minimum on login: a rule tightened later must not lock out older accounts with a
// different message than "wrong email or password".
export const loginBody = z.strictObject({
  email,
  password: z.string().min(1).max(LIMITS.passwordMaxChars),
});
export type LoginBody = z.infer<typeof loginBody>;

export const refreshBody = z.strictObject({ refreshToken: z.string().min(1).max(4_096) });
export type RefreshBody = z.infer<typeof refreshBody>;

/** 201 of register and 200 of login. */
export const authResponse = z.object({ user, token: z.string(), refreshToken: z.string() });
export type AuthResponse = z.infer<typeof authResponse>;

export const refreshResponse = z.object({ token: z.string(), refreshToken: z.string() });
export type RefreshResponse = z.infer<typeof refreshResponse>;

export const meResponse = z.object({ user });
export type MeResponse = z.infer<typeof meResponse>;
