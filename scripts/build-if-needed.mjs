// `npm start` builds first, so a fresh `npm ci && npm start` works; tsc -b is incremental and
// returns in about a second when nothing changed. The dashboard export (next build, ~20 s) is
// rebuilt only when it is missing or older than its sources.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, ['node_modules/typescript/bin/tsc', '-b']);

const dashboard = 'apps/dashboard';
const exported = join(dashboard, 'out', 'index.html');
const newest = (path) => {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((entry) => newest(join(path, entry))));
};
const sources = ['app', 'components', 'lib', 'next.config.mjs', 'package.json'].map((p) => join(dashboard, p)).filter(existsSync);
if (!existsSync(exported) || Math.max(...sources.map(newest)) > statSync(exported).mtimeMs) {
  run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '-w', dashboard]);
}
