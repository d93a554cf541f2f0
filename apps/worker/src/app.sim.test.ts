import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator } from '@wagate/wa-sim';
import type { Simulator } from '@wagate/wa-sim';
import type { EventEnvelope } from '@wagate/contracts';
import { createWorker } from './app.js';
import type { Worker } from './app.js';
import { parseWorkerConfig } from './config.js';
import { WORKER_API } from './http/index.js';
import { silentLogger } from './logger.js';
import { until } from './test-support/sim-worker.js';

/** A gateway stand-in on a real port: registers the worker, takes heartbeats and event batches. */
async function fakeGateway() {
  const events: EventEnvelope[] = [];
  const auths: string[] = [];
  const state = { heartbeatsFail: false };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      auths.push(`${req.url} ${req.headers.authorization ?? ''}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { events?: EventEnvelope[] };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/internal/workers/register') {
        res.end(JSON.stringify({ workerId: 'worker-a', token: 'per-worker-token-123', heartbeatIntervalMs: 200, leaseTtlMs: 1000 }));
      } else if (req.url?.endsWith('/heartbeat') === true) {
        if (state.heartbeatsFail) res.writeHead(503).end('{}');
        else res.end(JSON.stringify({ ok: true, leaseTtlMs: 1000 }));
      } else if (req.url === '/api/v1/internal/events') {
        events.push(...(body.events ?? []));
        res.end(JSON.stringify({ acknowledged: (body.events ?? []).map((e) => e.id), rejected: [], dropSessions: [] }));
      } else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { events, auths, state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

let sim: Simulator;
let gateway: Awaited<ReturnType<typeof fakeGateway>>;
let dataDir: string;
let worker: Worker;

beforeEach(async () => {
  sim = await createSimulator({ rootKeyPair: 'test', receiptDelays: { delivery: 0, read: 30 } });
  gateway = await fakeGateway();
  dataDir = await mkdtemp(join(tmpdir(), 'wagate-app-'));
  const config = parseWorkerConfig({
    GATEWAY_URL: gateway.url,
    WORKER_ID: 'worker-a',
    WORKER_PORT: '0',
    DATA_DIR: dataDir,
    WA_NETWORK: 'sandbox',
    WORKER_TOKEN: 'bootstrap-token-1234',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MAX_SESSIONS: '2',
    PACER_MIN_INTERVAL_MS: '0',
    PACER_JITTER_MS: '0',
  });
  worker = await createWorker(config, { logger: silentLogger(), sandbox: { url: sim.url, rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa } });
});
afterEach(async () => {
  await worker.stop();
  await gateway.close();
  await sim.close();
  await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
});


describe('worker process (HTTP API + outbox + registration) on wa-sim', () => {
  it('is driven by the gateway: start, QR, scan, send; events reach the gateway with the issued token', async () => {
    const { url } = await worker.start();
    const call = async (method: string, path: string, body?: unknown, token = 'per-worker-token-123') => {
      const res = await fetch(`${url.replace('0.0.0.0', '127.0.0.1')}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    await until(() => gateway.auths.some((a) => a.includes('/heartbeat')), 'a heartbeat');

    expect((await call('POST', WORKER_API.start, { sessionId: 's1', epoch: 1 }, 'wrong-token-xxxxxxxx')).status).toBe(401);
    expect((await call('GET', WORKER_API.health, undefined, '')).body).toMatchObject({ status: 'ok', sessionCount: 0, maxSessions: 2 });
    const started = await call('POST', WORKER_API.start, { sessionId: 's1', epoch: 1 });
    expect(started).toMatchObject({ status: 202, body: { sessionId: 's1', epoch: 1, status: 'CONNECTING' } });

    const qr = await until(async () => {
      const s = await call('GET', `/api/v1/internal/sessions/s1?epoch=1`);
      return (s.body['qr'] as { qr: string; dataUrl: string } | null) ?? undefined;
    }, 'a QR from the API');
    expect(qr.dataUrl).toMatch(/^data:image\/png;base64,/);
    const owner = sim.phones.create();
    await sim.scan(owner, qr.qr);
    await until(async () => (await call('GET', `/api/v1/internal/sessions/s1?epoch=1`)).body['status'] === 'CONNECTED', 'CONNECTED');

    expect((await call('GET', `/api/v1/internal/sessions/s1?epoch=0`)).body).toMatchObject({ code: 'STALE_EPOCH' });
    expect((await call('POST', WORKER_API.send, { sessionId: 's1', epoch: 1, message: { to: '123', text: 'x' } })).status).toBe(400);

    const alice = sim.phones.create();
    const sent = await call('POST', WORKER_API.send, { sessionId: 's1', epoch: 1, messageId: 'req_1', message: { to: `+${alice.phone}`, text: 'via the API' } });
    expect(sent.status).toBe(200);
    const message = sent.body['message'] as { id: string; status: string; to: string };
    expect(message).toMatchObject({ to: alice.jid, status: 'PENDING' });
    expect((await alice.waitForMessage((m) => m.id === message.id)).text).toBe('via the API');

    const checked = await call('POST', WORKER_API.contactsCheck, { sessionId: 's1', epoch: 1, phones: [`+${alice.phone}`, '+15559990000'] });
    expect(checked.body).toEqual({ results: [{ phone: `+${alice.phone}`, exists: true, jid: alice.jid }, { phone: '+15559990000', exists: false }] });

    // Events are at-least-once but not ordered: a READ status may reach the gateway before `message.sent`.
    await until(() => gateway.events.some((e) => e.type === 'message.status' && e.data.messageId === message.id && e.data.status === 'READ'), 'READ at the gateway');
    await until(() => gateway.events.some((e) => e.type === 'message.sent' && e.data.message.id === message.id), 'message.sent at the gateway');
    const types = new Set(gateway.events.map((e) => e.type));
    expect([...types]).toEqual(expect.arrayContaining(['session.status', 'session.qr', 'message.sent', 'message.status']));
    expect(gateway.events.every((e) => e.workerId === 'worker-a' && e.epoch === 1 && e.id.startsWith('evt_'))).toBe(true);
    expect(gateway.auths.filter((a) => a.startsWith('/api/v1/internal/events')).every((a) => a.endsWith('Bearer per-worker-token-123'))).toBe(true);

    const history = await call('GET', `${WORKER_API.messages}?sessionId=s1&epoch=1&chatId=${encodeURIComponent(`+${alice.phone}`)}`);
    expect((history.body['data'] as { id: string }[]).map((m) => m.id)).toEqual([message.id]);

    expect((await call('POST', WORKER_API.delete, { sessionId: 's1', epoch: 0 })).body).toMatchObject({ code: 'STALE_EPOCH' });
    const deleted = await call('POST', WORKER_API.delete, { sessionId: 's1', epoch: 1 });
    expect(deleted).toEqual({ status: 200, body: { sessionId: 's1', epoch: 1, status: 'LOGGED_OUT', phoneNumber: `+${owner.phone}` } });
    expect((await call('GET', `/api/v1/internal/sessions/s1?epoch=1`)).status).toBe(404);
    await until(() => owner.companions().length === 0, 'the device unlinked');
  });

  it('refuses a session beyond maxSessions with 503', async () => {
    const { url } = await worker.start();
    const base = url.replace('0.0.0.0', '127.0.0.1');
    const post = (sessionId: string) =>
      fetch(`${base}${WORKER_API.start}`, { method: 'POST', headers: { authorization: 'Bearer bootstrap-token-1234', 'content-type': 'application/json' }, body: JSON.stringify({ sessionId, epoch: 1 }) });
    expect((await post('a')).status).toBe(202);
    expect((await post('b')).status).toBe(202);
    const third = await post('c');
    expect(third.status).toBe(503);
    expect(third.headers.get('content-type')).toContain('application/problem+json');
  });

  it('closes every socket before its lease can expire when heartbeats stop being answered', async () => {
    await worker.start();
    await until(() => gateway.auths.some((a) => a.includes('/heartbeat')), 'a heartbeat');
    await worker.manager.start('s1', { epoch: 1 });
    const qr = await until(() => worker.manager.get('s1')?.qr?.raw, 'a QR');
    const owner = sim.phones.create();
    await sim.scan(owner, qr);
    await until(() => worker.manager.get('s1')?.status === 'CONNECTED', 'CONNECTED');
    gateway.state.heartbeatsFail = true;
    const failingFrom = Date.now();
    // The simulator learns of the close a few ms after the worker drops the session: wait for both,
    // so the bound below is measured to the socket closing as WhatsApp's side sees it.
    await until(() => worker.manager.get('s1') === undefined && sim.connections.live().length === 0, 'the session stopped and its socket closed', 5000);
    // Renewed at most one 200 ms interval before the failures began, so the 1 s lease ended by +1 s.
    expect(Date.now() - failingFrom).toBeLessThan(1000);
    expect(sim.connections.live()).toHaveLength(0);
    // Without a lease the worker takes no sessions; a renewed lease lets it take them again.
    await expect(worker.manager.start('s2', { epoch: 1 })).rejects.toThrow(/draining/);
    gateway.state.heartbeatsFail = false;
    await until(() => !worker.manager.draining, 'the lease renewed and the worker resumed', 5000);
    expect(await worker.manager.start('s2', { epoch: 1 })).toMatchObject({ status: 'CONNECTING' });
  });
});
