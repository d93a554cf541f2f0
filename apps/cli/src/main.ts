#!/usr/bin/env node
import { ConfigError } from '@wagate/gateway';
import { readEnvironment } from './environment.js';
import { closeOnSignals, type Closable, type Output } from './lifecycle.js';

const USAGE = `Usage: wagate <role>

Roles:
  dev       everything in one process: gateway + worker (+ wa-sim when WA_NETWORK=sandbox)
  gateway   the public API, dashboard, orchestration and webhooks
  worker    WhatsApp sessions; registers with GATEWAY_URL
  sim       the wa-sim WhatsApp simulator with its control API
`;

const out: Output = {
  info: (message) => process.stdout.write(`[wagate] ${message}\n`),
  error: (message) => process.stderr.write(`[wagate] ${message}\n`),
};

type Role = (env: Record<string, string | undefined>, out: Output) => Promise<Closable[]>;

// Roles load lazily: a gateway never pays for importing Baileys and the simulator.
const roles: Record<string, () => Promise<Role>> = {
  dev: async () => (await import('./roles/dev-role.js')).runDev,
  gateway: async () => (await import('./roles/gateway-role.js')).runGateway,
  worker: async () => (await import('./roles/worker-role.js')).runWorker,
  sim: async () => (await import('./roles/sim-role.js')).runSim,
};

async function main(argv: string[]): Promise<void> {
  const name = argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    process.exit(name ? 0 : 2);
  }
  const loadRole = roles[name];
  if (!loadRole) {
    out.error(`unknown role "${name}"`);
    process.stderr.write(USAGE);
    process.exit(2);
  }
  const signals = closeOnSignals(out);
  try {
    const role = await loadRole();
    signals.manage(await role(readEnvironment(), out));
  } catch (error) {
    // Both apps name every invalid key at once; neither needs a stack trace.
    if (error instanceof ConfigError || (error instanceof Error && error.name === 'ConfigError')) {
      out.error(error.message);
    } else {
      out.error(`failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    process.exit(1);
  }
}

await main(process.argv.slice(2));
