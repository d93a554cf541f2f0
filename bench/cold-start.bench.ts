/**
 * Cold start (issue 11): `npm start` (embedded: wa-sim, gateway, worker, PGlite, in one process) on an
 * already built tree, from spawning npm until GET /health answers 200 and GET /health/detailed answers
 * 200 (every dependency up). Repeated: on a fresh DATA_DIR (migrations, secrets, first PGlite open)
 * and restarting on the same DATA_DIR; medians reported. `npm start` runs its prestart build check
 * (`tsc -b`, incremental) every time; its own duration is measured apart.
 *
 *   npm run bench -- cold-start        (BENCH_STARTS, default 3 of each; about 40 s)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot } from '../tests/e2e/support/processes.js';
import { median, report } from './report.js';

const STARTS = Number(process.env.BENCH_STARTS ?? 3);
const out = (line: string): void => void process.stdout.write(`${line}\n`);

interface Start {
  healthMs: number;
  detailedMs: number;
}

/** `npm start`, or — when the prestart build check fails — what npm runs after it, on the existing build. */
let command: [string, string[]] = ['npm', ['start', '--silent']];

async function startOnce(dataDir: string): Promise<Start> {
  const port = await freePort();
  const started = performance.now();
  // Its own process group, so the stop reaches npm's child (the node process) too.
  const child = spawn(command[0], command[1], {
    cwd: repoRoot,
    detached: true,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), DATA_DIR: dataDir, WA_NETWORK: 'sandbox', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const group = child.pid!;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-group, signal);
    } catch {
      // already gone
    }
  };
  process.once('exit', () => kill('SIGKILL'));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    let healthMs = 0;
    const deadline = started + 120_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output.slice(-3000)}`);
      if (performance.now() > deadline) throw new Error(`not healthy within 120 s:\n${output.slice(-3000)}`);
      const status = async (path: string) =>
        fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status,
          () => 0,
        );
      if (healthMs === 0 && (await status('/health')) === 200) healthMs = performance.now() - started;
      if (healthMs > 0 && (await status('/health/detailed')) === 200) return { healthMs, detailedMs: performance.now() - started };
      await new Promise((r) => setTimeout(r, 25));
    }
  } finally {
    kill('SIGTERM');
    const forced = setTimeout(() => kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(forced);
  }
}

async function main(): Promise<void> {
  // The tree must be built before the clock runs (this is the "already built" case).
  let t = performance.now();
  const build = spawnSync(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  let checkMs: number | null = null;
  let mode = 'npm start';
  if (build.status !== 0) {
    // Someone's half-edited file in a shared working tree fails `tsc -b`, so `npm start` would too:
    // time what npm runs after its prestart step, on the build that is there.
    if (!existsSync(join(repoRoot, 'apps/cli/dist/main.js'))) throw new Error(`build failed and no earlier build:\n${build.stdout}${build.stderr}`);
    command = [process.execPath, ['apps/cli/dist/main.js', 'dev']];
    mode = 'node apps/cli/dist/main.js dev (npm start without its prestart build check, which failed on a file mid-edit)';
    out(`build check failed (${build.stdout.split('\n')[0] ?? ''}); timing ${mode}`);
  } else {
    out(`build (if needed) before the runs: ${(performance.now() - t).toFixed(0)} ms`);
    t = performance.now();
    spawnSync(process.execPath, ['scripts/build-if-needed.mjs'], { cwd: repoRoot });
    checkMs = performance.now() - t;
    out(`prestart build check on a built tree: ${checkMs.toFixed(0)} ms`);
  }

  const fresh: Start[] = [];
  const restart: Start[] = [];
  for (let i = 0; i < STARTS; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'wagate-bench-cold-'));
    try {
      const first = await startOnce(dir);
      fresh.push(first);
      const again = await startOnce(dir);
      restart.push(again);
      out(`run ${i + 1}: fresh DATA_DIR /health ${first.healthMs.toFixed(0)} ms, healthy ${first.detailedMs.toFixed(0)} ms; restart /health ${again.healthMs.toFixed(0)} ms, healthy ${again.detailedMs.toFixed(0)} ms`);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  }
  report(
    'cold-start',
    {
      command: mode,
      starts: STARTS,
      'freshDataDir.healthMedianMs': Math.round(median(fresh.map((s) => s.healthMs))),
      'freshDataDir.healthyMedianMs': Math.round(median(fresh.map((s) => s.detailedMs))),
      'restart.healthMedianMs': Math.round(median(restart.map((s) => s.healthMs))),
      'restart.healthyMedianMs': Math.round(median(restart.map((s) => s.detailedMs))),
      'of which prestartBuildCheckMs': checkMs === null ? null : Math.round(checkMs),
    },
    [
      '`npm start` (embedded: wa-sim + gateway + worker + PGlite) from spawn to GET /health 200, and to GET /health/detailed 200 ("healthy")',
      'fresh = new DATA_DIR (secrets, migrations); restart = same DATA_DIR again; the prestart build check (tsc -b, nothing to do) is part of every start',
    ],
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error instanceof Error ? error.stack : error)}\n`);
    process.exit(1);
  },
);
