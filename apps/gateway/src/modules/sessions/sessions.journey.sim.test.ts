// The whole connect journey through the real gateway (createTestGateway, listening) and a real
// worker (createWorker) on wa-sim: register, connect, QR over the API and over SSE, scan,
// CONNECTED with the phone number from worker events, disconnect, reconnect without a new
// scan, delete. Nothing is faked between the two processes' HTTP APIs.
import { createSimulator, type Simulator } from '@wagate/wa-sim';
import { createWorker, parseWorkerConfig, type Worker } from '@wagate/worker';
import { eq } from 'drizzle-orm';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { createTestGateway, type TestGateway } from '../../test-support/test-gateway.js';

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Frame {
  event: string;
  data: { type: string; data: Record<string, unknown> };
}

function sse(url: string, headers: Record<string, string>) {
  const frames: Frame[] = [];
  const req = httpRequest(url, { headers }, (res) => {
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) frames.push({ event, data: JSON.parse(data) as Frame['data'] });
      }
    });
  });
  req.end();
  return { frames, close: () => req.destroy() };
}

describe('session journey: gateway + real worker on wa-sim', () => {
  let gw: TestGateway;
  let sim: Simulator;
  let worker: Worker;
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    gw = await createTestGateway({ config: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    await gw.app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
    sim = await createSimulator({ rootKeyPair: 'test', receiptDelays: { delivery: 0, read: 30 } });
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-journey-'));
    const config = parseWorkerConfig({
      GATEWAY_URL: base,
      // The worker registers WORKER_ENDPOINT as given, so it needs a real port up front.
      WORKER_PORT: String(await freePort()),
      DATA_DIR: dataDir,
      WA_NETWORK: 'sandbox',
      WORKER_TOKEN: gw.config.WORKER_TOKEN!,
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      MAX_SESSIONS: '4',
      PACER_MIN_INTERVAL_MS: '0',
      PACER_JITTER_MS: '0',
    });
    worker = await createWorker(config, { logger: pino({ level: 'silent' }), sandbox: { url: sim.url, rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa } });
    await worker.start();
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await gw?.close();
    await sim?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  });

  it('connects by QR, turns CONNECTED from worker events, reconnects without a scan, and deletes', async () => {
    const user = await gw.signUp();
    const auth = gw.auth(user.token);
    const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: auth, payload: { name: 'journey' } });
    expect(created.statusCode).toBe(201);
    const id = created.json().session.id as string;

    // The worker registers itself at start; polling connect would spend the session-operation budget.
    await until(async () => (await gw.db.select().from(schema.workers).where(eq(schema.workers.status, 'ONLINE'))).length > 0, 'the worker ONLINE');
    const connected = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/connect`, headers: auth });
    expect(connected.statusCode, connected.body).toBe(202);
    expect(connected.json().session.status).toBe('CONNECTING');

    const stream = sse(`${base}/api/v1/sessions/${id}/events`, auth);
    const qrFrame = await until(() => stream.frames.find((f) => f.event === 'session.qr'), 'a QR over SSE');
    const qr = await until(async () => {
      const res = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}/qr`, headers: auth });
      return res.statusCode === 200 ? (res.json() as { qr: string; image: string; expiresAt: string }) : undefined;
    }, 'the QR over the API');
    expect(qr.image).toMatch(/^data:image\/png;base64,/);
    expect(typeof qrFrame.data.data.qr).toBe('string');
    expect((await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}`, headers: auth })).json().session.status).toBe('QR_READY');

    const phone = sim.phones.create();
    await sim.scan(phone, qr.qr);
    await until(() => stream.frames.find((f) => f.event === 'session.status' && f.data.data.status === 'CONNECTED'), 'CONNECTED over SSE');
    const card = (await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}`, headers: auth })).json().session;
    expect(card).toMatchObject({ status: 'CONNECTED', phoneNumber: `+${phone.phone}` });
    const notAwaiting = await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}/qr`, headers: auth });
    expect(notAwaiting.statusCode).toBe(409);
    expect(notAwaiting.json().code).toBe('SESSION_NOT_AWAITING_QR');

    // Disconnect keeps the credentials: connecting again needs no scan.
    expect((await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/disconnect`, headers: auth })).statusCode).toBe(202);
    await until(async () => (await gw.app.inject({ method: 'GET', url: `/api/v1/sessions/${id}`, headers: auth })).json().session.status === 'DISCONNECTED', 'DISCONNECTED');
    const frames = stream.frames.length;
    expect((await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/connect`, headers: auth })).statusCode).toBe(202);
    await until(() => stream.frames.slice(frames).find((f) => f.event === 'session.status' && f.data.data.status === 'CONNECTED'), 'CONNECTED again');
    expect(stream.frames.slice(frames).some((f) => f.event === 'session.qr')).toBe(false);
    const [row] = await gw.db.select().from(schema.sessions).where(eq(schema.sessions.id, id));
    expect(row!.epoch).toBe(2);

    expect((await gw.app.inject({ method: 'DELETE', url: `/api/v1/sessions/${id}`, headers: auth })).statusCode).toBe(204);
    await until(() => stream.frames.find((f) => f.event === 'session.deleted'), 'session.deleted');
    await until(() => phone.companions().length === 0, 'the device unlinked on the phone');
    stream.close();
  }, 90_000);
});
