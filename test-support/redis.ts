// Shared by every package's tests that need the real Redis (running locally and in CI).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis tests use: `TEST_REDIS_URL`, or the local default. */
export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A key prefix no other test run shares, e.g. `wagate-test:storage:lq3x9k-1a2b3c4d:`. */
export function uniquePrefix(label = 'test'): string {
  return `wagate-test:${label}:${Date.now().toString(36)}-${randomBytes(4).toString('hex')}:`;
}

/** Deletes every key starting with `prefix` (a test run's cleanup); returns how many. */
export async function deleteKeysWithPrefix(prefix: string, url = testRedisUrl()): Promise<number> {
  if (!prefix.startsWith('wagate-test:')) throw new Error(`refusing to delete keys outside wagate-test: (${prefix})`);
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
