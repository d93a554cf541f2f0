// OWASP API7:2023 Server-side request forgery. Two places take a URL the platform later fetches
// from inside its network: webhook endpoints (the dispatcher POSTs to them) and media.url in
// POST /api/v1/messages (the worker downloads it). Both must refuse internal targets up front.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { isProblem, securityGateway, tenantWithObjects, type Tenant } from './support.js';

// Names an attacker controls whose DNS answers point inside.
const DNS: Record<string, string[]> = {
  'private.attacker.test': ['10.0.0.5'],
  'loopback.attacker.test': ['127.0.0.1'],
  'mixed.attacker.test': ['93.184.216.34', '169.254.169.254'],
  'v6.attacker.test': ['::1'],
};
const lookup = async (host: string) =>
  (DNS[host] ?? ['93.184.216.34']).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

const FORBIDDEN = [
  'http://127.0.0.1/',
  'http://127.1:8080/',
  'http://localhost:3000/admin',
  'http://foo.localhost/',
  'http://[::1]/',
  'http://[::]/',
  'http://0.0.0.0:6379/',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://instance-data/latest/',
  'http://service.cluster.internal/',
  'http://2130706433/',
  'http://0177.0.0.1/',
  'http://0x7f.0.0.1/',
  'http://10.0.0.1/',
  'http://172.16.5.4/',
  'http://192.168.1.1/',
  'http://100.64.0.1/',
  'http://224.0.0.1/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[fd00:ec2::254]/',
  'http://[fe80::1]/',
  'http://private.attacker.test/',
  'http://loopback.attacker.test:5432/',
  'http://mixed.attacker.test/',
  'http://v6.attacker.test/',
  'http://user:pass@hooks.example.com/',
  'file:///etc/passwd',
  'gopher://127.0.0.1:6379/_FLUSHALL',
  'ftp://hooks.example.com/x',
  'dict://127.0.0.1:11211/stat',
  'javascript:alert(1)',
];

let gw: TestGateway;
let alice: Tenant;

beforeAll(async () => {
  gw = await securityGateway({ deps: { webhooks: { lookup } } });
  alice = await tenantWithObjects(gw);
});
afterAll(async () => gw?.close());

describe('API7 SSRF: webhook URLs', () => {
  it(`refuses ${FORBIDDEN.length} internal or non-http targets on create with a 400 problem`, async () => {
    expect(FORBIDDEN.length).toBeGreaterThanOrEqual(20);
    const accepted: string[] = [];
    for (const url of FORBIDDEN) {
      const res = await gw.app.inject({
        method: 'POST',
        url: `/api/v1/sessions/${alice.sessionId}/webhooks`,
        headers: gw.auth(alice.token),
        payload: { url, events: ['message.received'] },
      });
      if (res.statusCode !== 400 || !isProblem(res)) accepted.push(`${url} → ${res.statusCode}`);
    }
    expect(accepted).toEqual([]);
  });

  it('refuses the same targets when an existing webhook is re-pointed with PATCH', async () => {
    const accepted: string[] = [];
    for (const url of FORBIDDEN) {
      const res = await gw.app.inject({
        method: 'PATCH',
        url: `/api/v1/sessions/${alice.sessionId}/webhooks/${alice.webhookId}`,
        headers: gw.auth(alice.token),
        payload: { url },
      });
      if (res.statusCode !== 400) accepted.push(`${url} → ${res.statusCode}`);
    }
    expect(accepted).toEqual([]);
  });

  it('accepts a public https endpoint (the guard is not refusing everything)', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: `/api/v1/sessions/${alice.sessionId}/webhooks`,
      headers: gw.auth(alice.token),
      payload: { url: 'https://hooks.example.com/ok', events: ['message.sent'] },
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('API7 SSRF: media.url in POST /api/v1/messages', () => {
  it(`refuses ${FORBIDDEN.length} internal or non-http media URLs before any worker is asked`, async () => {
    const accepted: string[] = [];
    for (const url of FORBIDDEN) {
      const res = await gw.app.inject({
        method: 'POST',
        url: '/api/v1/messages',
        headers: { 'x-api-key': alice.apiKey },
        payload: { to: '+6281234567890', type: 'image', media: { url, mimetype: 'image/png' } },
      });
      if (res.statusCode !== 400 || !isProblem(res)) accepted.push(`${url} → ${res.statusCode}`);
    }
    expect(accepted).toEqual([]);
  });

  it('lets a public media URL through to the session check (409 on a disconnected session, not 400)', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/messages',
      headers: { 'x-api-key': alice.apiKey },
      payload: { to: '+6281234567890', type: 'image', media: { url: 'https://cdn.example.com/cat.png', mimetype: 'image/png' } },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'SESSION_NOT_CONNECTED' });
  });
});
