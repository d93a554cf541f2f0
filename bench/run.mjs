#!/usr/bin/env node
// `npm run bench [-- name…]`: runs every bench/*.bench.ts one after the other (never in parallel:
// each one measures memory or time of its own process) and passes their output through.
// A name keeps the benches whose file name contains it (older names are aliases, below).
// Each bench reports its figures on a marker line (bench/report.ts); they are collected into
// bench/results/<YYYY-MM-DD>.json (appended to that day's file) and summed up at the end.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const RESULT_MARKER = '@@bench-result ';
const aliases = { 'worker-rss': 'session-density', webhook: 'webhooks', 'webhook-delivery': 'webhooks', overhead: 'gateway-overhead' };
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const filters = process.argv
  .slice(2)
  .filter((a) => !a.startsWith('-'))
  .map((a) => aliases[a] ?? a);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .sort();

if (benches.length === 0) {
  process.stderr.write(`No bench matches ${filters.length === 0 ? '(no bench/*.bench.ts)' : filters.join(', ')}\n`);
  process.exit(1);
}

const results = [];
const failed = [];
for (const file of benches) {
  const path = join(here, file);
  process.stdout.write(`\n=== ${relative(root, path)} ===\n`);
  const started = Date.now();
  // --conditions=source: workspace packages resolve to their TypeScript sources (no build needed);
  // --expose-gc: benches that report memory collect garbage before each reading.
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--expose-gc', '--import', 'tsx', path], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`${line}\n`);
      if (line.startsWith(RESULT_MARKER)) results.push({ file, ...JSON.parse(line.slice(RESULT_MARKER.length)) });
    });
    child.on('exit', (status, signal) => resolve(status ?? (signal === null ? 1 : 128)));
    child.on('error', () => resolve(1));
  });
  const seconds = (Date.now() - started) / 1000;
  for (const r of results) if (r.file === file && r.seconds === undefined) r.seconds = seconds;
  process.stdout.write(`=== ${file}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${seconds.toFixed(1)} s ===\n`);
  if (code !== 0) failed.push(file);
}

if (results.length > 0 && !process.argv.includes('--no-save')) {
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().slice(0, 10)}.json`);
  const previous = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { runs: [] };
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform, note: process.env.BENCH_NOTE ?? '' };
  previous.runs.push(...results.map((r) => ({ ...r, machine })));
  writeFileSync(file, `${JSON.stringify(previous, null, 2)}\n`);
  process.stdout.write(`\nResults (${results.length} scenario(s)) appended to ${relative(root, file)}\n`);
  for (const r of results) process.stdout.write(`${JSON.stringify({ scenario: r.scenario, figures: r.figures })}\n`);
}
if (failed.length > 0) {
  process.stderr.write(`${failed.length} bench(es) failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
