/**
 * RSS per connected session in ONE worker process: real Baileys sessions against wa-sim, paired
 * by QR, with a few messages each way per session, read at 50 and at 200 sessions next to the
 * baseline (this process with the worker built and listening, before any session).
 *
 *   npm run bench -- session-density        (or: node --conditions=source --expose-gc --import tsx bench/session-density.bench.ts [50,200])
 *
 * The simulator and its virtual phones run in a child process, so this process's RSS is the
 * worker's alone (plus this script). A stand-in gateway here acknowledges the worker's events,
 * as the real one would, so the outbox does not pile them up.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createWorker, parseWorkerConfig } from '@wagate/worker';
import { report, type Figure } from './report.js';

const steps = (process.argv[2] ?? '50,200').split(',').map(Number);
const PAIRING_CONCURRENCY = 6;
const MESSAGES_EACH_WAY = 3;
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

interface SimInfo {
  url: string;
  controlUrl: string;
  rootPublicKey: string;
  mediaCa: string;
}

async function startSimulator(): Promise<{ info: SimInfo; pid: number; stop(): void }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'packages/wa-sim/src/bin/run-simulator.ts', '--test-root'], {
    // libsignal in the simulator's phones writes "Closing open session…" to the console: keep only a tail for errors.
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderrTail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-4000);
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') process.stderr.write(`simulator exited (${code ?? signal}):\n${stderrTail}\n`);
  });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before it was ready`)));
  });
  if (child.pid === undefined) throw new Error('simulator has no pid');
  // A failed run must not leave the simulator behind.
  process.once('exit', () => child.kill('SIGTERM'));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  return { info: JSON.parse(line) as SimInfo, pid: child.pid, stop: () => void child.kill('SIGTERM') };
}

async function control<T>(sim: SimInfo, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.controlUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Acknowledges every event batch; answers nothing else (the worker runs standalone). */
async function standInGateway(): Promise<{ url: string; events: () => number; received: (sessionId: string) => number; close(): Promise<void> }> {
  let events = 0;
  const received = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { events?: { id: string; type: string; sessionId: string }[] };
      events += body.events?.length ?? 0;
      for (const e of body.events ?? []) if (e.type === 'message.received') received.set(e.sessionId, (received.get(e.sessionId) ?? 0) + 1);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ acknowledged: (body.events ?? []).map((e) => e.id), rejected: [], dropSessions: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, events: () => events, received: (id) => received.get(id) ?? 0, close: () => new Promise((r) => server.close(() => r())) };
}

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function settledRss(): number {
  // --expose-gc (bench/run.mjs passes it): read after a full collection, not at a random heap size.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const sim = await startSimulator();
  const gateway = await standInGateway();
  const dataDir = await mkdtemp(join(tmpdir(), 'wagate-bench-rss-'));
  // A failed run must not leave its data behind either.
  process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const maxSessions = Math.max(...steps);
  const config = parseWorkerConfig({
    GATEWAY_URL: gateway.url,
    WORKER_ID: 'bench-worker',
    WORKER_PORT: '0',
    DATA_DIR: dataDir,
    WA_NETWORK: 'sandbox',
    WORKER_TOKEN: 'bench-worker-token-0123',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    MAX_SESSIONS: String(maxSessions),
    LOG_LEVEL: 'silent',
    PACER_MIN_INTERVAL_MS: '0',
    PACER_JITTER_MS: '0',
  });
  const worker = await createWorker(config, {
    standalone: true,
    sandbox: { url: sim.info.url, rootPublicKey: Buffer.from(sim.info.rootPublicKey, 'base64'), mediaCa: sim.info.mediaCa },
  });
  const { url } = await worker.start();
  const api = url.replace('0.0.0.0', '127.0.0.1');
  const peer = await control<{ phone: string }>(sim.info, 'POST', '/phones', { pushName: 'Peer' });

  await new Promise((r) => setTimeout(r, 500));
  const baseline = settledRss();
  const baselineHeap = process.memoryUsage().heapUsed;
  out(`worker-rss: ${steps.join(' → ')} sessions, ${MESSAGES_EACH_WAY} messages each way per session, pairing ${PAIRING_CONCURRENCY} at a time`);
  out(`baseline (worker built and listening, no session): RSS ${mb(baseline)} MB, heap ${mb(baselineHeap)} of ${mb(process.memoryUsage().heapTotal)} MB, external ${mb(process.memoryUsage().external)} MB`);

  const figures: Record<string, Figure> = { baselineRssMB: Number(mb(baseline)), baselineHeapMB: Number(mb(baselineHeap)) };
  const owners: string[] = [];
  const pairOne = async (i: number): Promise<void> => {
    const sessionId = `s${i}`;
    const owner = await control<{ phone: string }>(sim.info, 'POST', '/phones', { pushName: `Owner ${i}` });
    await worker.manager.start(sessionId, { epoch: 1 });
    const qr = await until(() => worker.manager.get(sessionId)?.qr?.raw, `QR of ${sessionId}`);
    await control(sim.info, 'POST', `/phones/${owner.phone}/scan`, { qr });
    await until(() => worker.manager.get(sessionId)?.status === 'CONNECTED', `${sessionId} CONNECTED`);
    owners[i] = owner.phone;
  };

  const traffic = async (i: number): Promise<void> => {
    const sessionId = `s${i}`;
    for (let n = 0; n < MESSAGES_EACH_WAY; n++) {
      const res = await fetch(`${api}/api/v1/internal/messages/send`, {
        method: 'POST',
        headers: { authorization: `Bearer ${config.workerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ sessionId, epoch: 1, message: { to: `+${peer.phone}`, text: `out ${n} from ${sessionId}` } }),
      });
      if (res.status !== 200) throw new Error(`send from ${sessionId}: ${res.status} ${await res.text()}`);
      await control(sim.info, 'POST', `/phones/${peer.phone}/messages`, { to: owners[i], text: `in ${n} to ${sessionId}` });
    }
    // Received = reported to the (stand-in) gateway, i.e. decrypted, stored in history and journaled.
    await until(() => gateway.received(sessionId) >= MESSAGES_EACH_WAY, `messages into ${sessionId}`);
  };

  let paired = 0;
  for (const target of steps) {
    const t0 = Date.now();
    const todo = Array.from({ length: target - paired }, (_, k) => paired + k);
    const queue = [...todo];
    await Promise.all(
      Array.from({ length: PAIRING_CONCURRENCY }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) await pairOne(i);
      }),
    );
    const pairedIn = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const trafficQueue = [...todo];
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        for (let i = trafficQueue.shift(); i !== undefined; i = trafficQueue.shift()) await traffic(i);
      }),
    );
    const trafficIn = (Date.now() - t1) / 1000;
    paired = target;
    // Let history chunks flush and the auth-key batches settle before reading.
    await worker.history.flush();
    await new Promise((r) => setTimeout(r, 1500));
    const rss = settledRss();
    const connected = worker.manager.list().filter((s) => s.status === 'CONNECTED').length;
    const perSession = (rss - baseline) / target;
    const mem = process.memoryUsage();
    const row =
      `${String(target).padStart(4)} sessions (${connected} connected): RSS ${mb(rss)} MB, +${mb(rss - baseline)} MB over baseline = ${mb(perSession)} MB per session` +
      ` (heap ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)} MB = ${mb((mem.heapUsed - baselineHeap) / target)} MB/session, external ${mb(mem.external)} MB); paired in ${pairedIn.toFixed(1)} s, traffic in ${trafficIn.toFixed(1)} s`;
    out(row);
    Object.assign(figures, {
      [`s${target}.connected`]: connected,
      [`s${target}.rssMB`]: Number(mb(rss)),
      [`s${target}.rssPerSessionMB`]: Number(mb(perSession)),
      [`s${target}.heapPerSessionMB`]: Number(mb((mem.heapUsed - baselineHeap) / target)),
      [`s${target}.pairedInS`]: Number(pairedIn.toFixed(1)),
    });
  }
  // V8 keeps heap pages committed after the pairing bursts; idle time lets its memory reducer give some back.
  await new Promise((r) => setTimeout(r, 10_000));
  const idle = settledRss();
  const idleMem = process.memoryUsage();
  out(
    `after 10 s idle: RSS ${mb(idle)} MB = ${mb((idle - baseline) / paired)} MB per session over baseline (heap ${mb(idleMem.heapUsed)} of ${mb(idleMem.heapTotal)} MB); ` +
      `${worker.manager.list().filter((s) => s.status === 'CONNECTED').length} connected`,
  );
  const simStats = await control<{ rss: number; companions: number; live: number }>(sim.info, 'GET', '/stats');
  out(`simulator process (not counted above): RSS ${mb(simStats.rss)} MB, ${simStats.live} live sockets; gateway stand-in acknowledged ${gateway.events()} events`);
  out(`total ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  figures.idleRssPerSessionMB = Number(mb((idle - baseline) / paired));
  figures.simulatorRssMB = Number(mb(simStats.rss));
  report('session-density', figures, [
    `one worker process, real Baileys on wa-sim; traffic: ${MESSAGES_EACH_WAY} messages out and ${MESSAGES_EACH_WAY} in per session before each reading`,
    'per session = (RSS after GC - baseline RSS) / sessions; heap likewise; the simulator runs in another process',
  ]);

  await worker.stop();
  await gateway.close();
  sim.stop();
  await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`worker-rss bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
