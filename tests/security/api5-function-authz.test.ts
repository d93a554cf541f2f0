// OWASP API5:2023 Broken function-level authorization. Role and credential kind decide which
// functions a caller reaches: a USER never reaches admin routes (403), session keys and worker
// tokens never reach dashboard or admin routes, nobody but a worker reaches internal routes, and
// a method a path does not document is 404/405 — never a 2xx.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import {
  fill,
  idsOf,
  isAdminPath,
  isInternalPath,
  isProblem,
  bodyFor,
  openApiOperations,
  securityGateway,
  tenantWithObjects,
  type Operation,
  type Tenant,
} from './support.js';

let gw: TestGateway;
let alice: Tenant;
let ops: Operation[];
const PUBLIC = new Set(['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh']);

beforeAll(async () => {
  gw = await securityGateway();
  alice = await tenantWithObjects(gw);
  ops = await openApiOperations(gw.app);
});
afterAll(async () => gw?.close());

function call(op: Operation, headers: Record<string, string>) {
  const body = bodyFor(op);
  const ids = { ...idsOf(alice), id: op.path.startsWith('/api/v1/admin/') ? alice.userId : alice.sessionId };
  return gw.app.inject({ method: op.method, url: fill(op.path, ids), headers, ...(body === undefined ? {} : { payload: body as object }) });
}

async function statuses(selected: Operation[], headers: Record<string, string>, allowed: number[]): Promise<string[]> {
  const wrong: string[] = [];
  for (const op of selected) {
    const res = await call(op, headers);
    // Credentials are checked before the body is validated, so even a body this suite cannot
    // forge (a worker event batch) gets the auth answer, never a 400.
    if (!allowed.includes(res.statusCode) || !isProblem(res)) wrong.push(`${op.method} ${op.openApiPath} → ${res.statusCode}`);
  }
  return wrong;
}

describe('API5 admin routes', () => {
  const admin = () => ops.filter((op) => isAdminPath(op.path));

  it('finds the admin surface in the document', () => {
    expect(admin().length).toBeGreaterThanOrEqual(8);
  });

  it('answers 403 to a logged-in USER on every admin route', async () => {
    expect(await statuses(admin(), gw.auth(alice.token), [403])).toEqual([]);
  });

  it('answers 401 to a session API key, the worker bootstrap token and no credentials', async () => {
    expect(await statuses(admin(), { 'x-api-key': alice.apiKey }, [401])).toEqual([]);
    expect(await statuses(admin(), gw.auth(alice.apiKey), [401])).toEqual([]);
    expect(await statuses(admin(), gw.auth(gw.config.WORKER_TOKEN ?? 'none'), [401])).toEqual([]);
    expect(await statuses(admin(), {}, [401])).toEqual([]);
  });

  it('lets an ADMIN through (control: the routes are reachable)', async () => {
    const root = await gw.signUpAdmin();
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/admin/users', headers: gw.auth(root.token) });
    expect(res.statusCode).toBe(200);
  });

  it('takes admin rights away on the next request after a demotion', async () => {
    const root = await gw.signUpAdmin();
    const other = await gw.signUpAdmin();
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/admin/stats', headers: gw.auth(other.token) })).statusCode).toBe(200);
    const demote = await gw.app.inject({ method: 'PATCH', url: `/api/v1/admin/users/${other.userId}`, headers: gw.auth(root.token), payload: { role: 'USER' } });
    expect(demote.statusCode).toBe(200);
    expect((await gw.app.inject({ method: 'GET', url: '/api/v1/admin/stats', headers: gw.auth(other.token) })).statusCode).toBe(403);
  });
});

describe('API5 internal (worker) routes', () => {
  const internal = () => ops.filter((op) => isInternalPath(op.path));

  it('refuses user JWTs (even an admin’s), API keys and anonymous callers', async () => {
    expect(internal().length).toBeGreaterThanOrEqual(3);
    const root = await gw.signUpAdmin();
    for (const headers of [gw.auth(alice.token), gw.auth(root.token), { 'x-api-key': alice.apiKey }, {}] as Record<string, string>[]) {
      expect(await statuses(internal(), headers, [401, 403])).toEqual([]);
    }
  });

  it('refuses the bootstrap token on routes that need a per-worker token', async () => {
    const perWorker = internal().filter((op) => !op.path.endsWith('/register'));
    expect(await statuses(perWorker, gw.auth(gw.config.WORKER_TOKEN ?? 'none'), [401, 403])).toEqual([]);
  });
});

describe('API5 tenant routes', () => {
  const tenant = () => ops.filter((op) => op.path.startsWith('/api/v1/') && !isAdminPath(op.path) && !isInternalPath(op.path) && !PUBLIC.has(op.path));

  it('answers 401 to the worker bootstrap token and to no credentials on every tenant route', async () => {
    expect(tenant().length).toBeGreaterThanOrEqual(25);
    expect(await statuses(tenant(), gw.auth(gw.config.WORKER_TOKEN ?? 'none'), [401])).toEqual([]);
    expect(await statuses(tenant(), {}, [401])).toEqual([]);
  });
});

describe('API5 method swapping', () => {
  it('answers 404 or 405 (problem+json) to every undocumented method on every documented path', async () => {
    const root = await gw.signUpAdmin();
    const byPath = new Map<string, Set<string>>();
    for (const op of ops) byPath.set(op.path, (byPath.get(op.path) ?? new Set()).add(op.method));
    const wrong: string[] = [];
    for (const [path, methods] of byPath) {
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
        // GET implies HEAD in Fastify; OPTIONS/HEAD are not "functions".
        if (methods.has(method)) continue;
        const res = await gw.app.inject({ method, url: fill(path, idsOf(alice)), headers: gw.auth(root.token), payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
        if (![404, 405].includes(res.statusCode) || !isProblem(res)) wrong.push(`${method} ${path} → ${res.statusCode}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('ignores X-HTTP-Method-Override (a GET cannot become a DELETE)', async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: `/api/v1/sessions/${alice.sessionId}`,
      headers: { ...gw.auth(alice.token), 'x-http-method-override': 'DELETE', 'x-method-override': 'DELETE' },
    });
    expect(res.statusCode).toBe(200);
    const still = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionId}`, headers: gw.auth(alice.token) });
    expect(still.statusCode).toBe(200);
  });
});
