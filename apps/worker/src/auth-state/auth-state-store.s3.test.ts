import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '@wagate/storage';
import { startS3rver } from '../../../../test-support/s3rver.js';
import type { TestS3 } from '../../../../test-support/s3rver.js';
import { Keyring } from '../crypto/index.js';
import { AuthStateStore, StaleEpochError } from './auth-state-store.js';

/** The same store on the S3 adapter (s3rver): what production runs on MinIO. */
let s3: TestS3;
let blobs: S3BlobStore;
const keyring = new Keyring([{ id: 'k0', key: randomBytes(32) }]);

beforeAll(async () => {
  s3 = await startS3rver();
  blobs = new S3BlobStore({ endpoint: s3.endpoint, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region });
});
afterAll(async () => {
  await blobs.close();
  await s3.close();
});

describe('AuthStateStore on S3', () => {
  it('flushes a fresh prekey set in one batch and restores it in a new store', async () => {
    const a = new AuthStateStore({ blobs, keyring, sessionId: 's3a', epoch: 1, workerId: 'w1', flushDelayMs: 50 });
    await a.claim();
    await a.writeCreds('{"me":"x"}');
    const started = Date.now();
    await a.setKeys(Array.from({ length: 812 }, (_, i) => ({ type: 'pre-key', id: String(i + 1), value: `{"k":${i}}` })));
    const ms = Date.now() - started;
    expect(a.stats.keyFlushes).toBe(1);
    process.stdout.write(`[measure] S3 (s3rver): 812 prekeys flushed in ${ms} ms (${a.stats.keysWritten} shard objects)\n`);
    const b = new AuthStateStore({ blobs, keyring, sessionId: 's3a', epoch: 1, workerId: 'w1' });
    expect(await b.readCreds()).toBe('{"me":"x"}');
    expect((await b.getKeys('pre-key', ['1', '812', '999'])).size).toBe(2);
  });

  it('fences a stale writer on S3 too', async () => {
    const old = new AuthStateStore({ blobs, keyring, sessionId: 's3b', epoch: 1, workerId: 'w1' });
    await old.claim();
    await new AuthStateStore({ blobs, keyring, sessionId: 's3b', epoch: 2, workerId: 'w2' }).claim();
    await expect(old.writeCreds('{}')).rejects.toBeInstanceOf(StaleEpochError);
  });
});
