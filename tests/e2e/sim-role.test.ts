import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startCli, type RunningProcess } from './support/processes.js';

describe('wagate sim', () => {
  let dataDir = '';
  let port = 0;
  let proc: RunningProcess;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'wagate-sim-'));
    port = await freePort();
    proc = startCli(['sim'], { DATA_DIR: dataDir, SIM_PORT: String(port), LOG_LEVEL: 'warn' });
    const deadline = Date.now() + 60_000;
    while (!proc.output().includes('control API') && Date.now() < deadline) {
      if (proc.child.exitCode !== null) throw new Error(proc.output());
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(async () => {
    await proc?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listens on SIM_PORT and announces its endpoints', () => {
    expect(proc.output()).toContain(`ws://127.0.0.1:${port}/ws/chat`);
    expect(proc.output()).toContain(`http://127.0.0.1:${port}/control`);
  });

  it('writes its trust root and media CA for separate worker processes', async () => {
    const root = Buffer.from((await readFile(join(dataDir, 'sim', 'root-public-key.b64'), 'utf8')).trim(), 'base64');
    expect(root.length).toBeGreaterThanOrEqual(32);
    expect(await readFile(join(dataDir, 'sim', 'media-ca.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('creates a virtual phone through the control API', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/control/phones`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone: '15550001111', pushName: 'Alice' }),
    });
    expect(res.status).toBeLessThan(300);
    expect(JSON.stringify(await res.json())).toContain('15550001111');
  });

  it('exits cleanly on SIGTERM and keeps its state for the next start', async () => {
    expect(await proc.stop('SIGTERM')).toBe(0);
    expect(await readFile(join(dataDir, 'sim', 'wa-sim-state.json'), 'utf8')).toContain('15550001111');
  });
});
