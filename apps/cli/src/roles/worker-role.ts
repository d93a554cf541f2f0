import type { WorkerDeps } from '@wagate/worker';
import type { BlobStore } from '@wagate/storage';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureEmbeddedSecrets, type EmbeddedSecrets } from '../embedded-secrets.js';
import { dataDirOf } from '../environment.js';
import type { Closable, Output } from '../lifecycle.js';

/** What the worker needs from a simulator running elsewhere (`wagate sim` writes the trust files). */
async function sandboxFromFiles(env: Record<string, string | undefined>): Promise<NonNullable<WorkerDeps['sandbox']>> {
  const url = env.WA_SIM_URL;
  if (!url) throw new Error('WA_NETWORK=sandbox needs WA_SIM_URL (the ws:// endpoint `wagate sim` prints)');
  const dir = env.WA_SIM_DIR && env.WA_SIM_DIR.length > 0 ? env.WA_SIM_DIR : join(dataDirOf(env), 'sim');
  const rootPublicKey = new Uint8Array(Buffer.from((await readFile(join(dir, 'root-public-key.b64'), 'utf8')).trim(), 'base64'));
  const mediaCa = await readFile(join(dir, 'media-ca.pem'), 'utf8');
  return { url, rootPublicKey, mediaCa };
}

export interface WorkerRoleOptions {
  /** The simulator in the same process (`wagate dev`), instead of WA_SIM_URL and trust files. */
  sandbox?: WorkerDeps['sandbox'];
  /** The gateway's store in the same process, so both see one object store. */
  blobs?: BlobStore;
}

/**
 * Starts a worker that registers with GATEWAY_URL. Outside production, a missing WORKER_TOKEN and
 * ENCRYPTION_KEY come from `<DATA_DIR>/secrets.json` — the same file the gateway uses — so a local
 * gateway and worker sharing DATA_DIR agree without any setting.
 */
export async function startWorkerRole(env: Record<string, string | undefined>, out: Output, options: WorkerRoleOptions = {}): Promise<Closable[]> {
  const { createWorker, parseWorkerConfig } = await import('@wagate/worker');
  const dataDir = dataDirOf(env);
  const secrets: Partial<EmbeddedSecrets> = env.NODE_ENV === 'production' ? {} : await ensureEmbeddedSecrets(dataDir);
  const config = parseWorkerConfig({ WORKER_TOKEN: secrets.WORKER_TOKEN, ENCRYPTION_KEY: env.ENCRYPTION_KEYS ? undefined : secrets.ENCRYPTION_KEY, ...env, DATA_DIR: dataDir });
  const sandbox = config.waNetwork === 'sandbox' ? (options.sandbox ?? (await sandboxFromFiles(env))) : undefined;
  const worker = await createWorker(config, { ...(sandbox ? { sandbox } : {}), ...(options.blobs ? { blobs: options.blobs } : {}) });
  const { url } = await worker.start();
  out.info(`worker ${config.workerId} listening on ${url} (endpoint ${config.endpoint}, up to ${config.maxSessions} sessions); registering with ${config.gatewayUrl}`);
  return [{ name: 'worker', close: () => worker.stop() }];
}

export async function runWorker(env: Record<string, string | undefined>, out: Output): Promise<Closable[]> {
  return startWorkerRole(env, out);
}
