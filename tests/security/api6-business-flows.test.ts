// OWASP API6:2023 Unrestricted access to sensitive business flows. Sending is the flow a spammer
// wants: a script blasting messages to arbitrary (unknown) numbers through one key must hit the
// tier's hourly cap (429 with the standard headers) instead of being forwarded without end, and
// existence checks come in small batches. In sandbox mode, a user's virtual phones are theirs
// alone: another user cannot read, drive, link or unlink them, and one user cannot mint phones
// without end.
import { createSimulator, type Simulator } from '@wagate/wa-sim';
import { sql } from 'drizzle-orm';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { isProblem, securityGateway, tenantWithObjects } from './support.js';

describe('API6 bulk sends to unknown numbers', () => {
  let worker: Server;
  let gw: TestGateway;
  let forwarded = 0;

  beforeAll(async () => {
    // A stand-in worker that accepts every command, so the gateway's own limits are what is tested.
    worker = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = (raw ? JSON.parse(raw) : {}) as { sessionId?: string; epoch?: number; message?: { to?: string; text?: string } };
        res.setHeader('content-type', 'application/json');
        if (req.url?.startsWith('/health')) {
          res.end(JSON.stringify({ status: 'ok', sessionCount: 0, maxSessions: 100, cpuUsage: 1, memoryUsage: 1, uptimeSeconds: 5 }));
        } else if (req.url?.includes('/messages/send')) {
          forwarded++;
          res.end(
            JSON.stringify({
              message: {
                id: `msg_${forwarded}`,
                sessionId: body.sessionId,
                chatId: `${String(body.message?.to).replace('+', '')}@s.whatsapp.net`,
                from: '6280000000000',
                to: String(body.message?.to),
                fromMe: true,
                type: 'text',
                text: body.message?.text,
                status: 'PENDING',
                timestamp: new Date().toISOString(),
              },
            }),
          );
        } else {
          res.end(JSON.stringify({ sessionId: body.sessionId, epoch: body.epoch, status: 'CONNECTING' }));
        }
      });
    });
    await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve));
    gw = await securityGateway({ config: { RATE_LIMIT_IP_PER_15_MIN: '0' } });
    const reg = await gw.app.inject({
      method: 'POST',
      url: '/api/v1/internal/workers/register',
      headers: gw.auth(gw.config.WORKER_TOKEN ?? ''),
      payload: { endpoint: `http://127.0.0.1:${(worker.address() as AddressInfo).port}`, maxSessions: 100, version: 'stub' },
    });
    if (reg.statusCode >= 300) throw new Error(`register: ${reg.statusCode} ${reg.body}`);
  });
  afterAll(async () => {
    await gw?.close();
    worker?.closeAllConnections();
    await new Promise((resolve) => worker?.close(resolve));
  });

  it('stops a BASIC key at 100 messages per hour with 429 + Retry-After, and forwards none beyond it', async () => {
    const t = await tenantWithObjects(gw);
    const connect = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${t.sessionId}/connect`, headers: gw.auth(t.token), payload: {} });
    expect(connect.statusCode).toBe(202);
    // The stand-in cannot pair a phone; the session is marked linked as a real worker's event would.
    await gw.db.execute(sql`update sessions set status = 'CONNECTED' where id = ${t.sessionId}`);
    const statuses = new Map<number, number>();
    let limited;
    for (let i = 0; i < 110; i++) {
      const to = `+1555${String(1_000_000 + i * 7919).slice(-7)}`;
      const res = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': t.apiKey }, payload: { to, text: `promo ${i}` } });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode === 429) limited = res;
    }
    expect(statuses.get(202)).toBe(100);
    expect(statuses.get(429)).toBe(10);
    expect(forwarded).toBe(100);
    expect(isProblem(limited!)).toBe(true);
    expect(limited!.headers['retry-after']).toBeDefined();
    expect(limited!.headers['ratelimit-limit']).toBe('100');
    // A second key on the same account does not reset the budget (it is the account's, per tier).
    const second = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${t.sessionId}/api-keys`, headers: gw.auth(t.token), payload: { name: 'second' } });
    const key = (second.json() as { apiKey: { key: string } }).apiKey.key;
    const again = await gw.app.inject({ method: 'POST', url: '/api/v1/messages', headers: { 'x-api-key': key }, payload: { to: '+15550001111', text: 'x' } });
    expect(again.statusCode).toBe(429);
    expect(forwarded).toBe(100);
  });

  it('checks contacts in batches of at most 50 (no bulk harvesting in one call)', async () => {
    const t = await tenantWithObjects(gw);
    const phones = Array.from({ length: 51 }, (_, i) => `+1555${String(2_000_000 + i)}`);
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/contacts/check', headers: { 'x-api-key': t.apiKey }, payload: { phones } });
    expect(res.statusCode).toBe(400);
  });
});

describe('API6 sandbox abuse', () => {
  const PHONE_CAP = 4;
  let sim: Simulator;
  let gw: TestGateway;

  beforeAll(async () => {
    sim = await createSimulator({ rootKeyPair: 'test' });
    gw = await securityGateway({ config: { WA_NETWORK: 'sandbox', SANDBOX_CONTROL_URL: sim.controlUrl, RATE_LIMIT_IP_PER_15_MIN: '0', SANDBOX_PHONES_PER_USER: String(PHONE_CAP) } });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await sim?.close();
  });

  it("answers 404 to every sandbox phone route used on another user's virtual phone", async () => {
    const [a, b] = [await gw.signUp(), await gw.signUp()];
    const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: gw.auth(a.token), payload: { name: 'Alice phone' } });
    expect(created.statusCode).toBe(201);
    const phone = (created.json() as { phone: { phoneNumber: string } }).phone.phoneNumber;
    const attempts: [string, string, object | undefined][] = [
      ['GET', `/api/v1/sandbox/phones/${phone}/messages`, undefined],
      ['POST', `/api/v1/sandbox/phones/${phone}/messages`, { to: '+6280000000001', text: 'spoofed' }],
      ['POST', `/api/v1/sandbox/phones/${phone}/scan`, { qr: '2@abc,def,ghi,jkl' }],
      ['POST', `/api/v1/sandbox/phones/${phone}/pairing-code`, { code: 'ABCD1234' }],
      ['POST', `/api/v1/sandbox/phones/${phone}/unlink`, { sessionPhoneNumber: '+6280000000001' }],
    ];
    const wrong: string[] = [];
    for (const [method, url, payload] of attempts) {
      const res = await gw.app.inject({ method: method as 'GET' | 'POST', url, headers: gw.auth(b.token), ...(payload ? { payload } : {}) });
      if (res.statusCode !== 404) wrong.push(`${method} ${url} → ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
    // Alice still reads her phone (the 404s were ownership).
    const mine = await gw.app.inject({ method: 'GET', url: `/api/v1/sandbox/phones/${phone}/messages`, headers: gw.auth(a.token) });
    expect(mine.statusCode).toBe(200);
  });

  it('does not let a user claim a phone number another user already holds', async () => {
    const [a, b] = [await gw.signUp(), await gw.signUp()];
    const first = await gw.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: gw.auth(a.token), payload: {} });
    const phone = (first.json() as { phone: { phoneNumber: string } }).phone.phoneNumber;
    const steal = await gw.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: gw.auth(b.token), payload: { phoneNumber: phone } });
    expect(steal.statusCode).toBeGreaterThanOrEqual(400);
    expect(steal.statusCode).toBeLessThan(500);
    const read = await gw.app.inject({ method: 'GET', url: `/api/v1/sandbox/phones/${phone}/messages`, headers: gw.auth(b.token) });
    expect(read.statusCode).toBe(404);
  });

  it('caps virtual phones per user: parallel creates at the limit fill it exactly, the rest get 403 QUOTA_EXCEEDED', async () => {
    const user = await gw.signUp();
    const create = () => gw.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: gw.auth(user.token), payload: {} });
    expect((await create()).statusCode).toBe(201);
    const results = await Promise.all(Array.from({ length: 3 * PHONE_CAP }, create));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(PHONE_CAP - 1);
    const refused = results.filter((r) => r.statusCode !== 201);
    expect(refused.every((r) => r.statusCode === 403 && isProblem(r) && (r.json() as { code: string }).code === 'QUOTA_EXCEEDED')).toBe(true);
    const list = await gw.app.inject({ method: 'GET', url: '/api/v1/sandbox/phones', headers: gw.auth(user.token) });
    expect((list.json() as { data: unknown[] }).data).toHaveLength(PHONE_CAP);
    expect((await create()).statusCode).toBe(403);
  });

  it('is unavailable to API keys (virtual phones are a dashboard feature)', async () => {
    const t = await tenantWithObjects(gw);
    const res = await gw.app.inject({ method: 'POST', url: '/api/v1/sandbox/phones', headers: { 'x-api-key': t.apiKey }, payload: {} });
    expect(res.statusCode).toBe(401);
  });
});
