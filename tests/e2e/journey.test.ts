// Issue 6 "Done when": the whole customer journey on real processes, split and embedded.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test-support/postgres.js';
import { deleteKeysWithPrefix, testRedisUrl, uniquePrefix } from '../../test-support/redis.js';
import { startS3rver, type TestS3 } from '../../test-support/s3rver.js';
import { freeFixedPort, runJourney } from './support/journey.js';
import { startCli, waitForHttp, type RunningProcess } from './support/processes.js';

// The worker's outbound pacer spaces sends like a human; the journey sends 16 in a row.
const FAST_PACER = { PACER_MIN_INTERVAL_MS: '0', PACER_JITTER_MS: '0' };

function printSteps(label: string, steps: [string, number][]): void {
  process.stdout.write(`journey (${label}): ${steps.map(([name, ms]) => `${name} ${ms} ms`).join(' · ')}\n`);
}

async function waitForOutput(proc: RunningProcess, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!proc.output().includes(text)) {
    if (proc.child.exitCode !== null) throw new Error(`process exited with ${proc.child.exitCode}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('journey, split: wagate sim, gateway and worker processes on PostgreSQL, Redis and S3', () => {
  const secrets = {
    WORKER_TOKEN: randomBytes(24).toString('base64url'),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    JWT_SECRET: randomBytes(32).toString('base64url'),
  };
  const redisPrefix = uniquePrefix('journey');
  let dir = '';
  let base = '';
  let database: TestDatabase;
  let s3: TestS3;
  const procs: RunningProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wagate-journey-split-'));
    [database, s3] = await Promise.all([createTestDatabase(), startS3rver()]);
    const [simPort, gatewayPort, workerPort] = [await freeFixedPort(), await freeFixedPort(), await freeFixedPort()];
    const objects = { S3_ENDPOINT: s3.endpoint, S3_BUCKET: s3.bucket, S3_ACCESS_KEY: s3.accessKeyId, S3_SECRET_KEY: s3.secretAccessKey, S3_REGION: s3.region };
    base = `http://127.0.0.1:${gatewayPort}`;

    const sim = startCli(['sim'], { DATA_DIR: join(dir, 'sim-data'), SIM_PORT: String(simPort), LOG_LEVEL: 'warn' });
    procs.push(sim);
    await waitForOutput(sim, 'trust root and media CA written');

    const gateway = startCli(['gateway'], {
      ...secrets,
      ...objects,
      DATA_DIR: join(dir, 'gateway-data'),
      PORT: String(gatewayPort),
      LOG_LEVEL: 'warn',
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: redisPrefix,
      WA_NETWORK: 'sandbox',
      SANDBOX_CONTROL_URL: `http://127.0.0.1:${simPort}/control`,
    });
    procs.push(gateway);
    await waitForHttp(`${base}/health`, gateway, 90_000);

    const worker = startCli(['worker'], {
      ...secrets,
      ...objects,
      ...FAST_PACER,
      DATA_DIR: join(dir, 'worker-data'),
      GATEWAY_URL: base,
      WORKER_PORT: String(workerPort),
      WORKER_ID: 'journey-worker',
      LOG_LEVEL: 'warn',
      WA_NETWORK: 'sandbox',
      WA_SIM_URL: `ws://127.0.0.1:${simPort}/ws/chat`,
      WA_SIM_DIR: join(dir, 'sim-data', 'sim'),
    });
    procs.push(worker);
    await waitForHttp(`http://127.0.0.1:${workerPort}/health`, worker, 90_000);
  }, 180_000);

  afterAll(async () => {
    for (const proc of procs.reverse()) await proc.stop();
    await Promise.all([database?.drop(), s3?.close(), deleteKeysWithPrefix(redisPrefix)]);
    await rm(dir, { recursive: true, force: true });
  });

  it('registers, links a virtual phone, sends every type, reads replies, reconnects without QR, needs a QR after logout, and ends when the phone unlinks it', async () => {
    try {
      const report = await runJourney(base, 'split');
      printSteps('split', report.steps);
      expect(report.steps.length).toBeGreaterThan(5);
    } catch (error) {
      for (const [name, proc] of ['sim', 'gateway', 'worker'].map((n, i) => [n, procs[i]] as const)) {
        process.stdout.write(`--- ${name} output ---\n${proc?.output().slice(-4000) ?? ''}\n`);
      }
      throw error;
    }
  }, 90_000);
});

describe('journey, embedded: one `wagate dev` process on PGlite with the sandbox network', () => {
  let dataDir = '';
  let base = '';
  let proc: RunningProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-journey-'));
    const port = await freeFixedPort();
    base = `http://127.0.0.1:${port}`;
    proc = startCli(['dev'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', WA_NETWORK: 'sandbox', ...FAST_PACER });
    await waitForHttp(`${base}/health`, proc, 90_000);
  }, 120_000);

  afterAll(async () => {
    await proc?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers, links a virtual phone, sends every type, reads replies, reconnects without QR, needs a QR after logout, and ends when the phone unlinks it', async () => {
    try {
      const report = await runJourney(base, 'embedded');
      printSteps('embedded', report.steps);
      expect(report.steps.length).toBeGreaterThan(5);
    } catch (error) {
      process.stdout.write(`--- wagate dev output ---\n${proc.output().slice(-6000)}\n`);
      throw error;
    }
  }, 90_000);
});
