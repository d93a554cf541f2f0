import { createSimulator } from '@wagate/wa-sim';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { dataDirOf } from '../environment.js';
import type { Closable, Output } from '../lifecycle.js';

const simEnv = z.object({
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_PORT: z.coerce.number().int().min(0).max(65_535).default(7700),
  /** `test` uses the fixed, public test root key: reproducible, and never for anything real. */
  SIM_ROOT_KEY: z.enum(['test', 'random']).default('random'),
  /** The simulator's own log (JSON lines on stdout): decrypt failures, retries, resends. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('silent'),
});

/**
 * Runs wa-sim standalone. Separate worker processes need its trust root and media CA, so both are
 * written next to its state in `<DATA_DIR>/sim/`.
 */
export async function runSim(env: Record<string, string | undefined>, out: Output): Promise<Closable[]> {
  const parsed = simEnv.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const { SIM_HOST, SIM_PORT, SIM_ROOT_KEY, LOG_LEVEL } = parsed.data;
  // The phones decrypt with Baileys' libsignal, as the worker does: they get the worker's fix of
  // its session trial (a failed try ruined the open session), as a real handset has no such bug.
  (await import('@wagate/worker')).installTrialDecrypt();
  const dir = join(dataDirOf(env), 'sim');
  await mkdir(dir, { recursive: true });
  const sim = await createSimulator({
    host: SIM_HOST,
    port: SIM_PORT,
    dataDir: dir,
    logLevel: LOG_LEVEL,
    ...(SIM_ROOT_KEY === 'test' ? { rootKeyPair: 'test' as const } : {}),
  });
  await writeFile(join(dir, 'root-public-key.b64'), Buffer.from(sim.rootPublicKey).toString('base64') + '\n');
  await writeFile(join(dir, 'media-ca.pem'), sim.mediaCa);
  out.info(`wa-sim WhatsApp endpoint ${sim.url}`);
  out.info(`wa-sim control API ${sim.controlUrl}`);
  out.info(`trust root and media CA written to ${dir}`);
  return [{ name: 'wa-sim', close: () => sim.close() }];
}
