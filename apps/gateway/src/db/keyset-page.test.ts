import { ValidationError } from '@wagate/contracts';
import { desc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestPglite } from '../test-support/pglite.js';
import { createdMicros, decodeKeysetCursor, encodeKeysetCursor, keysetPage, olderThanCursor, schema, type DatabaseHandle } from './index.js';

const { systemLogs } = schema;

describe('keyset pages over (created_at, id)', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await openTestPglite();
    // Seven rows inside one millisecond (microseconds apart) and three sharing one exact instant:
    // a millisecond cursor would skip or repeat some of them.
    const base = '2026-01-01T00:00:00.123';
    const values = [
      ...Array.from({ length: 7 }, (_, i) => ({ id: `log_m${i}`, at: `${base}${String(100 + i * 10)}+00` })),
      ...['log_s0', 'log_s1', 'log_s2'].map((id) => ({ id, at: `${base}900+00` })),
    ];
    for (const v of values) {
      await handle.db.insert(systemLogs).values({ id: v.id, level: 'info', category: 'test', message: v.id, createdAt: sql`${v.at}::timestamptz` });
    }
  });
  afterAll(async () => handle.close());

  async function page(limit: number, cursor?: string) {
    const older = olderThanCursor(systemLogs.createdAt, systemLogs.id, cursor);
    const rows = await handle.db
      .select({ row: systemLogs, micros: createdMicros(systemLogs.createdAt) })
      .from(systemLogs)
      .where(older)
      .orderBy(desc(systemLogs.createdAt), desc(systemLogs.id))
      .limit(limit + 1);
    return keysetPage(rows, limit);
  }

  it('walks every row exactly once, newest first, when rows share a millisecond or an instant', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let guard = 0; guard < 20; guard++) {
      const p = await page(3, cursor);
      seen.push(...p.data.map((r) => r.id));
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(['log_s2', 'log_s1', 'log_s0', 'log_m6', 'log_m5', 'log_m4', 'log_m3', 'log_m2', 'log_m1', 'log_m0']);
  });

  it('gives no next cursor on the last page', async () => {
    expect((await page(10)).nextCursor).toBeNull();
    expect((await page(9)).nextCursor).not.toBeNull();
  });

  it('refuses a cursor it did not hand out with a 400 naming the field', () => {
    for (const bad of ['nope', Buffer.from('12:').toString('base64url'), Buffer.from('x:log_1').toString('base64url'), '']) {
      if (bad === '') {
        expect(olderThanCursor(systemLogs.createdAt, systemLogs.id, bad)).toBeUndefined();
        continue;
      }
      const error = (() => {
        try {
          decodeKeysetCursor(bad);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).status).toBe(400);
    }
    expect(decodeKeysetCursor(encodeKeysetCursor({ micros: '1767225600123456', id: 'ses_a-b' }))).toEqual({ micros: '1767225600123456', id: 'ses_a-b' });
  });
});
