import { AppError } from '@wagate/contracts';
import { createSimulator, type Simulator } from '@wagate/wa-sim';
import { createWorker, parseWorkerConfig, type Worker } from '@wagate/worker';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionRoute } from './session-routing.js';
import { createHttpWorkerClient, workerFailure, type HttpWorkerClient } from './worker-client.js';

const TOKEN = 'worker-bootstrap-token-for-client-tests';

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let sim: Simulator;
let worker: Worker;
let endpoint: string;
let dataDir: string;
let client: HttpWorkerClient;

beforeAll(async () => {
  sim = await createSimulator({ rootKeyPair: 'test' });
  dataDir = await mkdtemp(join(tmpdir(), 'wagate-wc-'));
  const config = parseWorkerConfig({
    WORKER_PORT: '0',
    DATA_DIR: dataDir,
    WA_NETWORK: 'sandbox',
    WORKER_TOKEN: TOKEN,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MAX_SESSIONS: '3',
    LOG_LEVEL: 'silent',
  });
  worker = await createWorker(config, { standalone: true, sandbox: { url: sim.url, rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa } });
  endpoint = (await worker.start()).url.replace('0.0.0.0', '127.0.0.1');
  client = createHttpWorkerClient({ token: TOKEN });
});

afterAll(async () => {
  await client?.close();
  await worker?.stop();
  await sim?.close();
  await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
});

const route = (sessionId: string, epoch: number): SessionRoute => ({ sessionId, workerId: 'w', endpoint, epoch });

describe('HttpWorkerClient against a real worker on loopback', () => {
  it('reads the worker health', async () => {
    expect(await client.health(endpoint)).toMatchObject({ status: 'ok', sessionCount: 0, maxSessions: 3 });
  });

  it('starts a session, shows its QR, and stops it', async () => {
    const r = route('ses_client_start_0000000001', 3);
    const started = await client.start(r);
    expect(started).toMatchObject({ sessionId: r.sessionId, epoch: 3 });
    expect(['CONNECTING', 'QR_READY']).toContain(started.status);
    let view = await client.session(r);
    for (let i = 0; i < 100 && view.qr === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = await client.session(r);
    }
    expect(view.status).toBe('QR_READY');
    expect(view.qr?.dataUrl).toMatch(/^data:image\/png;base64,/);
    expect(await client.stop(r)).toMatchObject({ status: 'DISCONNECTED', epoch: 3 });
  });

  it('maps an older epoch to STALE_EPOCH (409) without worker internals', async () => {
    const r = route('ses_client_stale_0000000001', 5);
    await client.start(r);
    try {
      const error = await rejection(client.session({ ...r, epoch: 4 }));
      expect(error.code).toBe('STALE_EPOCH');
      expect(error.status).toBe(409);
      expect(error.message).not.toContain('127.0.0.1');
    } finally {
      await client.stop(r);
    }
  });

  it('maps a send on a session that is not connected to SESSION_NOT_CONNECTED or NOT_FOUND, never a 500', async () => {
    const error = await rejection(client.send(route('ses_client_absent_000000001', 1), { to: '+6281234567890', type: 'text', text: 'hi' }));
    expect(error.status).toBeLessThan(500);
    expect(['SESSION_NOT_CONNECTED', 'NOT_FOUND']).toContain(error.code);
  });

  it('answers BAD_GATEWAY, not 401, when the worker refuses the gateway token', async () => {
    const wrong = createHttpWorkerClient({ token: 'not-the-worker-token-xxxxxxxx' });
    try {
      const error = await rejection(wrong.session(route('ses_client_token_000000001', 1)));
      expect(error.code).toBe('BAD_GATEWAY');
      expect(error.status).toBe(502);
    } finally {
      await wrong.close();
    }
  });

  it('answers WORKER_UNREACHABLE (503) for an endpoint nobody listens on', async () => {
    const server = createServer();
    const dead = await listen(server);
    await new Promise((r) => server.close(r));
    const started = Date.now();
    const error = await rejection(client.start({ sessionId: 'ses_x', workerId: 'w', endpoint: dead, epoch: 1 }));
    expect(error.code).toBe('WORKER_UNREACHABLE');
    expect(error.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers GATEWAY_TIMEOUT when a worker accepts but never answers', async () => {
    const server = createServer(() => undefined);
    const slow = await listen(server);
    const impatient = createHttpWorkerClient({ token: TOKEN, headersTimeoutMs: 200 });
    try {
      const error = await rejection(impatient.session({ sessionId: 'ses_x', workerId: 'w', endpoint: slow, epoch: 1 }));
      expect(error.code).toBe('GATEWAY_TIMEOUT');
    } finally {
      await impatient.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('reuses keep-alive connections to one worker', async () => {
    const sockets = new Set<unknown>();
    const server = createServer((req, res) => {
      sockets.add(req.socket);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', sessionCount: 0, maxSessions: 1, cpuUsage: 0, memoryUsage: 0, uptimeSeconds: 1 }));
    });
    const url = await listen(server);
    const pooled = createHttpWorkerClient({ token: TOKEN });
    try {
      for (let i = 0; i < 10; i++) await pooled.health(url);
      // undici may alternate between two idle sockets of the pool, but never opens one per call.
      expect(sockets.size).toBeLessThanOrEqual(2);
    } finally {
      await pooled.close();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('workerFailure', () => {
  it('turns a worker 5xx into a generic BAD_GATEWAY without its detail', () => {
    const error = workerFailure(500, JSON.stringify({ type: 't', title: 'x', status: 500, detail: 'ENOENT /var/lib/worker/secret', code: 'INTERNAL' }), {});
    expect(error.code).toBe('BAD_GATEWAY');
    expect(error.message).not.toContain('ENOENT');
  });

  it('keeps a 4xx code and passes Retry-After on', () => {
    const error = workerFailure(429, JSON.stringify({ type: 't', title: 'x', status: 429, detail: 'Queue full', code: 'RATE_LIMITED', instance: '/internal', requestId: 'r1' }), { 'retry-after': '5' });
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.headers['retry-after']).toBe('5');
  });

  it('treats a body that is not a problem as BAD_GATEWAY', () => {
    expect(workerFailure(404, '<html>not found</html>', {}).code).toBe('BAD_GATEWAY');
  });
});

describe('media from a worker is read up to a cap', () => {
  const MiB = 1024 * 1024;
  let server: Server;
  let url: string;
  /** What the fake worker does on the media route, and what it saw of the last answer. */
  let answer: 'small' | 'declared-huge' | 'endless' | 'problem' = 'small';
  let sent = 0;
  let aborted: Promise<boolean> = Promise.resolve(false);

  beforeAll(async () => {
    server = createServer((_req, res) => {
      sent = 0;
      aborted = new Promise((resolve) => res.on('close', () => resolve(!res.writableFinished)));
      res.on('error', () => undefined);
      const chunk = Buffer.alloc(MiB, 0xab);
      // Writes 1 MiB chunks as fast as the gateway reads them, up to `total`, then ends.
      const pump = (total: number) => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', () => pump(total));
        }
        if (!res.destroyed) res.end();
      };
      if (answer === 'small') {
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(Buffer.from('jpeg-bytes'));
      } else if (answer === 'declared-huge') {
        res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(4 * 1024 * MiB) });
        pump(256 * MiB);
      } else if (answer === 'endless') {
        // Chunked: no declared size, so only counting what arrives can stop it.
        res.writeHead(200, { 'content-type': 'video/mp4' });
        pump(256 * MiB);
      } else {
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 't', title: 'Not found', status: 404, detail: 'Message not found.', code: 'NOT_FOUND' }));
      }
    });
    url = await listen(server);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const mediaRoute = (): SessionRoute => ({ sessionId: 'ses_media', workerId: 'w', endpoint: url, epoch: 1 });

  it('returns media under the cap with its content type', async () => {
    answer = 'small';
    const capped = createHttpWorkerClient({ token: TOKEN, mediaCapBytes: 2 * MiB });
    try {
      const media = await capped.media(mediaRoute(), 'msg_1');
      expect(media).toEqual({ contentType: 'image/jpeg', body: Buffer.from('jpeg-bytes') });
    } finally {
      await capped.close();
    }
  });

  it('refuses a declared size past the cap with BAD_GATEWAY and aborts the worker call', async () => {
    answer = 'declared-huge';
    const capped = createHttpWorkerClient({ token: TOKEN, mediaCapBytes: 2 * MiB });
    try {
      const error = await rejection(capped.media(mediaRoute(), 'msg_2'));
      expect(error.code).toBe('BAD_GATEWAY');
      expect(error.status).toBe(502);
      expect(await aborted).toBe(true);
      expect(sent).toBeLessThan(256 * MiB);
    } finally {
      await capped.close();
    }
  });

  it('stops reading an undeclared body once it passes the cap: BAD_GATEWAY, worker call aborted', async () => {
    answer = 'endless';
    const capped = createHttpWorkerClient({ token: TOKEN, mediaCapBytes: 2 * MiB });
    try {
      const error = await rejection(capped.media(mediaRoute(), 'msg_3'));
      expect(error.code).toBe('BAD_GATEWAY');
      expect(await aborted).toBe(true);
      // What the worker managed to write before the abort: the cap plus socket buffers, not the whole body.
      expect(sent).toBeLessThan(64 * MiB);
    } finally {
      await capped.close();
    }
  });

  it("still maps the worker's problem answer (NOT_FOUND) on the media route", async () => {
    answer = 'problem';
    const error = await rejection(client.media(mediaRoute(), 'msg_4'));
    expect(error.code).toBe('NOT_FOUND');
  });
});
