// The worker registry (table `workers`), the routing columns of `sessions` (worker_id, epoch) and
// their history (`session_placements`: who held each epoch).
// Admin reads are not tenant-scoped: workers belong to the platform, not to a user.
import { ValidationError, type WorkerStatus } from '@wagate/contracts';
import { and, asc, eq, gt, inArray, isNotNull, lt, or, isNull, sql } from 'drizzle-orm';
import { schema } from '../../db/index.js';
import type { Database, Executor } from '../../db/index.js';

const { workers, sessions, sessionPlacements } = schema;

export type WorkerRow = schema.WorkerRow;

export interface WorkerMetrics {
  sessionCount: number;
  maxSessions: number;
  cpuUsage: number;
  memoryUsage: number;
}

export interface WorkerPage {
  data: WorkerRow[];
  nextCursor: string | null;
}

/** A session's routing row: where it is assigned and at which epoch. */
export interface RoutingRow {
  sessionId: string;
  workerId: string | null;
  epoch: number;
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

function decodeCursor(raw: string): string {
  const id = Buffer.from(raw, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(id)) throw new ValidationError([{ path: 'query.cursor', message: 'Invalid cursor.' }]);
  return id;
}

export function createWorkersRepository(db: Database) {
  return {
    /** Every worker, by id, with an opaque cursor. */
    async list(input: { limit: number; cursor?: string | undefined }): Promise<WorkerPage> {
      const after = input.cursor === undefined ? undefined : gt(workers.id, decodeCursor(input.cursor));
      const rows = await db.select().from(workers).where(after).orderBy(asc(workers.id)).limit(input.limit + 1);
      const data = rows.slice(0, input.limit);
      const last = data.at(-1);
      return { data, nextCursor: rows.length > input.limit && last ? encodeCursor(last.id) : null };
    },

    async findById(id: string, tx: Executor = db): Promise<WorkerRow | null> {
      const [row] = await tx.select().from(workers).where(eq(workers.id, id)).limit(1);
      return row ?? null;
    },

    async findByEndpoint(endpoint: string, tx: Executor = db): Promise<WorkerRow | null> {
      const [row] = await tx.select().from(workers).where(eq(workers.endpoint, endpoint)).limit(1);
      return row ?? null;
    },

    /** The worker id that holds this token digest, for the worker authenticator. */
    async idByTokenHash(tokenHash: string): Promise<string | null> {
      const [row] = await db.select({ id: workers.id }).from(workers).where(eq(workers.tokenHash, tokenHash)).limit(1);
      return row?.id ?? null;
    },

    async insert(tx: Executor, row: schema.NewWorkerRow): Promise<WorkerRow> {
      const [inserted] = await tx.insert(workers).values(row).returning();
      return inserted!;
    },

    async update(tx: Executor, id: string, change: Partial<Omit<schema.NewWorkerRow, 'id' | 'createdAt'>>): Promise<WorkerRow | null> {
      const [row] = await tx.update(workers).set({ ...change, updatedAt: new Date() }).where(eq(workers.id, id)).returning();
      return row ?? null;
    },

    async delete(id: string, tx: Executor = db): Promise<WorkerRow | null> {
      const [row] = await tx.delete(workers).where(eq(workers.id, id)).returning();
      return row ?? null;
    },

    /**
     * Records a heartbeat. A DRAINING worker stays DRAINING; an OFFLINE one comes back ONLINE
     * (its sessions were fenced by epoch when they moved, so it cannot resurrect them).
     */
    async heartbeat(id: string, metrics: WorkerMetrics, at: Date): Promise<WorkerRow | null> {
      const [row] = await db
        .update(workers)
        .set({
          ...metrics,
          lastHeartbeat: at,
          status: sql`case when ${workers.status} = 'DRAINING' then 'DRAINING'::worker_status else 'ONLINE'::worker_status end`,
          updatedAt: at,
        })
        .where(eq(workers.id, id))
        .returning();
      return row ?? null;
    },

    /** Self-registered live workers whose last heartbeat is older than `before` (OFFLINE candidates). */
    async silentSelfWorkers(before: Date): Promise<WorkerRow[]> {
      return db
        .select()
        .from(workers)
        .where(
          and(
            inArray(workers.status, ['ONLINE', 'DRAINING']),
            eq(workers.source, 'self'),
            or(lt(workers.lastHeartbeat, before), and(isNull(workers.lastHeartbeat), lt(workers.createdAt, before))),
          ),
        );
    },

    /** OFFLINE only if still silent since `before` (a heartbeat that arrived meanwhile wins). */
    async markOfflineIfSilent(id: string, before: Date): Promise<WorkerRow | null> {
      const [row] = await db
        .update(workers)
        .set({ status: 'OFFLINE', updatedAt: new Date() })
        .where(
          and(
            eq(workers.id, id),
            inArray(workers.status, ['ONLINE', 'DRAINING']),
            or(lt(workers.lastHeartbeat, before), and(isNull(workers.lastHeartbeat), lt(workers.createdAt, before))),
          ),
        )
        .returning();
      return row ?? null;
    },

    /**
     * Hand-registered and discovered (k8s) workers need not heartbeat; the monitor health-checks
     * those not heard from since `before`.
     */
    async manualDueForCheck(before: Date): Promise<WorkerRow[]> {
      return db
        .select()
        .from(workers)
        .where(and(inArray(workers.source, ['manual', 'k8s']), or(isNull(workers.lastHeartbeat), lt(workers.lastHeartbeat, before))));
    },

    async setStatus(id: string, status: WorkerStatus, tx: Executor = db): Promise<WorkerRow | null> {
      const [row] = await tx.update(workers).set({ status, updatedAt: new Date() }).where(eq(workers.id, id)).returning();
      return row ?? null;
    },

    // Routing ---------------------------------------------------------------------------------

    async routingOf(sessionIds: string[]): Promise<RoutingRow[]> {
      if (sessionIds.length === 0) return [];
      return db
        .select({ sessionId: sessions.id, workerId: sessions.workerId, epoch: sessions.epoch })
        .from(sessions)
        .where(inArray(sessions.id, sessionIds));
    },

    /** The session's routing row, locked until the transaction ends (placements of one session serialise). */
    async lockRouting(tx: Executor, sessionId: string): Promise<RoutingRow | null> {
      const [row] = await tx
        .select({ sessionId: sessions.id, workerId: sessions.workerId, epoch: sessions.epoch })
        .from(sessions)
        .where(eq(sessions.id, sessionId))
        .for('update');
      return row ?? null;
    },

    /** Live workers, locked: concurrent placements on every replica see each other's counts. */
    async lockOnline(tx: Executor): Promise<WorkerRow[]> {
      return tx.select().from(workers).where(eq(workers.status, 'ONLINE')).orderBy(asc(workers.id)).for('update');
    },

    /**
     * Assigns and bumps the epoch in one UPDATE, and records who holds the new epoch in the
     * placement history (same transaction), which lets the ingest accept that worker's late data
     * events of this epoch after the session moves on. Answers the new epoch. The only place an
     * epoch is bumped.
     */
    async assign(tx: Executor, sessionId: string, workerId: string): Promise<number> {
      const [row] = await tx
        .update(sessions)
        .set({ workerId, epoch: sql`${sessions.epoch} + 1`, updatedAt: new Date() })
        .where(eq(sessions.id, sessionId))
        .returning({ epoch: sessions.epoch });
      const epoch = row!.epoch;
      // A plain insert: an epoch recorded twice would mean fencing itself is broken, which must fail loudly.
      await tx.insert(sessionPlacements).values({ sessionId, epoch, workerId });
      return epoch;
    },

    async countPlacement(tx: Executor, workerId: string): Promise<void> {
      await tx.update(workers).set({ sessionCount: sql`${workers.sessionCount} + 1` }).where(eq(workers.id, workerId));
    },

    async unassign(sessionId: string): Promise<boolean> {
      const rows = await db
        .update(sessions)
        .set({ workerId: null, updatedAt: new Date() })
        .where(and(eq(sessions.id, sessionId), isNotNull(sessions.workerId)))
        .returning({ id: sessions.id });
      return rows.length > 0;
    },

    async sessionIdsOn(workerId: string): Promise<string[]> {
      const rows = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.workerId, workerId));
      return rows.map((r) => r.id);
    },
  };
}

export type WorkersRepository = ReturnType<typeof createWorkersRepository>;
