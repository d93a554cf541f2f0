// Worker → gateway events: fenced by epoch, deduplicated by id, applied to the session card,
// queued for customer webhooks in the same transaction, then published to live subscribers.
//
// Fencing has one exception, for data. A worker killed -9 restarts (same id, same disk) after its
// sessions moved on, and replays its journal: messages it really received from WhatsApp, and
// already acknowledged there, under an epoch it really held. Refusing those loses them for good.
// So a *data* event (message.*) that fencing refuses (NOT_ASSIGNED, STALE_EPOCH) is accepted as
// a late event when the placement history (session_placements) says this very worker held the
// session at exactly that epoch: recorded, deduped, queued for webhooks and counted like any
// other, but never folded into the card's status or phone (the current holder owns those; only
// last_activity_at may move, and only forward). The worker is still told to drop the session.
// Lifecycle events (session.*) of an old epoch stay refused: they describe a socket that is gone.
import { toWebhookPayload, type EventBatchResponse, type EventEnvelope, type EventType } from '@wagate/contracts';
import type { Coordinator } from '@wagate/storage';
import type { Database } from '../../db/index.js';
import { isLiveSessionPayload, pairingCodeKey, publishLive, type AuditLog, type LiveSessionPayload, type ModuleLogger } from '../sessions/index.js';
import { placementKey, type EventsRepository, type FencedSession, type SessionChange } from './events.repository.js';
import type { UsageRecorder, WebhookOutbox } from './events.ports.js';

export interface EventsIngestDeps {
  db: Database;
  repository: EventsRepository;
  coordinator: Coordinator;
  logger: ModuleLogger;
  webhookOutbox?: WebhookOutbox | undefined;
  usage?: UsageRecorder | undefined;
  audit?: AuditLog | undefined;
}

export interface EventsIngest {
  /** `workerId` is the authenticated worker; every event must come from it. */
  ingest(workerId: string, events: EventEnvelope[]): Promise<EventBatchResponse>;
  /** Also hands every newly committed event and the time it was committed to `listener` (ingest-lag metrics). */
  observe?(listener: (event: EventEnvelope, ingestedAt: number) => void): void;
}

type Rejection = EventBatchResponse['rejected'][number];

/** Why fencing refuses an event, and the epoch the worker must be below to drop its session. */
interface Refusal {
  code: Rejection['code'];
  detail: string;
  dropBelow: number;
}

/** What a session's worker journals about messages: true either way, whoever holds the session now. */
const DATA_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['message.received', 'message.sent', 'message.status', 'message.failed']);

/** Fencing against the locked routing row; null when the event belongs to the current placement. */
function refusalOf(event: EventEnvelope, row: FencedSession | undefined): Refusal | null {
  if (!row) {
    // Nobody holds a deleted session: one past the worker's epoch makes it stop.
    return { code: 'UNKNOWN_SESSION', detail: 'The session does not exist (deleted?).', dropBelow: event.epoch + 1 };
  }
  if (row.workerId !== event.workerId && !(row.workerId === null && event.epoch === row.epoch)) {
    // (A released session — logout — still takes the last events of its final epoch, e.g.
    // LOGGED_OUT itself: nobody else can hold that epoch, and customers want that webhook.)
    return { code: 'NOT_ASSIGNED', detail: 'The session is not assigned to this worker.', dropBelow: Math.max(row.epoch, event.epoch + 1) };
  }
  if (event.epoch < row.epoch) {
    return { code: 'STALE_EPOCH', detail: `Epoch ${event.epoch} is older than the current ${row.epoch}.`, dropBelow: row.epoch };
  }
  return null;
}

/** A refused event the placement history may still vouch for (see the top of this file). */
function mayBeLate(event: EventEnvelope, refusal: Refusal, row: FencedSession | undefined): boolean {
  // No history row can exist for an epoch past the current one, so those need no lookup.
  return refusal.code !== 'UNKNOWN_SESSION' && DATA_EVENT_TYPES.has(event.type) && row !== undefined && event.epoch <= row.epoch;
}

/**
 * Usage metrics of one event (identity's names). Only received messages: sends are counted by the
 * messages module when the API accepts them, and counting their `message.sent` echo here again
 * would bill every API send twice.
 */
function metricsOf(event: EventEnvelope): string[] {
  if (event.type === 'message.received') return ['messages.received'];
  return [];
}

export function createEventsIngest(deps: EventsIngestDeps): EventsIngest {
  const { db, repository: repo, coordinator, logger } = deps;
  const listeners: ((event: EventEnvelope, ingestedAt: number) => void)[] = [];

  /** Folds one accepted event into its session's pending change; later events in the batch win. */
  function fold(change: SessionChange, event: EventEnvelope): void {
    if (event.type === 'session.status') {
      change.status = event.data.status;
      if (event.data.status === 'LOGGED_OUT') change.phoneNumber = null;
      else if (event.data.phoneNumber) change.phoneNumber = event.data.phoneNumber;
    } else if (event.type === 'session.qr' || event.type === 'session.pairing_code') {
      // Nothing on the card: the worker reports QR_READY as a session.status of its own.
      return;
    } else {
      foldActivity(change, event);
    }
  }

  function foldActivity(change: SessionChange, event: EventEnvelope): void {
    const at = new Date(event.createdAt);
    if (change.lastActivityAt === undefined || at > change.lastActivityAt) change.lastActivityAt = at;
  }

  return {
    async ingest(workerId, events) {
      // Delivery is at-least-once: one id twice in a batch is one event.
      const unique = [...new Map(events.map((e) => [e.id, e])).values()];
      const sessionIds = [...new Set(unique.map((e) => e.sessionId))].sort();

      const rejected: Rejection[] = [];
      /** Per session, the epoch the worker must be below to drop it (the worker drops when its own is lower). */
      const drop = new Map<string, number>();
      const acknowledged: string[] = [];
      let fresh: EventEnvelope[] = [];
      let fenced = new Map<string, FencedSession>();
      /** Ids accepted as late events (see the top of this file). */
      const late = new Set<string>();

      await db.transaction(async (tx) => {
        fenced = new Map((await repo.lockSessions(tx, sessionIds)).map((s) => [s.id, s]));
        const refusals = new Map<string, Refusal>();
        const candidates = new Set<EventEnvelope>();
        for (const event of unique) {
          const row = fenced.get(event.sessionId);
          const refusal = refusalOf(event, row);
          if (refusal === null) continue;
          refusals.set(event.id, refusal);
          // Accepted late or not, the worker must stop whatever socket it may still have.
          drop.set(event.sessionId, Math.max(drop.get(event.sessionId) ?? 0, refusal.dropBelow));
          if (mayBeLate(event, refusal, row)) candidates.add(event);
        }
        // One query for the whole batch, under the session locks: a concurrent move waits for us.
        const held = candidates.size === 0 ? new Set<string>() : await repo.heldPlacements(tx, workerId, [...candidates]);
        const accepted: EventEnvelope[] = [];
        for (const event of unique) {
          const refusal = refusals.get(event.id);
          if (refusal === undefined) accepted.push(event);
          else if (candidates.has(event) && held.has(placementKey(event.sessionId, event.epoch))) {
            late.add(event.id);
            accepted.push(event);
          } else rejected.push({ id: event.id, code: refusal.code, detail: refusal.detail });
        }
        if (accepted.length === 0) return;

        const isNew = await repo.markProcessed(tx, accepted);
        fresh = accepted.filter((e) => isNew.has(e.id));
        acknowledged.push(...accepted.map((e) => e.id));

        const changes = new Map<string, SessionChange>();
        for (const event of fresh) {
          const change = changes.get(event.sessionId) ?? { sessionId: event.sessionId };
          // A late event never speaks for the card's status or phone; its activity time may only
          // push last_activity_at forward (applyChanges keeps the greater of the two).
          if (late.has(event.id)) foldActivity(change, event);
          else fold(change, event);
          changes.set(event.sessionId, change);
        }
        await repo.applyChanges(tx, [...changes.values()].filter((c) => c.status !== undefined || c.phoneNumber !== undefined || c.lastActivityAt !== undefined));

        const outbox = deps.webhookOutbox;
        if (outbox && fresh.length > 0) {
          const payloads = fresh.map(toWebhookPayload);
          if (outbox.enqueueMany) await outbox.enqueueMany(tx, payloads);
          else for (const payload of payloads) await outbox.enqueue(tx, payload);
        }
      });

      // Committed: now the side effects that must not run for a rolled-back batch.
      const committedAt = Date.now();
      if (late.size > 0) logger.info({ workerId, count: late.size }, 'Accepted late data events from an epoch the worker held before its sessions moved');
      for (const listener of listeners) for (const event of fresh) listener(event, committedAt);
      await afterCommit(fresh, fenced, workerId);
      return {
        acknowledged,
        rejected,
        dropSessions: [...drop].map(([sessionId, epoch]) => ({ sessionId, epoch })),
      };
    },
    observe(listener) {
      listeners.push(listener);
    },
  };

  async function afterCommit(fresh: EventEnvelope[], fenced: Map<string, FencedSession>, workerId: string): Promise<void> {
    const live: LiveSessionPayload[] = [];
    for (const event of fresh) {
      const owner = fenced.get(event.sessionId)?.userId;
      if (owner !== undefined && deps.usage) {
        for (const metric of metricsOf(event)) deps.usage.record({ userId: owner, sessionId: event.sessionId, metric });
      }
      const payload = toWebhookPayload(event);
      if (isLiveSessionPayload(payload)) live.push(payload);
      if (event.type === 'session.pairing_code') {
        // The worker's session view has the code but not its expiry; GET …/pairing-code reads it here.
        const ttl = new Date(event.data.expiresAt).getTime() - Date.now();
        if (ttl > 0) {
          await coordinator
            .set(pairingCodeKey(event.sessionId), JSON.stringify(event.data), ttl)
            .catch((error: unknown) => logger.warn({ err: error, sessionId: event.sessionId }, 'Remembering the pairing code failed'));
        }
      }
    }
    // In batch order, so a subscriber's last frame is the session's latest state.
    for (const payload of live) {
      await publishLive(coordinator, payload, (error) => logger.warn({ err: error, sessionId: payload.sessionId }, 'Publishing a live session change failed'));
    }
    if (deps.audit) {
      for (const event of fresh) {
        if (event.type !== 'session.status') continue;
        const owner = fenced.get(event.sessionId)?.userId ?? null;
        const level = event.data.status === 'FAILED' ? 'warn' : 'info';
        await deps.audit
          .append({
            level,
            category: 'session',
            message: `Session ${event.data.status}`,
            userId: owner,
            sessionId: event.sessionId,
            workerId,
            metadata: { eventId: event.id, previousStatus: event.data.previousStatus ?? null, reason: event.data.reason ?? null, statusCode: event.data.statusCode ?? null },
          })
          .catch((error: unknown) => logger.error({ err: error, sessionId: event.sessionId }, 'Writing the session audit line failed'));
      }
    }
  }
}
