import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '@wagate/storage';
import { tempBlobStore } from '../test-support/temp-blob-store.js';
import { RetentionJob } from './retention-job.js';

const DAY_MS = 86_400_000;
const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

let blobs: BlobStore;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ blobs, cleanup } = await tempBlobStore());
});
afterEach(async () => {
  await cleanup();
});

async function keys(prefix: string): Promise<string[]> {
  return (await blobs.list(prefix, { limit: 1000 })).items.map((i) => i.key).sort();
}

describe('RetentionJob', () => {
  it('deletes history days and media past retention for hosted sessions only, and temp objects after a day', async () => {
    const now = Date.now();
    // Written "now" but the sweep runs as of 91 days later: media and temp are then 91 days old.
    const later = now + 91 * DAY_MS;
    const oldDay = day(now - 5 * DAY_MS);
    const keptDay = day(later - 10 * DAY_MS);
    await blobs.put(`history/s1/${oldDay}/000000000000001-000001-aaaaaa.json`, 'x');
    await blobs.put(`history/s1/${oldDay}/000000000000002-000002-aaaaaa.json`, 'x');
    await blobs.put(`history/s1/${keptDay}/000000000000003-000003-aaaaaa.json`, 'x');
    await blobs.put(`history/s2/${oldDay}/000000000000001-000001-aaaaaa.json`, 'x');
    await blobs.put('media/s1/images/m1', 'x');
    await blobs.put('media/s2/images/m1', 'x');
    await blobs.put('temp/qr/s1.png', 'x');

    const job = new RetentionJob({ blobs, retentionDays: 90, intervalMs: 60_000, sessions: () => ['s1'] });
    expect(await job.sweep(later)).toEqual({ historyChunks: 2, mediaObjects: 1, tempObjects: 1 });
    expect(await keys('history/s1/')).toEqual([`history/s1/${keptDay}/000000000000003-000003-aaaaaa.json`]);
    // s2 is not hosted here: its data waits for the worker that hosts it.
    expect(await keys('history/s2/')).toHaveLength(1);
    expect(await keys('media/')).toEqual(['media/s2/images/m1']);
    expect(await keys('temp/')).toEqual([]);
  });

  it('keeps everything younger than the limits', async () => {
    const now = Date.now();
    await blobs.put(`history/s1/${day(now - 89 * DAY_MS)}/000000000000001-000001-aaaaaa.json`, 'x');
    await blobs.put(`history/s1/${day(now)}/000000000000002-000001-aaaaaa.json`, 'x');
    await blobs.put('media/s1/video/m2', 'x');
    await blobs.put('temp/qr/s1.png', 'x');
    const job = new RetentionJob({ blobs, retentionDays: 90, intervalMs: 60_000, sessions: () => ['s1'] });
    expect(await job.sweep(now + 60 * 60_000)).toEqual({ historyChunks: 0, mediaObjects: 0, tempObjects: 0 });
    expect(await keys('')).toHaveLength(4);
  });

  it('walks history past the first page when many days expired', async () => {
    const now = Date.now();
    for (let d = 100; d < 100 + 30; d++) await blobs.put(`history/s1/${day(now - d * DAY_MS)}/000000000000001-000001-aaaaaa.json`, 'x');
    await blobs.put(`history/s1/${day(now)}/000000000000001-000001-aaaaaa.json`, 'x');
    const listed: (string | undefined)[] = [];
    const paged: BlobStore = { ...blobs, list: (prefix, options) => (listed.push(options?.cursor), blobs.list(prefix, { ...options, limit: 7 })) } as BlobStore;
    paged.deletePrefix = (p) => blobs.deletePrefix(p);
    paged.delete = (k) => blobs.delete(k);
    const job = new RetentionJob({ blobs: paged, retentionDays: 90, intervalMs: 60_000, sessions: () => ['s1'] });
    expect((await job.sweep(now)).historyChunks).toBe(30);
    expect(await keys('history/')).toEqual([`history/s1/${day(now)}/000000000000001-000001-aaaaaa.json`]);
    expect(listed.length).toBeGreaterThan(4);
  });

  it('runs on its interval until stopped', async () => {
    await blobs.put('temp/qr/s1.png', 'x');
    const job = new RetentionJob({ blobs, retentionDays: 1, tempMaxAgeMs: 0, intervalMs: 30, sessions: () => [] });
    job.start();
    const deadline = Date.now() + 3000;
    while ((await keys('temp/')).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await job.stop();
    expect(await keys('temp/')).toEqual([]);
  });

  it('refuses a retention under one day', () => {
    expect(() => new RetentionJob({ blobs, retentionDays: 0, intervalMs: 1, sessions: () => [] })).toThrow(/at least 1/);
  });
});
