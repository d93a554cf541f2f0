// A fleet on real processes for the failover test and bench (issue 8): `wagate sim`, N gateways
// and M workers on PostgreSQL, Redis (unique prefix) and s3rver, with short heartbeat/lease/OFFLINE
// timings. Each worker reaches the gateway through a TCP proxy the test can cut: a partition of
// worker → gateway while the process stays alive and keeps its WhatsApp sockets.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test-support/postgres.js';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../../test-support/redis.js';
import { startS3rver, type TestS3 } from '../../../test-support/s3rver.js';
import { freePort, startCli, until, waitForHttp, type RunningProcess } from './processes.js';

export interface FleetTimings {
  heartbeatMs: number;
  leaseMs: number;
  offlineMs: number;
}

export interface Partition {
  /** Cuts every connection and refuses new ones (the worker's heartbeats and events fail). */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on a free port to the first of `targetPorts` (in order) that accepts: a worker whose
 * gateway dies is carried to the next, as a load balancer in front of the replicas would.
 */
export async function partitionableProxy(targetPorts: number[]): Promise<{ port: number } & Partition> {
  let blocked = false;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  const server: Server = createServer((inbound) => {
    track(inbound);
    if (blocked) return void inbound.destroy();
    inbound.pause();
    const dial = (k: number): void => {
      if (k >= targetPorts.length || inbound.destroyed) return void inbound.destroy();
      const outbound = connect(targetPorts[k]!, '127.0.0.1');
      let connected = false;
      outbound.once('error', () => {
        if (!connected) dial(k + 1);
      });
      outbound.once('connect', () => {
        connected = true;
        track(outbound);
        inbound.pipe(outbound).pipe(inbound);
        inbound.resume();
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
    };
    dial(0);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    cut() {
      blocked = true;
      for (const s of sockets) s.destroy();
    },
    heal() {
      blocked = false;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

export interface FleetWorker {
  id: string;
  port: number;
  /** The current process (replaced by `restart`). */
  proc: RunningProcess;
  link: Partition;
  /**
   * Starts the worker again with the same id, port and data folder, as a Kubernetes StatefulSet
   * brings a killed pod back on its volume; resolves once it answers /health.
   */
  restart(): Promise<void>;
}

export interface Fleet {
  gateways: string[];
  gatewayProcs: RunningProcess[];
  workers: FleetWorker[];
  sim: RunningProcess;
  simControl: string;
  db: pg.Pool;
  /** A user's JWT (SESSION_LIMIT_BASIC raised) and the admin's. */
  userToken: string;
  adminToken: string;
  dump(): string;
  stop(): Promise<void>;
}

async function waitForOutput(proc: RunningProcess, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (proc.child.exitCode !== null) throw new Error(`process exited with ${proc.child.exitCode}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function call<T = Record<string, unknown>>(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export async function expectStatus<T = Record<string, unknown>>(status: number, base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const res = await call<T>(base, method, path, headers, body);
  if (res.status !== status) throw new Error(`${method} ${path} → ${res.status}, expected ${status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

export { until };

/** Ids of every message a virtual phone received (its sandbox inbox, all pages). */
export async function inboxIds(base: string, headers: Record<string, string>, phone: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let cursor: string | null = null;
  do {
    const page: { data: { id: string; direction: string }[]; nextCursor: string | null } = await expectStatus(
      200,
      base,
      'GET',
      `/api/v1/sandbox/phones/${phone}/messages?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
      headers,
    );
    for (const m of page.data) if (m.direction === 'in') ids.add(m.id);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return ids;
}

export async function startFleet(options: { gateways: number; workers: number; timings: FleetTimings; maxSessions?: number; failoverConcurrency?: number; label: string; redisUrl?: string; gatewayEnv?: Record<string, string> }): Promise<Fleet> {
  const dir = await mkdtemp(join(tmpdir(), `wagate-${options.label}-`));
  const secrets = {
    WORKER_TOKEN: randomBytes(24).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
  };
  const redisPrefix = uniquePrefix(options.label);
  const [database, s3]: [TestDatabase, TestS3] = await Promise.all([createTestDatabase(), startS3rver()]);
  const objects = { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY: s3.accessKeyId, S3_SECRET_KEY: s3.secretAccessKey, S3_REGION: s3.region };
  const simPort = await freePort();
  const procs: RunningProcess[] = [];
  const proxies: Partition[] = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await p.stop('SIGKILL');
    for (const p of proxies) await p.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    // A caller's own Redis (the chaos test restarts it) is the caller's to clean.
    await Promise.all([database.drop(), s3.close(), options.redisUrl === undefined ? deleteKeysWithPrefix(redisPrefix) : Promise.resolve()]);
    await rm(dir, { recursive: true, force: true });
  };
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  try {
    const sim = startCli(['sim'], { DATA_DIR: join(dir, 'sim-data'), SIM_PORT: String(simPort), LOG_LEVEL: process.env.FLEET_SIM_LOG_LEVEL ?? 'warn' });
    procs.push(sim);
    await waitForOutput(sim, 'trust root and media CA written');
    const admin = { ADMIN_EMAIL: 'admin@failover.test', ADMIN_PASSWORD: 'failover-admin-1' };
    const gatewayPorts = await Promise.all(Array.from({ length: options.gateways }, () => freePort()));
    const gatewayEnv = (port: number, i: number) => ({
        ...secrets,
        ...objects,
        ...admin,
        DATA_DIR: join(dir, `gateway-${i}`),
        PORT: String(port),
        LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? 'warn',
        DATABASE_URL: database.url,
        REDIS_URL: options.redisUrl ?? testRedisUrl(),
        REDIS_KEY_PREFIX: redisPrefix,
        WA_NETWORK: 'sandbox',
        SANDBOX_CONTROL_URL: `http://127.0.0.1:${simPort}/control`,
        SESSION_LIMIT_BASIC: '1000',
        RATE_LIMIT_IP_PER_15_MIN: '0',
        PASSWORD_HASH_COST: '4',
        WORKER_HEARTBEAT_INTERVAL_MS: String(options.timings.heartbeatMs),
        WORKER_LEASE_TTL_MS: String(options.timings.leaseMs),
        WORKER_OFFLINE_AFTER_MS: String(options.timings.offlineMs),
        WORKER_FAILOVER_CONCURRENCY: String(options.failoverConcurrency ?? 16),
        ...options.gatewayEnv,
      });
    const gateways = gatewayPorts.map((p) => `http://127.0.0.1:${p}`);
    const gatewayProcs: RunningProcess[] = [];
    // One at a time: both would run the migrations of a fresh database at once otherwise, and the
    // first one up leads the liveness monitor (it renews its lease before the next can take it).
    for (const [i, port] of gatewayPorts.entries()) {
      const proc = startCli(['gateway'], gatewayEnv(port, i));
      procs.push(proc);
      gatewayProcs.push(proc);
      await waitForHttp(`${gateways[i]}/health`, proc, 120_000);
    }

    const workers: FleetWorker[] = [];
    for (let i = 0; i < options.workers; i++) {
      const port = await freePort();
      const first = i % gatewayPorts.length;
      const link = await partitionableProxy([...gatewayPorts.slice(first), ...gatewayPorts.slice(0, first)]);
      proxies.push(link);
      const id = `fleet-worker-${i}`;
      const env = {
        ...secrets,
        ...objects,
        PACER_MIN_INTERVAL_MS: '0',
        PACER_JITTER_MS: '0',
        DATA_DIR: join(dir, `worker-${i}`),
        GATEWAY_URL: `http://127.0.0.1:${link.port}`,
        WORKER_PORT: String(port),
        WORKER_ID: id,
        MAX_SESSIONS: String(options.maxSessions ?? 200),
        LOG_LEVEL: process.env.FLEET_LOG_LEVEL ?? 'warn',
        WA_NETWORK: 'sandbox',
        WA_SIM_URL: `ws://127.0.0.1:${simPort}/ws/chat`,
        WA_SIM_DIR: join(dir, 'sim-data', 'sim'),
      };
      const proc = startCli(['worker'], env);
      procs.push(proc);
      const worker: FleetWorker = {
        id,
        port,
        proc,
        link,
        async restart() {
          const again = startCli(['worker'], env);
          procs.push(again);
          worker.proc = again;
          await waitForHttp(`http://127.0.0.1:${port}/health`, again, 120_000);
        },
      };
      workers.push(worker);
    }
    await Promise.all(workers.map((w) => waitForHttp(`http://127.0.0.1:${w.port}/health`, w.proc, 120_000)));
    await until(async () => {
      const { rows } = await pool.query<{ n: string }>("select count(*) as n from workers where status = 'ONLINE'");
      return Number(rows[0]!.n) === options.workers;
    }, 'every worker registered', 60_000);

    const base = gateways[0]!;
    const login = await expectStatus<{ token: string }>(200, base, 'POST', '/api/v1/auth/login', {}, { email: admin.ADMIN_EMAIL, password: admin.ADMIN_PASSWORD });
    const user = await expectStatus<{ token: string }>(201, base, 'POST', '/api/v1/auth/register', {}, { email: `owner-${Date.now().toString(36)}@failover.test`, password: 'failover-user-1' });
    return {
      gateways,
      gatewayProcs,
      workers,
      sim,
      simControl: `http://127.0.0.1:${simPort}/control`,
      db: pool,
      userToken: user.token,
      adminToken: login.token,
      dump: () => procs.map((p, i) => `--- process ${i} ---\n${p.output().slice(-3000)}`).join('\n'),
      stop,
    };
  } catch (error) {
    const out = procs.map((p, i) => `--- process ${i} ---\n${p.output().slice(-3000)}`).join('\n');
    await stop().catch(() => undefined);
    throw new Error(`${String(error)}\n${out}`);
  }
}

export interface LinkedSession {
  sessionId: string;
  apiKey: string;
  phone: string;
}

/** Creates and links `n` sessions, each by its own virtual phone (QR over the API, then a scan). */
export async function linkSessions(fleet: Fleet, n: number, parallel = 6): Promise<LinkedSession[]> {
  const base = fleet.gateways[0]!;
  const out: LinkedSession[] = [];
  // A user may do 60 session operations a minute: one owner per 20 sessions stays under it.
  const owners = new Map<number, Promise<string>>();
  const ownerOf = (i: number): Promise<string> => {
    const k = Math.floor(i / 20);
    if (k === 0) return Promise.resolve(fleet.userToken);
    let token = owners.get(k);
    if (token === undefined) {
      token = expectStatus<{ token: string }>(201, base, 'POST', '/api/v1/auth/register', {}, { email: `owner-${k}-${Date.now().toString(36)}@failover.test`, password: 'failover-user-1' }).then((r) => r.token);
      owners.set(k, token);
    }
    return token;
  };
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const auth = { authorization: `Bearer ${await ownerOf(i)}` };
      const created = await expectStatus<{ session: { id: string }; apiKey: { key: string } }>(201, base, 'POST', '/api/v1/sessions', auth, { name: `fleet ${i}` });
      const phone = (await expectStatus<{ phone: { phoneNumber: string } }>(201, base, 'POST', '/api/v1/sandbox/phones', auth, { name: `Owner ${i}` })).phone.phoneNumber;
      const sessionId = created.session.id;
      // A worker busy with other pairings may answer 502/503 once: a client retries.
      await until(async () => {
        const res = await call(base, 'POST', `/api/v1/sessions/${sessionId}/connect`, auth, {});
        if (res.status >= 400 && res.status < 500) throw new Error(`connect → ${res.status}: ${JSON.stringify(res.body)}`);
        return res.status === 202;
      }, `connect of ${sessionId}`, 30_000, 1000);
      const qr = await until(async () => {
        const res = await call<{ qr: string }>(base, 'GET', `/api/v1/sessions/${sessionId}/qr`, auth);
        return res.status === 200 ? res.body.qr : undefined;
      }, `a QR for ${sessionId}`);
      await expectStatus(200, base, 'POST', `/api/v1/sandbox/phones/${phone}/scan`, auth, { qr });
      const api = { 'x-api-key': created.apiKey.key };
      await until(async () => (await call<{ session: { status: string } }>(base, 'GET', '/api/v1/session', api)).body.session.status === 'CONNECTED', `${sessionId} CONNECTED`);
      out.push({ sessionId, apiKey: created.apiKey.key, phone });
    }
  };
  await Promise.all(Array.from({ length: parallel }, lane));
  return out;
}

/** Where each session is routed, with its status and epoch, from PostgreSQL. */
export async function routes(fleet: Fleet): Promise<Map<string, { workerId: string | null; status: string; epoch: number }>> {
  const { rows } = await fleet.db.query<{ id: string; worker_id: string | null; status: string; epoch: number }>('select id, worker_id, status, epoch from sessions');
  return new Map(rows.map((r) => [r.id, { workerId: r.worker_id, status: r.status, epoch: r.epoch }]));
}

export interface ConnectionRecord {
  connectionId: number;
  device: string | undefined;
  openedAt: number;
  loggedInAt: number | undefined;
  closedAt: number | undefined;
  closeReason: string | undefined;
}

/** wa-sim's record of every socket per device, and its own overlap verdict. */
export async function simConnections(fleet: Fleet): Promise<{ neverOverlapped: boolean; connections: ConnectionRecord[] }> {
  return expectStatus(200, fleet.simControl, 'GET', '/connections', {});
}
