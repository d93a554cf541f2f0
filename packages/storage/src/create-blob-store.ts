import path from 'node:path';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';

/** `{ s3 }` when `S3_ENDPOINT`/`S3_BUCKET`… are set, otherwise `{ dataDir }` (`DATA_DIR`). */
export type BlobStoreConfig = { s3: S3BlobStoreOptions } | { dataDir: string };

/** S3 when configured, otherwise files under `<dataDir>/objects`. */
export function createBlobStore(config: BlobStoreConfig): BlobStore {
  if ('s3' in config && config.s3) return new S3BlobStore(config.s3);
  if ('dataDir' in config && config.dataDir) return new FsBlobStore({ root: path.join(config.dataDir, 'objects') });
  throw new Error('createBlobStore needs either s3 settings or a dataDir');
}
