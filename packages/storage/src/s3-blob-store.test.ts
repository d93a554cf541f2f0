import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3rver, type TestS3 } from '../../../test-support/s3rver.js';
import { describeBlobStoreContract } from './blob-store.contract.js';
import { createBlobStore } from './create-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3?.close();
});

const options = () => ({ endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region });

describeBlobStoreContract('S3BlobStore', () => new S3BlobStore(options()));

describe('S3BlobStore', () => {
  it('creates a missing bucket with ensureBucket and then answers ping', async () => {
    const store = new S3BlobStore({ ...options(), bucket: 'created-by-test' });
    await expect(store.ping()).rejects.toThrow();
    await store.ensureBucket();
    await store.ensureBucket(); // idempotent
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });

  it('is what createBlobStore picks when s3 settings are given', async () => {
    const store = createBlobStore({ s3: options() });
    expect(store).toBeInstanceOf(S3BlobStore);
    await store.put('factory/x', 'y');
    expect((await store.get('factory/x'))?.toString()).toBe('y');
    await store.close();
  });
});
