// `npm start` builds first, so a fresh `npm ci && npm start` works; tsc -b is incremental and
// returns in about a second when nothing changed.
import { spawnSync } from 'node:child_process';

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
run(process.execPath, ['node_modules/typescript/bin/tsc', '-b']);
