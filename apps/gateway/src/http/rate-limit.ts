// Where the limits meet HTTP: the per-address budget on every request (onRequest, before any
// work), and the tier's API-call budget once a require* hook knows who is calling.
import type { FastifyInstance } from 'fastify';
import type { RateLimitResult } from '@wagate/storage';
import { onAuthenticated, type Principal } from './authenticate.js';

export interface HttpRateLimits {
  consumeIp(ip: string): Promise<RateLimitResult>;
  consumeApiCall(principal: { userId: string; tier: 'BASIC' | 'PRO' | 'MAX' }): Promise<RateLimitResult>;
}

// Probes and worker traffic come from a few addresses at a steady rate and are not client calls.
const IP_EXEMPT = [/^\/health(\/|$|\?)/, /^\/metrics(\/|$|\?)/, /^\/api\/v1\/internal\//];

function setHeaders(reply: { header(name: string, value: string): unknown }, result: RateLimitResult): void {
  reply.header('RateLimit-Limit', String(result.limit));
  reply.header('RateLimit-Remaining', String(result.remaining));
  reply.header('RateLimit-Reset', String(Math.ceil(result.resetMs / 1000)));
}

/** Counts API calls for users and keys; administrators and workers are not metered. */
function metered(principal: Principal): principal is Extract<Principal, { kind: 'user' | 'apiKey' }> {
  if (principal.kind === 'apiKey') return true;
  return principal.kind === 'user' && principal.role !== 'ADMIN';
}

export function registerRateLimits(app: FastifyInstance, limits: HttpRateLimits, options: { perIp: boolean }): void {
  if (options.perIp) {
    app.addHook('onRequest', async (request, reply) => {
      if (IP_EXEMPT.some((pattern) => pattern.test(request.url))) return;
      setHeaders(reply, await limits.consumeIp(request.ip));
    });
  }
  onAuthenticated(app, async (principal, _request, reply) => {
    if (!metered(principal)) return;
    setHeaders(reply, await limits.consumeApiCall(principal));
  });
}
