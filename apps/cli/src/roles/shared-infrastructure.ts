import { parseGatewayConfig, type GatewayConfig } from '@wagate/gateway';
import { createBlobStore, createCoordinator, type BlobStore, type Coordinator } from '@wagate/storage';
import { ensureEmbeddedSecrets } from '../embedded-secrets.js';
import { dataDirOf } from '../environment.js';

export interface Infrastructure {
  config: GatewayConfig;
  coordinator: Coordinator;
  blobStore: BlobStore;
}

/**
 * Config plus the two shared ports. Outside production, missing secrets come from
 * `<DATA_DIR>/secrets.json` so an embedded install needs nothing set; explicit env always wins.
 */
export async function openInfrastructure(env: Record<string, string | undefined>): Promise<Infrastructure> {
  const dataDir = dataDirOf(env);
  const secrets = env.NODE_ENV === 'production' ? {} : await ensureEmbeddedSecrets(dataDir);
  const config = parseGatewayConfig({ ...secrets, ...env, DATA_DIR: dataDir });
  const coordinator = createCoordinator(config.REDIS_URL ? { redisUrl: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX } : {});
  const blobStore = createBlobStore(
    config.S3_BUCKET && config.S3_ACCESS_KEY && config.S3_SECRET_KEY
      ? {
          s3: {
            bucket: config.S3_BUCKET,
            accessKeyId: config.S3_ACCESS_KEY,
            secretAccessKey: config.S3_SECRET_KEY,
            region: config.S3_REGION,
            ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
          },
        }
      : { dataDir },
  );
  return { config, coordinator, blobStore };
}
