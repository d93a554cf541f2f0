import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { dataDirOf } from '../environment.js';
import type { Closable, Output } from '../lifecycle.js';
import { startGatewayRole } from './gateway-role.js';
import type { WorkerRoleOptions } from './worker-role.js';

/** A free loopback port for the embedded worker; WORKER_PORT pins one instead. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Everything in one process: wa-sim (sandbox mode), the gateway, and one worker that registers
 * with the gateway over real HTTP on loopback — the same path as a split deployment.
 */
export async function runDev(env: Record<string, string | undefined>, out: Output): Promise<Closable[]> {
  const closables: Closable[] = [];
  try {
    let sandbox: WorkerRoleOptions['sandbox'];
    let gatewayEnv = env;
    if (env.WA_NETWORK === 'sandbox') {
      const dir = join(dataDirOf(env), 'sim');
      await mkdir(dir, { recursive: true });
      const { createSimulator } = await import('@wagate/wa-sim');
      const sim = await createSimulator({ host: '127.0.0.1', port: 0, dataDir: dir });
      closables.push({ name: 'wa-sim', close: () => sim.close() });
      sandbox = { url: sim.url, rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa };
      out.info(`sandbox: wa-sim at ${sim.url}, control API ${sim.controlUrl}`);
      // The gateway's /api/v1/sandbox routes drive this simulator's virtual phones.
      gatewayEnv = { ...env, SANDBOX_CONTROL_URL: env.SANDBOX_CONTROL_URL ?? sim.controlUrl };
    }
    const started = await startGatewayRole(gatewayEnv, out);
    closables.push(...started.closables);
    const { startWorkerRole } = await import('./worker-role.js');
    const workerPort = env.WORKER_PORT && env.WORKER_PORT.length > 0 ? env.WORKER_PORT : String(await freePort());
    const workerEnv: Record<string, string | undefined> = {
      ...env,
      // The gateway's secrets (env or secrets.json), so the worker accepts the gateway's token.
      WORKER_TOKEN: started.config.WORKER_TOKEN,
      ENCRYPTION_KEY: env.ENCRYPTION_KEYS ? undefined : started.config.ENCRYPTION_KEY,
      GATEWAY_URL: started.gateway.url,
      // A stable id: a restart reuses the registry row (and the routing of its sessions).
      WORKER_ID: env.WORKER_ID ?? 'embedded-worker',
      WORKER_PORT: workerPort,
      // Token-protected, but still nobody else's business: in one process the gateway is on loopback.
      WORKER_HOST: '127.0.0.1',
      WORKER_ENDPOINT: env.WORKER_ENDPOINT ?? `http://127.0.0.1:${workerPort}`,
      // PORT is the gateway's here; the worker must not fall back to it.
      PORT: undefined,
    };
    closables.push(...(await startWorkerRole(workerEnv, out, { ...(sandbox ? { sandbox } : {}), blobs: started.blobStore })));
    return closables;
  } catch (error) {
    for (const c of closables.reverse()) await c.close().catch(() => undefined);
    throw error;
  }
}
