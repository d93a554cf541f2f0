// OWASP API9:2023 Improper inventory management. What Fastify actually serves and what the
// OpenAPI document says must be the same set: an undocumented route is an unreviewed one, and a
// documented route that is not served is a stale contract. The only routes left out on purpose are
// listed here, each with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { openApiOperations, registeredRoutes, securityGateway, type Operation } from './support.js';

/** Served but deliberately not in the API document. */
const HIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /^\/$/, why: 'redirect to /docs or /health' },
  { pattern: /^\/docs(\/.*|\*)?$/, why: 'Swagger UI and the document itself' },
  {
    pattern: /^\/(404|_not-found|account|admin|login|signup|sandbox|sessions|_next|__next\.[^/]*|icon\.svg|index\.txt)([./].*|\*)?$/,
    why: 'the dashboard static export (HTML/JS, no API)',
  },
];

let gw: TestGateway;
let documented: Operation[];
let served: { method: string; path: string }[];

beforeAll(async () => {
  // The sandbox routes exist only with WA_NETWORK=sandbox; register them too so they are inventoried.
  gw = await securityGateway({ config: { WA_NETWORK: 'sandbox', SANDBOX_CONTROL_URL: 'http://127.0.0.1:9' } });
  documented = await openApiOperations(gw.app);
  served = registeredRoutes(gw.app);
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
