// The write side of the outbox: an event becomes one delivery row per subscribed, active endpoint
// of its session, inside the caller's transaction, so an event is recorded with its deliveries or not at all.
import type { WebhookPayload } from '@wagate/contracts';
import { and, eq, sql } from 'drizzle-orm';
import { newId, schema, type Database, type Executor } from '../../db/index.js';

const { webhooks, webhookDeliveries } = schema;

export interface WebhookOutboxOptions {
  db: Database;
  /**
   * Called after rows were written (the caller's transaction may not have committed yet); the
   * dispatcher uses it to poll sooner instead of waiting out its interval.
   */
  onEnqueued?: () => void;
}

export interface WebhookOutbox {
  /** Writes the deliveries of `payload` in `tx`; returns how many rows were written (duplicates of an event id are skipped). */
  enqueue(tx: Executor, payload: WebhookPayload): Promise<number>;
}

export function createWebhookOutbox(options: WebhookOutboxOptions): WebhookOutbox {
  return {
    async enqueue(tx, payload) {
      const targets = await tx
        .select({ id: webhooks.id })
        .from(webhooks)
        .where(and(eq(webhooks.sessionId, payload.sessionId), eq(webhooks.isActive, true), sql`${payload.type} = any(${webhooks.events})`));
      if (targets.length === 0) return 0;
      const inserted = await tx
        .insert(webhookDeliveries)
        .values(
          targets.map((t) => ({
            id: newId('dlv'),
            webhookId: t.id,
            eventId: payload.id,
            eventType: payload.type,
            payload,
            status: 'PENDING' as const,
          })),
        )
        // The worker's outbox is at-least-once: a replayed event id adds nothing.
        .onConflictDoNothing({ target: [webhookDeliveries.webhookId, webhookDeliveries.eventId] })
        .returning({ id: webhookDeliveries.id });
      if (inserted.length > 0) options.onEnqueued?.();
      return inserted.length;
    },
  };
}
