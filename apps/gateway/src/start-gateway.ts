import type { BlobStore, Coordinator } from '@wagate/storage';
import type { FastifyInstance } from 'fastify';
import { resolve } from 'node:path';
import { buildApp } from './app.js';
import type { GatewayConfig } from './config.js';
import { openDatabase, type DatabaseHandle } from './db/index.js';

export interface RunningGateway {
  app: FastifyInstance;
  database: DatabaseHandle;
  /** Base URL the gateway listens on, e.g. http://127.0.0.1:3000. */
  url: string;
  /** Stops accepting, finishes in-flight requests, then closes the database. */
  close(): Promise<void>;
}

/**
 * Opens and migrates the database, builds the app and listens. The coordinator and blob store are
 * passed in because, in `wagate dev`, the worker in the same process shares them.
 */
export async function startGateway(options: {
  config: GatewayConfig;
  coordinator: Coordinator;
  blobStore: BlobStore;
  version?: string;
}): Promise<RunningGateway> {
  const { config } = options;
  const database = await openDatabase({
    dataDir: resolve(config.DATA_DIR),
    ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
  });
  let app: FastifyInstance;
  try {
    app = await buildApp({ config, database, coordinator: options.coordinator, blobStore: options.blobStore, ...(options.version ? { version: options.version } : {}) });
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await database.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  return {
    app,
    database,
    url: `http://${host}:${port}`,
    async close() {
      try {
        await app.close();
      } finally {
        await database.close();
      }
    },
  };
}
