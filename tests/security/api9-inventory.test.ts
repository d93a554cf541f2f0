// OWASP API9:2023 Improper inventory management. What Fastify actually serves and what the
// OpenAPI document says must be the same set: an undocumented route is an unreviewed one, and a
// documented route that is not served is a stale contract. The only routes left out on purpose are
// listed here, each with its reason. Likewise every documented operation declares how it is
// authenticated, except an explicit public list, and what it declares is what it enforces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { bodyFor, fill, isAdminPath, isInternalPath, isProblem, openApiOperations, registeredRoutes, securityGateway, type Operation } from './support.js';

/** Served but deliberately not in the API document. */
const HIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /^\/$/, why: 'redirect to /docs or /health' },
  { pattern: /^\/docs(\/.*|\*)?$/, why: 'Swagger UI and the document itself' },
  {
    pattern: /^\/(404|_not-found|account|admin|login|signup|sandbox|sessions|_next|__next\.[^/]*|icon\.svg|index\.txt)([./].*|\*)?$/,
    why: 'the dashboard static export (HTML/JS, no API)',
  },
];

/** Documented operations that take no credentials on purpose; every other one declares its scheme. */
const PUBLIC: { operation: string; why: string }[] = [
  { operation: 'GET /health', why: 'liveness probe' },
  { operation: 'GET /health/detailed', why: 'readiness probe (dependency states, no secrets)' },
  { operation: 'GET /metrics', why: 'Prometheus scrape; kept off the public network by deployment' },
  { operation: 'POST /api/v1/auth/register', why: 'creates the credentials' },
  { operation: 'POST /api/v1/auth/login', why: 'exchanges a password for a token' },
  { operation: 'POST /api/v1/auth/refresh', why: 'the refresh token is in the body' },
];

let gw: TestGateway;
let documented: Operation[];
let served: { method: string; path: string }[];
let securitySchemes: Record<string, unknown>;

beforeAll(async () => {
  // The sandbox routes exist only with WA_NETWORK=sandbox; register them too so they are inventoried.
  gw = await securityGateway({ config: { WA_NETWORK: 'sandbox', SANDBOX_CONTROL_URL: 'http://127.0.0.1:9' } });
  documented = await openApiOperations(gw.app);
  served = registeredRoutes(gw.app);
  const doc = (await gw.app.inject({ method: 'GET', url: '/docs/json' })).json() as { components?: { securitySchemes?: Record<string, unknown> } };
  securitySchemes = doc.components?.securitySchemes ?? {};
});
afterAll(async () => gw?.close());

const key = (method: string, path: string) => `${method} ${path}`;

describe('API9 inventory', () => {
  it('parses a realistic route table (guards the parser itself)', () => {
    expect(served.length).toBeGreaterThan(40);
    expect(served).toContainEqual({ method: 'DELETE', path: '/api/v1/sessions/:id/api-keys/:keyId' });
    expect(served).toContainEqual({ method: 'POST', path: '/api/v1/internal/events' });
  });

  it('documents every served API route (nothing undocumented outside the explicit hidden list)', () => {
    const docs = new Set(documented.map((op) => key(op.method, op.path)));
    const undocumented = served.filter((r) => !docs.has(key(r.method, r.path)) && !HIDDEN.some((h) => h.pattern.test(r.path)));
    expect(undocumented).toEqual([]);
  });

  it('serves every documented operation (no stale contract)', () => {
    const live = new Set(served.map((r) => key(r.method, r.path)));
    const stale = documented.filter((op) => !live.has(key(op.method, op.path))).map((op) => key(op.method, op.openApiPath));
    expect(stale).toEqual([]);
  });

  it('documents the sandbox routes when the sandbox is on', () => {
    expect(documented.some((op) => op.path.startsWith('/api/v1/sandbox/phones'))).toBe(true);
  });

  it('keeps every hidden route outside /api (no hidden API surface)', () => {
    const hiddenApi = served.filter((r) => r.path.startsWith('/api/') && HIDDEN.some((h) => h.pattern.test(r.path)));
    expect(hiddenApi).toEqual([]);
  });
});

describe('API9 documented security', () => {
  const isPublic = (op: Operation) => PUBLIC.some((p) => p.operation === key(op.method, op.openApiPath));

  it('declares a security scheme on every operation outside the explicit public list', () => {
    const undeclared = documented.filter((op) => !op.secured && !isPublic(op)).map((op) => key(op.method, op.openApiPath));
    expect(undeclared).toEqual([]);
  });

  it('keeps the public list exact: every entry is a documented operation that declares no scheme', () => {
    const live = new Map(documented.map((op) => [key(op.method, op.openApiPath), op]));
    const stale = PUBLIC.filter((p) => live.get(p.operation)?.secured !== false).map((p) => p.operation);
    expect(stale).toEqual([]);
  });

  it('names only schemes the document defines', () => {
    expect(Object.keys(securitySchemes).sort()).toEqual(['apiKey', 'bearer', 'workerToken']);
    const unknown = documented.flatMap((op) => op.schemes.filter((s) => !(s in securitySchemes)).map((s) => `${key(op.method, op.openApiPath)}: ${s}`));
    expect(unknown).toEqual([]);
  });

  it('declares the worker token on internal routes only, and the dashboard JWT alone on admin routes', () => {
    const wrong = documented.flatMap((op) => {
      const internal = isInternalPath(op.path);
      const expected = internal ? ['workerToken'] : isAdminPath(op.path) ? ['bearer'] : undefined;
      if (expected !== undefined) return JSON.stringify(op.schemes) === JSON.stringify(expected) ? [] : [`${key(op.method, op.openApiPath)}: ${op.schemes.join(',')}`];
      return op.schemes.includes('workerToken') ? [`${key(op.method, op.openApiPath)}: workerToken outside /internal`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it('refuses an anonymous caller with 401 problem+json on every operation that declares a scheme', async () => {
    const wrong: string[] = [];
    for (const op of documented.filter((o) => o.secured)) {
      const body = bodyFor(op);
      const res = await gw.app.inject({ method: op.method, url: fill(op.path, {}), ...(body === undefined ? {} : { payload: body as object }) });
      if (res.statusCode !== 401 || !isProblem(res)) wrong.push(`${key(op.method, op.openApiPath)} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });
});
