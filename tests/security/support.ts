// Shared fixtures for the OWASP API Top 10 suites: an in-process gateway on PGlite, two tenants
// with real objects, and the route list read from the live OpenAPI document, so a route added
// later is covered by the matrix and the fuzzer without editing them.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createTestGateway, type SignedUp, type TestGateway, type TestGatewayOptions } from '../../apps/gateway/src/test-support/test-gateway.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A JSON Schema fragment as @fastify/swagger prints it (only what the suites read). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  format?: string;
}

export interface Operation {
  method: HttpMethod;
  /** Fastify form: /api/v1/sessions/:id */
  path: string;
  /** OpenAPI form: /api/v1/sessions/{id} */
  openApiPath: string;
  pathParams: string[];
  query: Record<string, JsonSchema>;
  body: JsonSchema | undefined;
  secured: boolean;
  /** Names of the security schemes the operation accepts (any one of them). */
  schemes: string[];
}

/** Every DNS name the gateway resolves in these suites gets this public answer. */
export const publicLookup = async () => [{ address: '93.184.216.34', family: 4 }];

export async function securityGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  return createTestGateway({ ...options, deps: { webhooks: { lookup: publicLookup }, ...options.deps } });
}

interface OpenApiOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, unknown>[];
}

export async function openApiOperations(app: FastifyInstance): Promise<Operation[]> {
  const res = await app.inject({ method: 'GET', url: '/docs/json' });
  if (res.statusCode !== 200) throw new Error(`/docs/json answered ${res.statusCode}`);
  const doc = res.json() as { paths: Record<string, Record<string, OpenApiOperation>> };
  const ops: Operation[] = [];
  for (const [openApiPath, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      const params = op.parameters ?? [];
      ops.push({
        method: method.toUpperCase() as HttpMethod,
        openApiPath,
        path: openApiPath.replace(/\{(\w+)\}/g, ':$1'),
        pathParams: [...openApiPath.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        query: Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, p.schema ?? {}])),
        body: op.requestBody?.content?.['application/json']?.schema,
        secured: (op.security?.length ?? 0) > 0,
        schemes: [...new Set((op.security ?? []).flatMap((requirement) => Object.keys(requirement)))].sort(),
      });
    }
  }
  return ops;
}

/**
 * Every route Fastify registered (HEAD twins dropped), read back from printRoutes' tree: each
 * line's segment is appended to its parent's path by indentation depth.
 */
export function registeredRoutes(app: FastifyInstance): { method: string; path: string }[] {
  const tree = app.printRoutes({ commonPrefix: false });
  const stack: string[] = [];
  const routes: { method: string; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│├└─\s]*)(\S.*?) \(([A-Z, ]+)\)$/.exec(line);
    if (!match) continue;
    const depth = Math.round(match[1]!.length / 4);
    stack.length = depth;
    stack.push(match[2]!);
    const path = stack.join('');
    for (const method of match[3]!.split(',').map((m) => m.trim())) {
      if (method !== 'HEAD') routes.push({ method, path });
    }
  }
  return routes;
}

export function fill(path: string, values: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(values[name] ?? `missing_${name}`));
}

export interface Tenant extends SignedUp {
  sessionId: string;
  apiKey: string;
  apiKeyId: string;
  webhookId: string;
  deliveryId: string;
}

/** A user with one session (and its default key), one webhook and one delivery (the webhook test). */
export async function tenantWithObjects(gw: TestGateway): Promise<Tenant> {
  const user = await gw.signUp();
  const headers = gw.auth(user.token);
  const session = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers, payload: { name: 'victim' } });
  if (session.statusCode !== 201) throw new Error(`session: ${session.statusCode} ${session.body}`);
  const { session: s, apiKey } = session.json() as { session: { id: string }; apiKey: { id: string; key: string } };
  const webhook = await gw.app.inject({
    method: 'POST',
    url: `/api/v1/sessions/${s.id}/webhooks`,
    headers,
    payload: { url: 'https://hooks.example.com/in', events: ['message.received'] },
  });
  if (webhook.statusCode !== 201) throw new Error(`webhook: ${webhook.statusCode} ${webhook.body}`);
  const webhookId = (webhook.json() as { webhook: { id: string } }).webhook.id;
  const test = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${s.id}/webhooks/${webhookId}/test`, headers });
  if (test.statusCode !== 202) throw new Error(`webhook test: ${test.statusCode} ${test.body}`);
  const deliveryId = (test.json() as { delivery: { id: string } }).delivery.id;
  return { ...user, sessionId: s.id, apiKey: apiKey.key, apiKeyId: apiKey.id, webhookId, deliveryId };
}

export function idsOf(t: Tenant): Record<string, string> {
  return { id: t.sessionId, keyId: t.apiKeyId, webhookId: t.webhookId, deliveryId: t.deliveryId, messageId: 'msg_not_theirs' };
}

export function isProblem(res: LightMyRequestResponse): boolean {
  const type = String(res.headers['content-type'] ?? '');
  if (!type.startsWith('application/problem+json')) return false;
  const body = res.json() as { status?: unknown; code?: unknown; title?: unknown };
  return body.status === res.statusCode && typeof body.code === 'string' && typeof body.title === 'string';
}

/** Routes that speak to (or as) the fleet, or that only admins reach: not tenant objects. */
export const isAdminPath = (path: string): boolean => path.startsWith('/api/v1/admin/');
export const isInternalPath = (path: string): boolean => path.startsWith('/api/v1/internal/');

/** Small PRNG (mulberry32): the same seed gives the same inputs, so a failure replays. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The smallest body a JSON schema accepts (required properties only), so an ownership check is
 * reached rather than stopped at validation.
 */
export function minimalValid(schema: JsonSchema | undefined): unknown {
  if (!schema) return undefined;
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0] ?? schema.allOf?.[0];
  if (variant && !schema.type) return minimalValid(variant);
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const name of schema.required ?? []) out[name] = minimalValid(schema.properties?.[name] ?? {});
      // A PATCH body with every field optional still needs one field ("nothing to change" is a 400).
      const first = Object.entries(schema.properties ?? {})[0];
      if (Object.keys(out).length === 0 && first) out[first[0]] = minimalValid(first[1]);
      return out;
    }
    case 'array':
      return [minimalValid(schema.items ?? { type: 'string' })];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'uri') return 'https://hooks.example.com/x';
      if (schema.format === 'date-time') return new Date(Date.now() + 86_400_000).toISOString();
      if (schema.format === 'email') return 'someone@example.test';
      return 'probe';
    default:
      return {};
  }
}

/** Bodies whose schema is a union or pattern the minimal generator cannot satisfy. */
const KNOWN_BODIES: Record<string, unknown> = {
  'POST /api/v1/messages': { to: '+6281234567890', type: 'text', text: 'hello' },
  'POST /api/v1/contacts/check': { phones: ['+6281234567890'] },
};

/** A valid body for the operation (or undefined when it takes none). */
export function bodyFor(op: Operation): unknown {
  return KNOWN_BODIES[`${op.method} ${op.openApiPath}`] ?? minimalValid(op.body);
}
