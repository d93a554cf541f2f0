import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, waitForHttp, type RunningProcess } from './support/processes.js';

const ADMIN_EMAIL = 'admin@example.test';
const ADMIN_PASSWORD = 'admin-password-123';

describe('wagate dev on embedded defaults, sandbox network', () => {
  let dataDir = '';
  let base = '';
  let proc: RunningProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-e2e-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = startCli(['dev'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', WA_NETWORK: 'sandbox', ADMIN_EMAIL, ADMIN_PASSWORD });
    await waitForHttp(`${base}/health`, proc, 90_000);
  }, 120_000);

  afterAll(async () => {
    await proc?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves /health with status ok', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports every embedded dependency healthy', async () => {
    const res = await fetch(`${base}/health/detailed`);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    expect(res.status).toBe(200);
    for (const check of Object.values(body.checks)) expect(check.status).toBe('up');
  });

  it('serves the live OpenAPI document and Swagger UI', async () => {
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toContain('/health');
    const ui = await fetch(`${base}/docs/`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
  });

  it('answers an unknown route with problem+json 404', async () => {
    const res = await fetch(`${base}/api/v1/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
  });

  it('keeps its database, objects and generated secrets in DATA_DIR', async () => {
    const entries = await readdir(dataDir);
    expect(entries).toEqual(expect.arrayContaining(['db', 'secrets.json', 'sim']));
  });

  it('runs the wa-sim sandbox network in the same process', () => {
    expect(proc.output()).toMatch(/sandbox: wa-sim at ws:\/\/127\.0\.0\.1:\d+\/ws\/chat/);
  });

  it('runs a worker in the same process that registers with the gateway and shows ONLINE', async () => {
    const login = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { token } = (await login.json()) as { token: string };
    type Worker = { id: string; status: string; endpoint: string; lastHeartbeat: string | null };
    let workers: Worker[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/api/v1/admin/workers`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      workers = ((await res.json()) as { data: Worker[] }).data;
      if (workers.some((w) => w.status === 'ONLINE')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(workers).toEqual([expect.objectContaining({ id: 'embedded-worker', status: 'ONLINE', endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) })]);
    // The worker's own API answers at the endpoint it registered.
    const health = await fetch(`${workers[0]!.endpoint}/health`);
    expect(((await health.json()) as { status: string }).status).toBe('ok');
  });

  it('exits cleanly on SIGTERM', async () => {
    expect(await proc.stop('SIGTERM')).toBe(0);
  });
});
