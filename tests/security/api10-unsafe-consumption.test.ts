// OWASP API10:2023 Unsafe consumption of APIs. The gateway consumes two outside parties: its
// workers (a compromised or broken worker answers anything) and customers' webhook endpoints.
// A worker that answers garbage, huge bodies, wrong content types or 500s with stack traces must
// give the API client a clean problem+json with none of the worker's text; a webhook endpoint's
// reply is read only up to a small cap.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender } from '../../apps/gateway/src/modules/webhooks/index.js';
import { RESPONSE_BODY_CAP_BYTES } from '../../apps/gateway/src/modules/webhooks/webhook-sender.js';
import type { TestGateway } from '../../apps/gateway/src/test-support/test-gateway.js';
import { isProblem, securityGateway } from './support.js';

const MARKER = 'WORKER-INTERNAL-7f3a';
type Mode = 'garbage' | 'html' | 'stack500' | 'huge' | 'wrong-type' | 'wrong-shape' | 'problem-leak' | 'empty' | 'redirect' | 'truncated';
const MODES: Mode[] = ['garbage', 'html', 'stack500', 'huge', 'wrong-type', 'wrong-shape', 'problem-leak', 'empty', 'redirect', 'truncated'];

let mode: Mode = 'garbage';
let worker: Server;
let workerUrl: string;
let gw: TestGateway;

function answer(req: IncomingMessage, res: ServerResponse) {
  if (req.url?.startsWith('/health')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'ok', sessionCount: 0, maxSessions: 100, cpuUsage: 1, memoryUsage: 1, uptimeSeconds: 5 }));
    return;
  }
  switch (mode) {
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`\u0000\u00ff{not json ${MARKER}`);
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><body>${MARKER}</body></html>`);
      return;
    case 'stack500':
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`TypeError: ${MARKER}\n    at Object.<anonymous> (/srv/worker/src/secret.ts:10:5)\n    at node:internal/main`);
      return;
    case 'huge': {
      // 64 MiB of JSON-looking text: the gateway must not buffer it all for the client.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent >= 64) res.end();
        else res.once('drain', () => { sent++; pump(); });
      };
      res.write(`{"x":"${MARKER}`);
      pump();
      res.on('error', () => undefined);
      return;
    }
    case 'wrong-type':
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(JSON.stringify({ sessionId: 'ses_x', epoch: 1, status: 'CONNECTED', note: MARKER }));
      return;
    case 'wrong-shape':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sessionId: 42, epoch: 'x', status: MARKER, __proto__: { admin: true } }));
      return;
    case 'problem-leak':
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: MARKER, status: 503, detail: `${MARKER} at /srv/worker 10.0.3.7:8081`, code: 'INTERNAL' }));
      return;
    case 'empty':
      res.writeHead(204);
      res.end();
      return;
    case 'redirect':
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/', 'content-type': 'text/plain' });
      res.end(MARKER);
      return;
    case 'truncated':
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write(`{"sessionId":"${MARKER}`);
      res.destroy();
      return;
  }
}

beforeAll(async () => {
  worker = createServer(answer);
  await new Promise<void>((resolve) => worker.listen(0, '127.0.0.1', resolve));
  workerUrl = `http://127.0.0.1:${(worker.address() as AddressInfo).port}`;
  gw = await securityGateway({ config: { SESSION_LIMIT_BASIC: '100', RATE_LIMIT_IP_PER_15_MIN: '0' } });
  const reg = await gw.app.inject({
    method: 'POST',
    url: '/api/v1/internal/workers/register',
    headers: gw.auth(gw.config.WORKER_TOKEN ?? ''),
    payload: { endpoint: workerUrl, maxSessions: 100, version: 'evil-1' },
  });
  if (reg.statusCode !== 200 && reg.statusCode !== 201) throw new Error(`register: ${reg.statusCode} ${reg.body}`);
});
afterAll(async () => {
  await gw?.close();
  worker?.closeAllConnections();
  await new Promise((resolve) => worker?.close(resolve));
});

describe('API10 malformed worker responses', () => {
  for (const m of MODES) {
    it(`a worker answering "${m}" to a connect gives the client a clean problem+json`, async () => {
      mode = m;
      const user = await gw.signUp();
      const created = await gw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: gw.auth(user.token), payload: { name: m } });
      expect(created.statusCode).toBe(201);
      const id = (created.json() as { session: { id: string } }).session.id;
      const started = Date.now();
      const res = await gw.app.inject({ method: 'POST', url: `/api/v1/sessions/${id}/connect`, headers: gw.auth(user.token), payload: {} });
      expect(Date.now() - started).toBeLessThan(20_000);
      if (res.statusCode >= 400) {
        expect(isProblem(res), res.body).toBe(true);
        expect(res.statusCode, res.body).not.toBe(500);
      }
      expect(res.body.length).toBeLessThan(10_000);
      expect(res.body).not.toContain(MARKER);
      expect(res.body).not.toMatch(/\/srv\/worker|node:internal|10\.0\.3\.7|127\.0\.0\.1|at Object/);
    });
  }
});

describe('API10 oversized webhook replies', () => {
  it(`reads at most ${RESPONSE_BODY_CAP_BYTES} bytes of a 32 MiB webhook reply and returns promptly`, async () => {
    const hook = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(1 << 20, 'z');
      let sent = 0;
      const pump = () => {
        while (sent < 32 && res.write(chunk)) sent++;
        if (sent >= 32) res.end();
        else res.once('drain', () => { sent++; pump(); });
      };
      res.on('error', () => undefined);
      pump();
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const sender = createWebhookSender({ allowPrivateNetworks: true, timeoutMs: 10_000 });
    try {
      const started = Date.now();
      const result = await sender.send({ url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/`, headers: {}, body: '{}' });
      expect(result.ok).toBe(true);
      if (result.ok) {
        expect(result.status).toBe(200);
        expect(Buffer.byteLength(result.body)).toBeLessThanOrEqual(RESPONSE_BODY_CAP_BYTES);
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await sender.close();
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});

describe('API10 oversized worker media', () => {
  const MiB = 1024 * 1024;
  type MediaMode = 'small' | 'declared-huge' | 'endless';
  let mediaMode: MediaMode = 'small';
  let sent = 0;
  let aborted: Promise<boolean> = Promise.resolve(false);
  let mediaWorker: Server;
  let mediaGw: TestGateway;
  let apiKey: string;

  beforeAll(async () => {
    // A worker that places sessions normally and answers the media route with the current mode.
    mediaWorker = createServer((req, res) => {
      res.on('error', () => undefined);
      if (req.url?.startsWith('/health')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', sessionCount: 0, maxSessions: 100, cpuUsage: 1, memoryUsage: 1, uptimeSeconds: 5 }));
        return;
      }
      if (!req.url?.includes('/media')) {
        let raw = '';
        req.on('data', (c: Buffer) => (raw += c.toString()));
        req.on('end', () => {
          const body = (raw ? JSON.parse(raw) : {}) as { sessionId?: string; epoch?: number };
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ sessionId: body.sessionId, epoch: body.epoch, status: 'CONNECTING' }));
        });
        return;
      }
      sent = 0;
      aborted = new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished)));
      const chunk = Buffer.alloc(MiB, 0x42);
      const pump = (total: number) => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', () => pump(total));
        }
        if (!res.destroyed) res.end();
      };
      if (mediaMode === 'small') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from(`png ${MARKER}`));
      } else {
        // 128 MiB, once with a declared 8 GiB length and once chunked (no length to trust).
        res.writeHead(200, { 'content-type': 'video/mp4', ...(mediaMode === 'declared-huge' ? { 'content-length': String(8 * 1024 * MiB) } : {}) });
        pump(128 * MiB);
      }
    });
    await new Promise<void>((resolve) => mediaWorker.listen(0, '127.0.0.1', resolve));
    mediaGw = await securityGateway({ config: { RATE_LIMIT_IP_PER_15_MIN: '0', WORKER_MEDIA_CAP_BYTES: String(2 * MiB) } });
    const reg = await mediaGw.app.inject({
      method: 'POST',
      url: '/api/v1/internal/workers/register',
      headers: mediaGw.auth(mediaGw.config.WORKER_TOKEN ?? ''),
      payload: { endpoint: `http://127.0.0.1:${(mediaWorker.address() as AddressInfo).port}`, maxSessions: 100, version: 'media-1' },
    });
    if (reg.statusCode !== 200 && reg.statusCode !== 201) throw new Error(`register: ${reg.statusCode} ${reg.body}`);
    const user = await mediaGw.signUp();
    const created = await mediaGw.app.inject({ method: 'POST', url: '/api/v1/sessions', headers: mediaGw.auth(user.token), payload: { name: 'media' } });
    const { session, apiKey: key } = created.json() as { session: { id: string }; apiKey: { key: string } };
    apiKey = key.key;
    const connect = await mediaGw.app.inject({ method: 'POST', url: `/api/v1/sessions/${session.id}/connect`, headers: mediaGw.auth(user.token), payload: {} });
    if (connect.statusCode !== 202) throw new Error(`connect: ${connect.statusCode} ${connect.body}`);
  });
  afterAll(async () => {
    await mediaGw?.close();
    mediaWorker?.closeAllConnections();
    await new Promise((resolve) => mediaWorker?.close(resolve));
  });

  const media = () => mediaGw.app.inject({ method: 'GET', url: '/api/v1/messages/msg_big/media', headers: { 'x-api-key': apiKey } });

  it('passes media under WORKER_MEDIA_CAP_BYTES through (control)', async () => {
    mediaMode = 'small';
    const res = await media();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.rawPayload.toString()).toBe(`png ${MARKER}`);
  });

  for (const mode of ['declared-huge', 'endless'] as const) {
    it(`answers 502 BAD_GATEWAY to media past the cap (${mode}) and aborts the worker's answer`, async () => {
      mediaMode = mode;
      const res = await media();
      expect(res.statusCode).toBe(502);
      expect(isProblem(res)).toBe(true);
      expect((res.json() as { code: string }).code).toBe('BAD_GATEWAY');
      expect(res.body).not.toContain(MARKER);
      expect(await aborted).toBe(true);
      // The cap plus socket buffers were written, not the 128 MiB.
      expect(sent).toBeLessThan(64 * MiB);
    });
  }
});
