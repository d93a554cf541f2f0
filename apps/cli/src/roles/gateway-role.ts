import { startGateway } from '@wagate/gateway';
import type { Closable, Output } from '../lifecycle.js';
import { openInfrastructure } from './shared-infrastructure.js';

/** Starts the gateway on the shared ports; returns what must be closed, in start order. */
export async function runGateway(env: Record<string, string | undefined>, out: Output): Promise<Closable[]> {
  const { config, coordinator, blobStore } = await openInfrastructure(env);
  const closables: Closable[] = [
    { name: 'coordinator', close: () => coordinator.close() },
    { name: 'blob store', close: () => blobStore.close() },
  ];
  const gateway = await startGateway({ config, coordinator, blobStore });
  closables.push({ name: 'gateway', close: () => gateway.close() });
  out.info(`gateway listening on ${gateway.url} (database: ${gateway.database.kind}, coordination: ${config.REDIS_URL ? 'redis' : 'memory'}, objects: ${config.S3_BUCKET ? 's3' : 'filesystem'})`);
  out.info(`API docs at ${gateway.url}/docs`);
  return closables;
}
