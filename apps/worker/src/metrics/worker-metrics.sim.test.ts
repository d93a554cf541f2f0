// A worker on wa-sim behind a stand-in gateway: GET /metrics after a session connects and sends,
// and the gateway's x-request-id in the worker's log line for the command.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator, type Simulator } from '@wagate/wa-sim';
import { WORKER_API } from '@wagate/contracts';
import { createWorker, type Worker } from '../app.js';
import { parseWorkerConfig } from '../config.js';
import { until } from '../test-support/sim-worker.js';
import { createWorkerMetrics } from './worker-metrics.js';

function parse(text: string): Map<string, number> {
  const series = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    series.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return series;
}

/** Registers the worker and acknowledges every event batch. */
async function fakeGateway() {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { events?: { id: string }[] };
      res.setHeader('content-type', 'application/json');
      if (req.url === '/api/v1/internal/workers/register') res.end(JSON.stringify({ workerId: 'worker-m', token: 'per-worker-token-123', heartbeatIntervalMs: 200, leaseTtlMs: 5000 }));
      else if (req.url?.endsWith('/heartbeat') === true) res.end(JSON.stringify({ ok: true, leaseTtlMs: 5000 }));
      else if (req.url === '/api/v1/internal/events') res.end(JSON.stringify({ acknowledged: (body.events ?? []).map((e) => e.id), rejected: [], dropSessions: [] }));
      else res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('worker /metrics on wa-sim', () => {
  let sim: Simulator;
  let gateway: Awaited<ReturnType<typeof fakeGateway>>;
  let dataDir: string;
  let worker: Worker;
  let base: string;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    sim = await createSimulator({ rootKeyPair: 'test', receiptDelays: { delivery: 0, read: 0 } });
    gateway = await fakeGateway();
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-metrics-'));
    const config = parseWorkerConfig({
      GATEWAY_URL: gateway.url, WORKER_ID: 'worker-m', WORKER_PORT: '0', DATA_DIR: dataDir, WA_NETWORK: 'sandbox',
      WORKER_TOKEN: 'bootstrap-token-1234', ENCRYPTION_KEY: randomBytes(32).toString('base64'), MAX_SESSIONS: '2',
      PACER_MIN_INTERVAL_MS: '0', PACER_JITTER_MS: '0',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    worker = await createWorker(config, { logger: pino({ level: 'info' }, sink), processMetrics: true, sandbox: { url: sim.url, rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa } });
    base = (await worker.start()).url.replace('0.0.0.0', '127.0.0.1');
  });
  afterAll(async () => {
    await worker?.stop();
    await gateway?.close();
    await sim?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: 'Bearer per-worker-token-123', ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const scrape = async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    return parse(await res.text());
  };

  it('reports hosted sessions by status, queue and outbox depth, and memory, and logs the gateway request id', async () => {
    await until(async () => (await call('GET', WORKER_API.health)).status === 200, 'the worker answers');
    const started = await call('POST', WORKER_API.start, { sessionId: 'm1', epoch: 1 }, { 'x-request-id': 'req-from-gateway-1' });
    expect(started.status).toBe(202);
    const qr = await until(async () => ((await call('GET', '/api/v1/internal/sessions/m1?epoch=1')).body['qr'] as { qr: string } | null) ?? undefined, 'a QR');
    const owner = sim.phones.create();
    await sim.scan(owner, qr.qr);
    await until(async () => (await call('GET', '/api/v1/internal/sessions/m1?epoch=1')).body['status'] === 'CONNECTED', 'CONNECTED');

    const alice = sim.phones.create();
    const sent = await call('POST', WORKER_API.send, { sessionId: 'm1', epoch: 1, messageId: 'req_m1', message: { to: `+${alice.phone}`, text: 'metrics' } }, { 'x-request-id': 'req-from-gateway-2' });
    expect(sent.status).toBe(200);

    const series = await scrape();
    expect(series.get('wagate_worker_sessions{status="CONNECTED"}')).toBe(1);
    expect(series.get('wagate_worker_sessions{status="QR_READY"}')).toBe(0);
    expect(series.get('wagate_worker_send_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(series.get('wagate_worker_send_queue_depth')).toBeLessThanOrEqual(1);
    expect(series.get('wagate_worker_outbox_depth')).toBeGreaterThanOrEqual(0);
    expect(series.get('wagate_worker_outbox_dead_lettered')).toBe(0);
    const rss = series.get('wagate_worker_process_resident_memory_bytes')!;
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(rss).toBeLessThan(8 * 1024 * 1024 * 1024);
    expect(series.get('wagate_worker_nodejs_heap_size_used_bytes{type="heap"}') ?? [...series].find(([k]) => k.startsWith('wagate_worker_nodejs_heap_size_used_bytes'))?.[1]).toBeGreaterThan(0);

    // The commands' log lines carry the gateway's ids.
    const served = lines.filter((l) => l['msg'] === 'command served');
    expect(served.map((l) => l['requestId'])).toEqual(expect.arrayContaining(['req-from-gateway-1', 'req-from-gateway-2']));
    expect(served.find((l) => l['requestId'] === 'req-from-gateway-2')).toMatchObject({ method: 'POST', statusCode: 200 });
  });

  it('needs no token', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
  });
});

describe('worker metrics registry', () => {
  it('counts socket closes by decision and reason', async () => {
    const metrics = createWorkerMetrics({ processMetrics: false });
    metrics.socketClosed({ action: 'reconnect', delayMs: 0, countsAsFailure: false, reason: 'restart required' }, 515);
    metrics.socketClosed({ action: 'reconnect', delayMs: 10, countsAsFailure: true, reason: 'closed (428)' }, 428);
    metrics.socketClosed({ action: 'reconnect', delayMs: 10, countsAsFailure: true, reason: 'closed (428)' }, 428);
    metrics.socketClosed({ action: 'stop', status: 'LOGGED_OUT', deleteCreds: true, leaseConflict: false, reason: 'logged out' }, 401);
    const series = parse(await metrics.render());
    expect(series.get('wagate_worker_socket_closes_total{action="reconnect",reason="restart required"}')).toBe(1);
    expect(series.get('wagate_worker_socket_closes_total{action="reconnect",reason="closed (428)"}')).toBe(2);
    expect(series.get('wagate_worker_socket_closes_total{action="stop",reason="LOGGED_OUT: logged out"}')).toBe(1);
    // Unbound (no manager yet): gauges read as zero rather than failing the scrape.
    expect(series.get('wagate_worker_outbox_depth')).toBe(0);
  });
});
