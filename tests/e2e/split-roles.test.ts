import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, waitForHttp, type RunningProcess } from './support/processes.js';

// The split deployment: `wagate gateway` and `wagate worker` as separate processes sharing only
// WORKER_TOKEN and ENCRYPTION_KEY, talking HTTP on loopback.
describe('wagate gateway + wagate worker as separate processes', () => {
  const secrets = { WORKER_TOKEN: randomBytes(24).toString('base64url'), ENCRYPTION_KEY: randomBytes(32).toString('base64') };
  const admin = { ADMIN_EMAIL: 'split-admin@example.test', ADMIN_PASSWORD: 'split-admin-password' };
  let gatewayDir = '';
  let workerDir = '';
  let base = '';
  let workerUrl = '';
  let gateway: RunningProcess;
  let worker: RunningProcess;

  beforeAll(async () => {
    gatewayDir = await mkdtemp(join(tmpdir(), 'wagate-split-gw-'));
    workerDir = await mkdtemp(join(tmpdir(), 'wagate-split-wk-'));
    const [port, workerPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    workerUrl = `http://127.0.0.1:${workerPort}`;
    gateway = startCli(['gateway'], { DATA_DIR: gatewayDir, PORT: String(port), LOG_LEVEL: 'warn', ...secrets, ...admin });
    await waitForHttp(`${base}/health`, gateway, 90_000);
    worker = startCli(['worker'], { DATA_DIR: workerDir, GATEWAY_URL: base, WORKER_PORT: String(workerPort), WORKER_ID: 'split-worker', LOG_LEVEL: 'warn', ...secrets });
    await waitForHttp(`${workerUrl}/health`, worker, 90_000);
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
    await gateway?.stop();
    await rm(gatewayDir, { recursive: true, force: true });
    await rm(workerDir, { recursive: true, force: true });
  });

  it('registers the worker with the gateway, which lists it ONLINE at its endpoint', async () => {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: admin.ADMIN_EMAIL, password: admin.ADMIN_PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    let listed: { id: string; status: string; endpoint: string }[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !listed.some((w) => w.status === 'ONLINE')) {
      const res = await fetch(`${base}/api/v1/admin/workers`, { headers: { authorization: `Bearer ${token}` } });
      listed = ((await res.json()) as { data: typeof listed }).data;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(listed).toEqual([expect.objectContaining({ id: 'split-worker', status: 'ONLINE', endpoint: workerUrl })]);
  });

  it('keeps the worker API closed to callers without the token', async () => {
    const res = await fetch(`${workerUrl}/api/v1/internal/sessions/ses_x?epoch=1`);
    expect(res.status).toBe(401);
  });

  it('stops the worker cleanly on SIGTERM', async () => {
    expect(await worker.stop('SIGTERM')).toBe(0);
  });
});
