// Schema-driven fuzzer over the live OpenAPI document: for every operation, seeded random
// invalid and edge-case inputs (wrong types, nulls, huge and odd unicode strings, extra fields,
// bad ids and queries, deep nesting) must never produce a 5xx, and every 4xx must be
// problem+json. Seeded: a failure prints its seed and case, and replays identically.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import {
  bodyFor,
  fill,
  idsOf,
  isAdminPath,
  isInternalPath,
  isProblem,
  openApiOperations,
  prng,
  securityGateway,
  tenantWithObjects,
  type JsonSchema,
  type Operation,
  type Tenant,
} from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed11);
const CASES_PER_OPERATION = Number(process.env.FUZZ_CASES ?? 24);
/** 5xx answers the contract defines for an unavailable dependency: not a crash. */
const EXPECTED_5XX = new Set(['NO_WORKER_AVAILABLE', 'WORKER_UNAVAILABLE', 'SERVICE_UNAVAILABLE']);

const STRINGS = [
  '',
  ' ',
  '\u0000',
  'null',
  '💥🔥'.repeat(50),
  '\u202Eevil\u202C',
  '\ud800',
  'ﷺ'.repeat(300),
  "' OR 1=1 --",
  '"; DROP TABLE users; --',
  '../../../../etc/passwd',
  '%00%FF%C0%AF',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  '-1',
  '1e309',
  'NaN',
  'true',
];
const BAD_IDS = ['0', '-1', 'null', 'undefined', '%00', '..%2F..%2Fadmin', '%E2%80%AE', 'ses_' + 'A'.repeat(300), "ses_'--", '%F0%9F%92%A5', '{id}', '*', 'x'.repeat(2000), '%C0%AE%C0%AE'];
const BAD_QUERY = ['limit=-1', 'limit=0', 'limit=101', 'limit=1e309', 'limit=abc', 'limit=1&limit=2', 'cursor=%FF%FE', 'cursor=' + 'A'.repeat(4000), 'before=not-a-date', 'before=-99999999999999', 'chatId=%00', 'status[]=x', 'limit[$gt]=1', '__proto__[x]=1'];

let gw: TestGateway;
let alice: Tenant;
let admin: { token: string; userId: string };
let ops: Operation[];

beforeAll(async () => {
  // The per-IP limit would turn most of the run into 429s; the fuzzer wants to reach the handlers.
  gw = await securityGateway({ config: { RATE_LIMIT_IP_PER_15_MIN: '0' } });
  alice = await tenantWithObjects(gw);
  admin = await gw.signUpAdmin();
  // The event stream never ends on success; it is covered by the BOLA and auth suites.
  ops = (await openApiOperations(gw.app)).filter((op) => !op.path.endsWith('/events') && !op.path.startsWith('/docs'));
});
afterAll(async () => gw?.close());

function credentials(op: Operation): Record<string, string> {
  if (isAdminPath(op.path)) return gw.auth(admin.token);
  if (isInternalPath(op.path)) return gw.auth(gw.config.WORKER_TOKEN ?? 'none');
  if (op.path === '/api/v1/session' || op.path.startsWith('/api/v1/messages') || op.path.startsWith('/api/v1/contacts')) return { 'x-api-key': alice.apiKey };
  return gw.auth(alice.token);
}

function deep(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

interface Case {
  name: string;
  url: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** One random case for the operation; `rand` drives every choice so the seed replays it. */
function makeCase(op: Operation, rand: () => number): Case {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const ids = { ...idsOf(alice), id: op.path.startsWith('/api/v1/admin/users') ? alice.userId : alice.sessionId };
  const base = bodyFor(op);
  const url = fill(op.path, ids);
  const strange = (): unknown =>
    pick<() => unknown>([
      () => pick(STRINGS),
      () => 'x'.repeat(100_000),
      () => null,
      () => -1,
      () => 2 ** 64,
      () => 0.5,
      () => true,
      () => [],
      () => ({}),
      () => [pick(STRINGS), null, 7],
      () => ({ $gt: '' }),
      () => deep(50),
    ])();
  const props = (schema: JsonSchema | undefined) => Object.keys(schema?.properties ?? {});
  const kind = Math.floor(rand() * 8);
  switch (kind) {
    case 0: {
      if (op.pathParams.length === 0) return { name: 'root wrong type', url, body: strange() };
      const param = pick(op.pathParams);
      return { name: `bad path param ${param}`, url: fill(op.path.replace(`:${param}`, pick(BAD_IDS)), ids), body: base };
    }
    case 1:
      return { name: 'bad query', url: `${url}?${pick(BAD_QUERY)}`, body: base };
    case 2: {
      const names = props(op.body);
      if (typeof base !== 'object' || base === null || names.length === 0) return { name: 'root wrong type', url, body: strange() };
      const name = pick(names);
      return { name: `property ${name} strange`, url, body: { ...(base as object), [name]: strange() } };
    }
    case 3:
      return { name: 'extra field', url, body: { ...(typeof base === 'object' && base ? base : {}), [pick(['isAdmin', '__proto__', 'constructor', 'role', 'x'.repeat(500)])]: pick(STRINGS) } };
    case 4:
      return { name: 'malformed json', url, raw: pick(['{', '{"a":', '[1,2', 'nul', '{"a":1}{"b":2}', '\u0000', '{"__proto__":{"polluted":1}}', JSON.stringify(deep(2000))]) };
    case 5:
      return { name: 'unicode everywhere', url, body: Object.fromEntries(props(op.body).map((n) => [n, pick(STRINGS)])) };
    case 6:
      return {
        name: 'odd headers',
        url,
        body: base,
        headers: pick<Record<string, string>>([
          { 'idempotency-key': 'k'.repeat(5000) },
          { 'idempotency-key': '💥' },
          { 'content-type': 'application/json; charset=utf-16' },
          { 'x-request-id': '\r\nset-cookie: a=b' },
          { 'accept-encoding': 'gzip;q=abc, *;q=-1' },
        ]),
      };
    default:
      return { name: 'null body fields', url, body: Object.fromEntries(props(op.body).map((n) => [n, null])) };
  }
}

describe('OpenAPI fuzzer', () => {
  it(`sends ${CASES_PER_OPERATION} seeded cases per operation (seed ${SEED}) and never gets a 5xx`, async () => {
    expect(ops.length).toBeGreaterThanOrEqual(35);
    const failures: string[] = [];
    let sent = 0;
    const statusCounts: Record<number, number> = {};
    for (const [index, op] of ops.entries()) {
      const rand = prng(SEED + index);
      for (let i = 0; i < CASES_PER_OPERATION; i++) {
        const c = makeCase(op, rand);
        const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
        const headers: Record<string, string> = { ...credentials(op), ...c.headers };
        let payload: string | undefined;
        if (hasBody && (c.raw !== undefined || c.body !== undefined)) {
          payload = c.raw ?? JSON.stringify(c.body);
          headers['content-type'] ??= 'application/json';
        }
        const res = await gw.app.inject({ method: op.method, url: c.url, headers, ...(payload === undefined ? {} : { payload }) });
        sent++;
        statusCounts[res.statusCode] = (statusCounts[res.statusCode] ?? 0) + 1;
        const where = `${op.method} ${op.openApiPath} [${c.name}] seed=${SEED + index} case=${i} → ${res.statusCode}`;
        if (res.statusCode >= 500) {
          const code = String((res.json() as { code?: unknown }).code ?? '');
          if (!EXPECTED_5XX.has(code)) failures.push(`${where} ${res.body.slice(0, 200)}`);
        } else if (res.statusCode >= 400 && !isProblem(res)) {
          failures.push(`${where} not problem+json: ${String(res.headers['content-type'])}`);
        }
      }
    }
    // The spread shows the handlers were reached (not all 401/400); kept in the output for the record.
    process.stdout.write(`fuzz: ${sent} requests, statuses ${JSON.stringify(statusCounts)}\n`);
    expect(sent).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  }, 120_000);
});
