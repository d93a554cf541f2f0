// Newest-first keyset pagination over (created_at, id), shared by every list in the API.
import { ValidationError } from '@wagate/contracts';
import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * The cursor carries created_at in whole microseconds (PostgreSQL's precision: a JS Date would drop
 * them and skip or repeat rows written in the same millisecond) plus the id as tiebreak, base64url
 * so clients treat it as opaque.
 */
export interface KeysetCursor {
  micros: string;
  id: string;
}

/** Select this beside the row (`{ row: table, micros: createdMicros(table.createdAt) }`). */
export function createdMicros(createdAt: PgColumn): SQL<string> {
  return sql<string>`(extract(epoch from ${createdAt}) * 1000000)::bigint::text`;
}

export function encodeKeysetCursor(cursor: KeysetCursor): string {
  return Buffer.from(`${cursor.micros}:${cursor.id}`, 'utf8').toString('base64url');
}

/** A cursor this API did not hand out is a 400 naming the field, never a 500. */
export function decodeKeysetCursor(raw: string, path = 'query.cursor'): KeysetCursor {
  const m = /^(\d{1,19}):([A-Za-z0-9_.:-]{1,128})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m) throw new ValidationError([{ path, message: 'Invalid cursor.' }]);
  return { micros: m[1]!, id: m[2]! };
}

/** `(created_at, id) < cursor` for the next page; undefined on the first page. Order by both, descending. */
export function olderThanCursor(createdAt: PgColumn, id: PgColumn, cursor: string | null | undefined, path?: string): SQL | undefined {
  if (!cursor) return undefined;
  const c = decodeKeysetCursor(cursor, path);
  return sql`(${createdAt}, ${id}) < (to_timestamp(0) + ${c.micros}::bigint * interval '1 microsecond', ${c.id})`;
}

/** The page and the next cursor, from `limit + 1` rows selected as `{ row, micros }`. */
export function keysetPage<R extends { id: string }>(rows: { row: R; micros: string }[], limit: number): { data: R[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map((r) => r.row),
    nextCursor: rows.length > limit && last ? encodeKeysetCursor({ micros: last.micros, id: last.row.id }) : null,
  };
}
