/**
 * Gateway overhead (issue 11): `POST /api/v1/messages` through the gateway vs the same send direct to
 * the worker's internal API (WORKER_API.send with the worker token), and — when nginx is installed —
 * the same direct send through a bare nginx reverse proxy, so the gateway's cost is seen next to the
 * cost of any proxy hop. Same process layout for all three: wa-sim, one gateway, one worker (real
 * processes, PostgreSQL + Redis + s3rver, as tests/e2e/support/failover-fleet.ts starts them), one
 * BENCH_SESSIONS (10; a user may do 60 session operations a minute) linked sessions sending text to one virtual phone. autocannon runs in its own process at c=10 and
 * c=100 for a fixed number of requests (the MAX tier's 10,000 messages/hour bounds the gateway runs).
 *
 *   npm run bench -- gateway-overhead     (~2 min on 2 shared cores: fleet start and 10 pairings, then the runs)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectStatus, linkSessions, routes, startFleet } from '../tests/e2e/support/failover-fleet.js';
import { freePort, repoRoot } from '../tests/e2e/support/processes.js';
import { report, type Figure } from './report.js';

const CONCURRENCY = [10, 100];
/** Sends from one WhatsApp number go one at a time (the worker's pacer), so the load spreads over sessions. */
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 10);
const AMOUNT: Record<number, number> = { 10: Number(process.env.BENCH_AMOUNT_C10 ?? 600), 100: Number(process.env.BENCH_AMOUNT_C100 ?? 1200) };
const out = (line: string): void => void process.stdout.write(`${line}\n`);

interface Target {
  name: 'direct' | 'nginx' | 'gateway';
  url: string;
  /** One per session, used in turn: sends from one number are paced one at a time by design. */
  variants: { headers: Record<string, string>; body: string }[];
}

interface Run {
  p50: number;
  p99: number;
  mean: number;
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
}

/** autocannon in its own process (bench/load.mjs): the load generator does not share this event loop. */
function autocannon(target: Target, connections: number, amount: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bench/load.mjs')], {
      env: { PATH: process.env.PATH ?? '', BENCH_LOAD: JSON.stringify({ url: target.url, connections, amount, variants: target.variants }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => {
      try {
        const r = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
          latency: { p50: number; p99: number; average: number };
          duration: number;
          non2xx: number;
          errors: number;
          timeouts: number;
          '2xx': number;
        };
        resolve({ p50: r.latency.p50, p99: r.latency.p99, mean: r.latency.average, rps: r['2xx'] / r.duration, ok: r['2xx'], non2xx: r.non2xx, errors: r.errors + r.timeouts });
      } catch (error) {
        reject(new Error(`load generator exited ${code}: ${String(error)}\n${stderr.slice(-2000)}`));
      }
    });
  });
}

/** A bare nginx reverse proxy to the worker (keep-alive upstream, no buffering of note), if installed. */
async function startNginx(workerPort: number): Promise<{ port: number; stop(): Promise<void>; version: string } | undefined> {
  const probe = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (probe.error !== undefined) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'wagate-bench-nginx-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  upstream worker { server 127.0.0.1:${workerPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://worker;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  process.once('exit', () => child.kill('SIGTERM'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${stderr}`);
    const up = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`nginx did not answer: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    version: probe.stderr.trim(),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  // Long lease: c=100 saturates both cores, and a missed heartbeat must not move the session mid-run.
  const fleet = await startFleet({ gateways: 1, workers: 1, timings: { heartbeatMs: 5000, leaseMs: 30_000, offlineMs: 40_000 }, label: 'bench-overhead', maxSessions: 10 });
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  try {
    const worker = fleet.workers[0]!;
    // The gateway runs must not meet the BASIC tier's 100 messages/hour.
    await fleet.db.query("update users set tier = 'MAX'");
    const sessions = await linkSessions(fleet, SESSIONS, 4);
    const base = fleet.gateways[0]!;
    const peer = (await expectStatus<{ phone: { phoneNumber: string } }>(201, base, 'POST', '/api/v1/sandbox/phones', { authorization: `Bearer ${fleet.userToken}` }, { name: 'Peer' })).phone.phoneNumber;
    const routed = await routes(fleet);
    // The worker token is the fleet's secret; the fleet hands it to its processes only through their
    // environment, so read it where the worker got it (Linux /proc).
    const workerEnv = readFileSync(`/proc/${worker.proc.child.pid}/environ`, 'utf8').split('\0');
    const workerToken = workerEnv.find((e) => e.startsWith('WORKER_TOKEN='))?.slice('WORKER_TOKEN='.length);
    if (workerToken === undefined) throw new Error('no WORKER_TOKEN in the worker environment');

    const message = { to: `+${peer}`, text: 'gateway overhead bench' };
    const direct = sessions.map((s) => ({ headers: { authorization: `Bearer ${workerToken}` }, body: JSON.stringify({ sessionId: s.sessionId, epoch: routed.get(s.sessionId)!.epoch, message }) }));
    const targets: Target[] = [{ name: 'direct', url: `http://127.0.0.1:${worker.port}/api/v1/internal/messages/send`, variants: direct }];
    try {
      nginx = await startNginx(worker.port);
    } catch (error) {
      out(`nginx reference left out: ${String(error)}`);
    }
    if (nginx !== undefined) targets.push({ name: 'nginx', url: `http://127.0.0.1:${nginx.port}/api/v1/internal/messages/send`, variants: direct });
    else out('nginx is not installed here: no bare reverse-proxy reference (apt-get install -y nginx-light adds it)');
    targets.push({ name: 'gateway', url: `${base}/api/v1/messages`, variants: sessions.map((s) => ({ headers: { 'x-api-key': s.apiKey }, body: JSON.stringify(message) })) });

    // Warm-up: JIT, connection pools, the key and route caches.
    for (const t of targets) await autocannon(t, 10, 200);

    const figures: Record<string, Figure> = {};
    for (const c of CONCURRENCY) {
      const runs = new Map<string, Run>();
      for (const t of targets) {
        const r = await autocannon(t, c, AMOUNT[c]!);
        runs.set(t.name, r);
        out(`c=${c} ${t.name.padEnd(7)}: p50 ${r.p50} ms, p99 ${r.p99} ms, mean ${r.mean.toFixed(1)} ms, ${r.rps.toFixed(0)} req/s (${r.ok} 2xx, ${r.non2xx} non-2xx, ${r.errors} errors)`);
        Object.assign(figures, { [`c${c}.${t.name}.p50Ms`]: r.p50, [`c${c}.${t.name}.p99Ms`]: r.p99, [`c${c}.${t.name}.reqPerS`]: Math.round(r.rps) });
        if (r.non2xx + r.errors > 0) figures[`c${c}.${t.name}.failed`] = r.non2xx + r.errors;
      }
      const d = runs.get('direct')!;
      const g = runs.get('gateway')!;
      Object.assign(figures, {
        [`c${c}.gatewayAddedP50Ms`]: g.p50 - d.p50,
        [`c${c}.gatewayAddedP99Ms`]: g.p99 - d.p99,
        [`c${c}.gatewayThroughputRatio`]: Number((g.rps / d.rps).toFixed(2)),
      });
      const n = runs.get('nginx');
      if (n !== undefined) Object.assign(figures, { [`c${c}.nginxAddedP50Ms`]: n.p50 - d.p50, [`c${c}.nginxAddedP99Ms`]: n.p99 - d.p99, [`c${c}.nginxThroughputRatio`]: Number((n.rps / d.rps).toFixed(2)) });
    }
    report('gateway-overhead', figures, [
      `${SESSIONS} linked sessions on one worker, requests spread over them in turn (each number sends one at a time), text to one wa-sim phone; autocannon ${CONCURRENCY.map((c) => `c=${c} × ${AMOUNT[c]} requests`).join(', ')} per target after a 200-request warm-up`,
      'direct = worker internal send with the worker token; gateway = POST /api/v1/messages with the session key (auth, quota, idempotency, routing, then the same worker call)',
      nginx !== undefined ? `nginx = ${nginx.version}, 1 worker process, keep-alive upstream to the worker` : 'nginx: not installed, no proxy reference',
      'added = gateway (or nginx) minus direct; throughput ratio = its 2xx/s ÷ direct 2xx/s; all processes share the same cores',
    ]);
  } finally {
    await nginx?.stop();
    await fleet.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
