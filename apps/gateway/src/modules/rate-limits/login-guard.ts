// Brute-force protection for login: failures are counted per account and per address in sliding
// windows; once either budget is spent, login answers 429 until failures age out, whatever the
// password. (A locked account can be locked by a stranger; the per-IP budget is what limits that.)
import { RateLimitedError } from '@wagate/contracts';
import type { LoginGuard } from '../auth/index.js';
import { rateLimitHeaders, type Limits } from './limits.service.js';
import { RATE_WINDOWS } from './tiers.js';

export function createLoginGuard(limits: Limits, options: { perAccount: number; perIp: number }): LoginGuard {
  const account = (email: string) => ({ key: `login-fail:account:${email}`, rule: { limit: options.perAccount, windowMs: RATE_WINDOWS.loginFailures } });
  const address = (ip: string) => ({ key: `login-fail:ip:${ip}`, rule: { limit: options.perIp, windowMs: RATE_WINDOWS.loginFailures } });

  return {
    async before({ email, ip }) {
      for (const budget of [account(email), address(ip)]) {
        const result = await limits.peek(budget.key, budget.rule);
        if (result.remaining === 0) {
          throw new RateLimitedError('Too many failed logins; try again later.', { ...rateLimitHeaders(result), 'Retry-After': String(Math.max(1, Math.ceil(result.resetMs / 1000))) });
        }
      }
    },
    async failed({ email, ip }) {
      await Promise.all([account(email), address(ip)].map((b) => limits.spend(b.key, b.rule)));
    },
    // Sliding windows cannot be emptied early; a success simply stops adding failures.
    async succeeded() {},
  };
}
