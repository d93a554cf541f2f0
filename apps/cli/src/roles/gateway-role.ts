import { startGateway, type GatewayConfig, type RunningGateway } from '@wagate/gateway';
import type { BlobStore } from '@wagate/storage';
import type { Closable, Output } from '../lifecycle.js';
import { openInfrastructure } from './shared-infrastructure.js';

export interface StartedGateway {
  closables: Closable[];
  gateway: RunningGateway;
  config: GatewayConfig;
  blobStore: BlobStore;
}

/** Opens the shared ports and starts the gateway; `wagate dev` adds a worker beside it. */
export async function startGatewayRole(env: Record<string, string | undefined>, out: Output): Promise<StartedGateway> {
  const { config, coordinator, blobStore } = await openInfrastructure(env);
  const closables: Closable[] = [
    { name: 'coordinator', close: () => coordinator.close() },
    { name: 'blob store', close: () => blobStore.close() },
  ];
  try {
    const gateway = await startGateway({ config, coordinator, blobStore });
    closables.push({ name: 'gateway', close: () => gateway.close() });
    out.info(`gateway listening on ${gateway.url} (database: ${gateway.database.kind}, coordination: ${config.REDIS_URL ? 'redis' : 'memory'}, objects: ${config.S3_BUCKET ? 's3' : 'filesystem'})`);
    out.info(`API docs at ${gateway.url}/docs`);
    return { closables, gateway, config, blobStore };
  } catch (error) {
    for (const c of closables.reverse()) await c.close().catch(() => undefined);
    throw error;
  }
}

/** Starts the gateway on the shared ports; returns what must be closed, in start order. */
export async function runGateway(env: Record<string, string | undefined>, out: Output): Promise<Closable[]> {
  return (await startGatewayRole(env, out)).closables;
}
