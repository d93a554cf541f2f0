#!/usr/bin/env node
// `npm run bench [-- filter…]`: runs every bench/*.bench.ts one after the other (never in parallel:
// each one measures memory or time of its own process) and passes their output through.
// A filter keeps the benches whose file name contains any of the given words.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((word) => f.includes(word)))
  .sort();

if (benches.length === 0) {
  process.stderr.write(`No bench matches ${filters.length === 0 ? '(no bench/*.bench.ts)' : filters.join(', ')}\n`);
  process.exit(1);
}

const failed = [];
for (const file of benches) {
  const path = join(here, file);
  process.stdout.write(`\n=== ${relative(root, path)} ===\n`);
  const started = Date.now();
  // --conditions=source: workspace packages resolve to their TypeScript sources (no build needed);
  // --expose-gc: benches that report memory collect garbage before each reading.
  const code = await new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=source', '--expose-gc', '--import', 'tsx', path], { cwd: root, stdio: 'inherit' });
    child.on('exit', (status, signal) => resolve(status ?? (signal === null ? 1 : 128)));
    child.on('error', () => resolve(1));
  });
  process.stdout.write(`=== ${file}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s ===\n`);
  if (code !== 0) failed.push(file);
}
if (failed.length > 0) {
  process.stderr.write(`${failed.length} bench(es) failed: ${failed.join(', ')}\n`);
  process.exit(1);
}
