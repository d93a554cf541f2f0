import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { dataDirOf } from '../environment.js';
import type { Closable, Output } from '../lifecycle.js';
import { runGateway } from './gateway-role.js';

/**
 * Everything in one process. Today: wa-sim (sandbox mode) and the gateway; the worker joins here
 * once the gateway accepts worker registration (it needs the internal routes).
 */
export async function runDev(env: Record<string, string | undefined>, out: Output): Promise<Closable[]> {
  const closables: Closable[] = [];
  try {
    if (env.WA_NETWORK === 'sandbox') {
      const dir = join(dataDirOf(env), 'sim');
      await mkdir(dir, { recursive: true });
      const { createSimulator } = await import('@wagate/wa-sim');
      const sim = await createSimulator({ host: '127.0.0.1', port: 0, dataDir: dir });
      closables.push({ name: 'wa-sim', close: () => sim.close() });
      out.info(`sandbox: wa-sim at ${sim.url}, control API ${sim.controlUrl}`);
    }
    closables.push(...(await runGateway(env, out)));
    return closables;
  } catch (error) {
    for (const c of closables.reverse()) await c.close().catch(() => undefined);
    throw error;
  }
}
