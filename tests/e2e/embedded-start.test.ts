import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, waitForHttp, type RunningProcess } from './support/processes.js';

describe('wagate dev on embedded defaults, sandbox network', () => {
  let dataDir = '';
  let base = '';
  let proc: RunningProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-e2e-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    proc = startCli(['dev'], { DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', WA_NETWORK: 'sandbox' });
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

  it('exits cleanly on SIGTERM', async () => {
    expect(await proc.stop('SIGTERM')).toBe(0);
  });
});
