// The system log: append-only lines, listed newest first with an opaque (createdAt, id) cursor.
import { and, desc, eq, gte } from 'drizzle-orm';
import type { SQL } from 'drizzle-orm';
import { createdMicros, keysetPage, olderThanCursor, ownedBy, schema } from '../../db/index.js';
import type { Database } from '../../db/index.js';

const { systemLogs } = schema;

export type SystemLogLevel = (typeof schema.logLevel.enumValues)[number];
export type SystemLog = schema.SystemLogRow;

export interface AppendSystemLogInput {
  level: SystemLogLevel;
  category: string;
  message: string;
  userId?: string | null | undefined;
  sessionId?: string | null | undefined;
  workerId?: string | null | undefined;
  metadata?: Record<string, unknown> | null | undefined;
}

export interface ListSystemLogsInput {
  /** Default 20, capped at 100. */
  limit?: number | undefined;
  cursor?: string | null | undefined;
  userId?: string | undefined;
  category?: string | undefined;
  level?: SystemLogLevel | undefined;
  sessionId?: string | undefined;
  workerId?: string | undefined;
  /** Only lines written at or after this moment. */
  since?: Date | undefined;
}

export interface SystemLogPage {
  data: SystemLog[];
  nextCursor: string | null;
}

export interface SystemLogsRepository {
  append(input: AppendSystemLogInput): Promise<SystemLog>;
  list(input?: ListSystemLogsInput): Promise<SystemLogPage>;
}

export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;


function clampLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.trunc(limit)));
}

export function createSystemLogsRepository(db: Database): SystemLogsRepository {
  const micros = createdMicros(systemLogs.createdAt);

  return {
    async append(input) {
      const [row] = await db
        .insert(systemLogs)
        .values({
          level: input.level,
          category: input.category,
          message: input.message,
          userId: input.userId ?? null,
          sessionId: input.sessionId ?? null,
          workerId: input.workerId ?? null,
          metadata: input.metadata ?? null,
        })
        .returning();
      return row!;
    },

    async list(input = {}) {
      const limit = clampLimit(input.limit);
      const where: SQL[] = [];
      // A user's own audit trail goes through the one tenant-scoping helper, like every owned query.
      if (input.userId !== undefined) where.push(ownedBy(systemLogs, input.userId));
      if (input.category !== undefined) where.push(eq(systemLogs.category, input.category));
      if (input.level !== undefined) where.push(eq(systemLogs.level, input.level));
      if (input.sessionId !== undefined) where.push(eq(systemLogs.sessionId, input.sessionId));
      if (input.workerId !== undefined) where.push(eq(systemLogs.workerId, input.workerId));
      if (input.since !== undefined) where.push(gte(systemLogs.createdAt, input.since));
      // `cursor`, not `query.cursor`: this repository also serves callers that are not HTTP routes.
      const older = olderThanCursor(systemLogs.createdAt, systemLogs.id, input.cursor, 'cursor');
      if (older) where.push(older);
      const rows = await db
        .select({ row: systemLogs, micros })
        .from(systemLogs)
        .where(where.length > 0 ? and(...where) : undefined)
        .orderBy(desc(systemLogs.createdAt), desc(systemLogs.id))
        .limit(limit + 1);
      return keysetPage(rows, limit);
    },
  };
}
