// The ingest's SQL: a batch of up to 500 events costs three statements, whatever its spread (four
// when it carries late events from a worker the session has left).
import { and, asc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { SessionStatus } from '@wagate/contracts';
import { schema } from '../../db/index.js';
import type { Executor } from '../../db/index.js';

const { sessions, processedEvents, sessionPlacements } = schema;

export interface FencedSession {
  id: string;
  userId: string;
  workerId: string | null;
  epoch: number;
  status: SessionStatus;
  phoneNumber: string | null;
}

/** What a batch changes on one session row; absent fields are left as they are. */
export interface SessionChange {
  sessionId: string;
  status?: SessionStatus;
  /** `null` clears the number (logged out); `undefined` keeps it. */
  phoneNumber?: string | null;
  lastActivityAt?: Date;
}

export interface EventsRepository {
  /**
   * Reads the sessions' routing under a row lock, held until the transaction ends: a concurrent
   * move (which bumps the epoch) waits for this batch, or this batch sees the new epoch.
   */
  lockSessions(tx: Executor, ids: string[]): Promise<FencedSession[]>;
  /** Records event ids; answers the ones not seen before (the rest are duplicates). */
  markProcessed(tx: Executor, events: { id: string; sessionId: string }[]): Promise<Set<string>>;
  applyChanges(tx: Executor, changes: SessionChange[]): Promise<void>;
  /**
   * Of the given (session, epoch) pairs, the ones `workerId` held according to the placement
   * history, as `placementKey(sessionId, epoch)` strings; one query for the whole batch.
   */
  heldPlacements(tx: Executor, workerId: string, pairs: { sessionId: string; epoch: number }[]): Promise<Set<string>>;
  /**
   * Forgets what the ingest remembers for dedupe and late events once it is older than `before`:
   * processed event ids, and placements other than each session's current one. An event
   * delivered after that (a worker journal older than the retention) may be processed twice, or
   * refused as stale.
   */
  prune(db: Executor, before: Date): Promise<{ processedEvents: number; placements: number }>;
}

/** How long processed event ids and past placements are kept (see `EventsRepository.prune`). */
export const INGEST_MEMORY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** The key `heldPlacements` answers for one (session, epoch) pair. */
export function placementKey(sessionId: string, epoch: number): string {
  return `${sessionId}@${epoch}`;
}

export function createEventsRepository(): EventsRepository {
  return {
    async lockSessions(tx, ids) {
      if (ids.length === 0) return [];
      // Locks taken in id order, so two batches over the same sessions cannot deadlock.
      return tx
        .select({ id: sessions.id, userId: sessions.userId, workerId: sessions.workerId, epoch: sessions.epoch, status: sessions.status, phoneNumber: sessions.phoneNumber })
        .from(sessions)
        .where(inArray(sessions.id, ids))
        .orderBy(asc(sessions.id))
        .for('update');
    },

    async markProcessed(tx, events) {
      if (events.length === 0) return new Set();
      const rows = await tx
        .insert(processedEvents)
        .values(events.map((e) => ({ eventId: e.id, sessionId: e.sessionId })))
        .onConflictDoNothing()
        .returning({ eventId: processedEvents.eventId });
      return new Set(rows.map((r) => r.eventId));
    },

    async applyChanges(tx, changes) {
      if (changes.length === 0) return;
      // One UPDATE … FROM (VALUES …) for every touched session instead of one statement each.
      const values = sql.join(
        changes.map(
          (c) =>
            sql`(${c.sessionId}::text, ${c.status ?? null}::session_status, ${c.phoneNumber !== undefined}::boolean, ${c.phoneNumber ?? null}::text, ${c.lastActivityAt?.toISOString() ?? null}::timestamptz)`,
        ),
        sql`, `,
      );
      await tx.execute(sql`
        update ${sessions} as s set
          status = coalesce(v.status, s.status),
          phone_number = case when v.set_phone then v.phone else s.phone_number end,
          last_activity_at = greatest(s.last_activity_at, v.activity),
          updated_at = now()
        from (values ${values}) as v(id, status, set_phone, phone, activity)
        where s.id = v.id`);
    },

    async heldPlacements(tx, workerId, pairs) {
      const unique = [...new Map(pairs.map((p) => [placementKey(p.sessionId, p.epoch), p])).values()];
      if (unique.length === 0) return new Set();
      const wanted = sql.join(
        unique.map((p) => sql`(${p.sessionId}::text, ${p.epoch}::integer)`),
        sql`, `,
      );
      // The primary key (session_id, epoch) answers each pair with one index probe.
      const rows = await tx
        .select({ sessionId: sessionPlacements.sessionId, epoch: sessionPlacements.epoch })
        .from(sessionPlacements)
        .where(and(eq(sessionPlacements.workerId, workerId), sql`(${sessionPlacements.sessionId}, ${sessionPlacements.epoch}) in (${wanted})`));
      return new Set(rows.map((r) => placementKey(r.sessionId, r.epoch)));
    },

    async prune(db, before) {
      const processed = await db.delete(processedEvents).where(lt(processedEvents.processedAt, before)).returning({ id: processedEvents.eventId });
      const placements = await db
        .delete(sessionPlacements)
        .where(
          and(
            lt(sessionPlacements.placedAt, before),
            // The current placement stays whatever its age: the session's worker sends under it.
            sql`not exists (select 1 from ${sessions} s where s.id = ${sessionPlacements.sessionId} and s.epoch = ${sessionPlacements.epoch})`,
          ),
        )
        .returning({ id: sessionPlacements.sessionId });
      return { processedEvents: processed.length, placements: placements.length };
    },
  };
}
