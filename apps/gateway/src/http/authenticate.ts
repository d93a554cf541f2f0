import { ForbiddenError, UnauthorizedError, type UserRole, type UserTier } from '@wagate/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

/**
 * Who is calling. Three credential kinds, each accepted only on its own routes:
 * - `user`: a dashboard JWT access token (`Authorization: Bearer <jwt>`);
 * - `apiKey`: a session API key (`Authorization: Bearer wg_live_…` or `X-API-Key`), bound to one session;
 * - `worker`: a worker token on `/api/v1/internal/*` only (`workerId` null for the bootstrap token).
 */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  role: UserRole;
  tier: UserTier;
}
export interface ApiKeyPrincipal {
  kind: 'apiKey';
  userId: string;
  tier: UserTier;
  sessionId: string;
  keyId: string;
}
export interface WorkerPrincipal {
  kind: 'worker';
  /** Null for the shared bootstrap `WORKER_TOKEN`, which may only register. */
  workerId: string | null;
}
export type Principal = UserPrincipal | ApiKeyPrincipal | WorkerPrincipal;

/**
 * Verifies a presented credential. Each method answers null for "not valid" (unknown, expired,
 * revoked, inactive owner, bad signature); the hooks below turn null into one uniform 401.
 */
export interface Authenticator {
  user(accessToken: string): Promise<UserPrincipal | null>;
  apiKey(key: string): Promise<ApiKeyPrincipal | null>;
  worker(token: string): Promise<WorkerPrincipal | null>;
}

/** Runs after a require* hook has authenticated a caller (rate limits, usage); may throw (429). */
export type AfterAuthenticate = (principal: Principal, request: FastifyRequest, reply: FastifyReply) => Promise<void>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the require* hooks; null on public routes. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Callbacks every require* hook runs once the principal is known (see onAuthenticated). */
    authenticationHooks: { afterAuthenticate: AfterAuthenticate[] };
  }
}

/** Every API key starts with this; the Bearer scheme carries both JWTs and keys. */
export const API_KEY_PREFIX = 'wg_live_';

const QUERY_CREDENTIALS = ['api_key', 'apikey', 'apiKey', 'key', 'token', 'access_token'];

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

function xApiKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header.trim() !== '' ? header.trim() : undefined;
}

/** A credential in the URL ends up in proxy logs and browser history: refused outright. */
function refuseQueryCredentials(request: FastifyRequest): void {
  const query = request.query;
  if (query && typeof query === 'object' && QUERY_CREDENTIALS.some((k) => k in query)) {
    throw new UnauthorizedError('Credentials are accepted in headers only, never in the query string.');
  }
}

/** A require* hook: fits any request phase, and always runs as onRequest (see registerAuthentication). */
export type AuthHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

const AUTH_HOOKS = new WeakSet<AuthHook>();

function authHook(hook: AuthHook): AuthHook {
  AUTH_HOOKS.add(hook);
  return hook;
}

// Phases after the body is read and validated. An auth hook listed there would let an anonymous
// caller learn the body schema (400 before 401) and make the server parse bodies for nobody.
const LATE_PHASES = ['preParsing', 'preValidation', 'preHandler'] as const;

type RouteHooks = Partial<Record<(typeof LATE_PHASES)[number] | 'onRequest', unknown>>;

/**
 * Moves the require* hooks a route lists in a late phase to the front of its onRequest hooks, so
 * credentials are checked before the body is parsed or validated. Only route options can be seen
 * here: a plugin-wide hook must be added as `addHook('onRequest', requireX(...))` itself.
 */
function hoistAuthHooks(route: RouteOptions): void {
  const hooks = route as RouteHooks;
  const hoisted: unknown[] = [];
  for (const phase of LATE_PHASES) {
    const listed = hooks[phase];
    if (listed === undefined || listed === null) continue;
    const list: unknown[] = Array.isArray(listed) ? listed : [listed];
    const isAuth = (hook: unknown) => typeof hook === 'function' && AUTH_HOOKS.has(hook as AuthHook);
    if (!list.some(isAuth)) continue;
    hoisted.push(...list.filter(isAuth));
    const rest = list.filter((hook) => !isAuth(hook));
    hooks[phase] = rest.length === 0 ? undefined : rest;
  }
  if (hoisted.length === 0) return;
  const own = hooks.onRequest;
  hooks.onRequest = [...hoisted, ...(own === undefined || own === null ? [] : Array.isArray(own) ? own : [own])];
}

/**
 * Decorates `request.principal`; call once before registering any protected route. From here on,
 * every route's require* hooks run in onRequest, wherever the route lists them.
 */
export function registerAuthentication(app: FastifyInstance, options: { afterAuthenticate?: AfterAuthenticate } = {}): void {
  app.decorateRequest('principal', null);
  // One shared, mutable list on the root: child contexts inherit the reference, so callbacks added
  // later (by the identity block) reach routes registered in any plugin.
  app.decorate('authenticationHooks', { afterAuthenticate: options.afterAuthenticate ? [options.afterAuthenticate] : [] });
  app.addHook('onRoute', hoistAuthHooks);
}

/** Adds a callback run after every successful authentication (in registration order). */
export function onAuthenticated(app: FastifyInstance, callback: AfterAuthenticate): void {
  app.authenticationHooks.afterAuthenticate.push(callback);
}

async function authenticated(principal: Principal, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  request.principal = principal;
  // Absent when a test app wires the hooks without registerAuthentication.
  for (const callback of request.server.authenticationHooks?.afterAuthenticate ?? []) await callback(principal, request, reply);
}

async function authenticateUser(authenticator: Authenticator, request: FastifyRequest): Promise<UserPrincipal> {
  refuseQueryCredentials(request);
  const token = bearer(request);
  if (!token || token.startsWith(API_KEY_PREFIX)) throw new UnauthorizedError('A valid access token is required.');
  const principal = await authenticator.user(token);
  if (!principal) throw new UnauthorizedError('A valid access token is required.');
  return principal;
}

/** Dashboard routes: a valid, unexpired JWT of an active user. */
export function requireUser(authenticator: Authenticator): AuthHook {
  return authHook(async function requireUserHook(request: FastifyRequest, reply: FastifyReply) {
    await authenticated(await authenticateUser(authenticator, request), request, reply);
  });
}

/** Admin routes: as requireUser, and the user's current role is ADMIN (403 otherwise). */
export function requireAdmin(authenticator: Authenticator): AuthHook {
  return authHook(async function requireAdminHook(request: FastifyRequest, reply: FastifyReply) {
    const principal = await authenticateUser(authenticator, request);
    if (principal.role !== 'ADMIN') throw new ForbiddenError('This route is for administrators.');
    await authenticated(principal, request, reply);
  });
}

/** External API: a session API key, from `X-API-Key` or `Authorization: Bearer`. */
export function requireApiKey(authenticator: Authenticator): AuthHook {
  return authHook(async function requireApiKeyHook(request: FastifyRequest, reply: FastifyReply) {
    refuseQueryCredentials(request);
    const key = xApiKey(request) ?? bearer(request);
    if (!key || !key.startsWith(API_KEY_PREFIX)) throw new UnauthorizedError('A valid API key is required.');
    const principal = await authenticator.apiKey(key);
    if (!principal) throw new UnauthorizedError('A valid API key is required.');
    await authenticated(principal, request, reply);
  });
}

/**
 * Internal routes: a worker token. `allowBootstrap` lets the shared bootstrap token through
 * (registration only); every other internal route needs the per-worker token.
 */
export function requireWorker(authenticator: Authenticator, options: { allowBootstrap?: boolean } = {}): AuthHook {
  return authHook(async function requireWorkerHook(request: FastifyRequest, reply: FastifyReply) {
    refuseQueryCredentials(request);
    const token = bearer(request);
    if (!token || token.startsWith(API_KEY_PREFIX)) throw new UnauthorizedError('A valid worker token is required.');
    const principal = await authenticator.worker(token);
    if (!principal || (principal.workerId === null && !options.allowBootstrap)) {
      throw new UnauthorizedError('A valid worker token is required.');
    }
    await authenticated(principal, request, reply);
  });
}

/** The principal a require* hook set, narrowed; a route without the hook is a programming error. */
export function principalOf<K extends Principal['kind']>(request: FastifyRequest, kind: K): Extract<Principal, { kind: K }> {
  const principal = request.principal;
  if (!principal || principal.kind !== kind) throw new Error(`route expects a ${kind} principal; is its require hook missing?`);
  return principal as Extract<Principal, { kind: K }>;
}
