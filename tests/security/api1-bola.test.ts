// OWASP API1:2023 Broken object-level authorization. The matrix is every documented operation
// with a path parameter (read from /docs/json, so a new route joins it on its own): Bob asks for
// Alice's objects and must get 404 — never 200, never 403 (which would confirm the id exists).
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
let bob: Tenant;
let tenantOps: Operation[];

beforeAll(async () => {
  gw = await securityGateway();
  alice = await tenantWithObjects(gw);
  bob = await tenantWithObjects(gw);
  tenantOps = (await openApiOperations(gw.app)).filter((op) => op.pathParams.length > 0 && !isAdminPath(op.path) && !isInternalPath(op.path));
});
afterAll(async () => gw?.close());

function request(op: Operation, ids: Record<string, string>, headers: Record<string, string>) {
  const body = bodyFor(op);
  return gw.app.inject({ method: op.method, url: fill(op.path, ids), headers, ...(body === undefined ? {} : { payload: body as object }) });
}

/** Bob's credentials for the operation: his dashboard JWT, or his session key for key routes. */
const bobHeaders = (op: Operation): Record<string, string> =>
  op.pathParams.includes('messageId') ? { 'x-api-key': bob.apiKey } : gw.auth(bob.token);

describe('API1 BOLA matrix', () => {
  it('covers every tenant route with an object id in the OpenAPI document', () => {
    const paths = new Set(tenantOps.map((op) => op.openApiPath));
    // A floor, so the derivation cannot silently shrink to nothing.
    expect(tenantOps.length).toBeGreaterThanOrEqual(20);
    for (const p of ['/api/v1/sessions/{id}', '/api/v1/sessions/{id}/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver', '/api/v1/sessions/{id}/api-keys/{keyId}']) {
      expect(paths).toContain(p);
    }
  });

  it("answers 404 problem+json when Bob uses Alice's ids on every such route", async () => {
    const wrong: string[] = [];
    for (const op of tenantOps) {
      const res = await request(op, idsOf(alice), bobHeaders(op));
      // A message id is looked up inside the caller's own session; Bob's is not connected, so 409
      // is the honest answer there — still neither Alice's data nor a 403.
      const allowed = op.pathParams.includes('messageId') ? [404, 409] : [404];
      if (!allowed.includes(res.statusCode) || !isProblem(res)) wrong.push(`${op.method} ${op.openApiPath} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it("answers 404 when Bob nests Alice's webhook, key or delivery under his own session", async () => {
    const nested = tenantOps.filter((op) => op.pathParams.length > 1 && op.pathParams[0] === 'id');
    expect(nested.length).toBeGreaterThanOrEqual(8);
    const wrong: string[] = [];
    for (const op of nested) {
      const res = await request(op, { ...idsOf(alice), id: bob.sessionId }, gw.auth(bob.token));
      if (res.statusCode !== 404) wrong.push(`${op.method} ${op.openApiPath} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });

  it("leaves Alice's objects intact after Bob's attempts, and she still reads them (the ids were real)", async () => {
    const reads = tenantOps.filter((op) => op.method === 'GET' && !op.pathParams.includes('messageId') && !op.path.endsWith('/events'));
    expect(reads.length).toBeGreaterThanOrEqual(6);
    const missing: string[] = [];
    for (const op of reads) {
      const res = await request(op, idsOf(alice), gw.auth(alice.token));
      // The QR and pairing code exist only while connecting (409); everything else is hers to read.
      if (res.statusCode === 404) missing.push(`${op.method} ${op.openApiPath}`);
    }
    expect(missing).toEqual([]);
  });

  it("does not list Alice's session in Bob's session list", async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/api/v1/sessions', headers: gw.auth(bob.token) });
    const ids = (res.json() as { data: { id: string }[] }).data.map((s) => s.id);
    expect(ids).toContain(bob.sessionId);
    expect(ids).not.toContain(alice.sessionId);
  });

  it("lets an admin read Alice's session (the 404 above is ownership, not a broken route)", async () => {
    const admin = await gw.signUpAdmin();
    const res = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${alice.sessionId}`, headers: gw.auth(admin.token) });
    expect(res.statusCode).toBe(200);
  });
});
