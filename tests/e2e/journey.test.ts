// Issue 6 "Done when": the whole customer journey on real processes, split and embedded.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeFixedPort, runJourney } from './support/journey.js';
import { startCli, waitForHttp, type RunningProcess } from './support/processes.js';

// The worker's outbound pacer spaces sends like a human; the journey sends 16 in a row.
const FAST_PACER = { PACER_MIN_INTERVAL_MS: '0', PACER_JITTER_MS: '0' };

function printSteps(label: string, steps: [string, number][]): void {
  process.stdout.write(`journey (${label}): ${steps.map(([name, ms]) => `${name} ${ms} ms`).join(' · ')}\n`);
}

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

  it('registers, links a virtual phone, sends every type, reads replies, reconnects without QR and needs a QR after logout', async () => {
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
