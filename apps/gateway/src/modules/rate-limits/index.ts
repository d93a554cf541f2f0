export { TIER_LIMITS, RATE_WINDOWS } from './tiers.js';
export { createResilientLimiter } from './resilient-limiter.js';
export type { LimiterStatus, ResilientLimiter } from './resilient-limiter.js';
export { createLimits, rateLimitHeaders, assertAllowed } from './limits.service.js';
export type { Limits } from './limits.service.js';
export { createLoginGuard } from './login-guard.js';
