import type { WebhookPayload } from '@wagate/contracts';
import type { Executor } from '../../db/index.js';

/**
 * The webhooks module's outbox (owner: webhooks). `enqueue` writes one delivery row per active
 * endpoint subscribed to the payload's type, inside the caller's transaction, so an event is
 * recorded and queued for customers together or not at all. `enqueueMany`, when offered, does a
 * whole batch in one statement.
 */
export interface WebhookOutbox {
  enqueue(tx: Executor, payload: WebhookPayload): Promise<number>;
  enqueueMany?(tx: Executor, payloads: WebhookPayload[]): Promise<number>;
}

/** Identity's buffered usage counter. */
export interface UsageRecorder {
  record(input: { userId: string; sessionId?: string; apiKeyId?: string; metric: string; count?: number }): void;
}
