import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FsBlobStore } from '@wagate/storage';
import type { BlobStore } from '@wagate/storage';

/** The real filesystem BlobStore in a fresh temp dir, removed by `cleanup`. */
export async function tempBlobStore(): Promise<{ blobs: BlobStore; dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'wagate-worker-'));
  const blobs = new FsBlobStore({ root: dir });
  return {
    blobs,
    dir,
    cleanup: async () => {
      await blobs.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
