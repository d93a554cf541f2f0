// Endpoint management for a session's owner: CRUD, secret rotation, the delivery log,
// manual redelivery and test events. Throws AppErrors only; routes map nothing themselves.
import {
  ConflictError,
  NotFoundError,
  ValidationError,
  newEventId,
  type CreateWebhookBody,
  type EventType,
  type ListQuery,
  type UpdateWebhookBody,
  type Webhook,
  type WebhookCreated,
  type WebhookDelivery,
  type WebhookPayload,
} from '@wagate/contracts';
import { newId, type Database } from '../../db/index.js';
import type { SecretBox } from './secret-box.js';
import { checkWebhookUrl, type SsrfPolicy } from './ssrf-guard.js';
import { generateWebhookSecret } from './webhook-signature.js';
import { createWebhooksRepository, type WebhookDeliveryRow, type WebhookRow } from './webhooks.repository.js';

/** The caller, as the user principal gives it. */
export interface Actor {
  userId: string;
  role: 'USER' | 'ADMIN';
}

/** After a rotation the old secret keeps signing (alongside the new one) this long. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 60 * 60 * 1000;
/** Endpoints per session: each one multiplies every event into another delivery row. */
export const MAX_WEBHOOKS_PER_SESSION = 10;

export interface WebhooksServiceOptions {
  db: Database;
  secretBox: SecretBox;
  ssrf: SsrfPolicy;
  /** A delivery was queued (test event, redelivery): poll soon. */
  onEnqueued?: () => void;
}

export function webhookView(row: WebhookRow): Webhook {
  return {
    id: row.id,
    sessionId: row.sessionId,
    url: row.url,
    events: row.events as EventType[],
    active: row.isActive,
    disabledReason: row.disabledReason,
    failureCount: row.failureCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The outbox's five states folded into the API's three. */
export function deliveryView(row: WebhookDeliveryRow): WebhookDelivery {
  const status = row.status === 'DELIVERED' ? 'SUCCEEDED' : row.status === 'FAILED' || row.status === 'DISABLED' ? 'FAILED' : 'PENDING';
  return {
    id: row.id,
    eventId: row.eventId,
    event: row.eventType as EventType,
    status,
    attempts: row.attempts,
    responseCode: row.lastResponseCode,
    // A row in flight has no next retry yet; its next_attempt_at is only the lease end.
    nextRetry: row.status === 'PENDING' ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    lastError: row.lastError,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}

export function createWebhooksService(options: WebhooksServiceOptions) {
  const { db, secretBox } = options;
  const repo = createWebhooksRepository(db);

  async function ownedSession(actor: Actor, sessionId: string) {
    const session = await repo.findSession(sessionId, actor.userId, actor.role === 'ADMIN');
    if (!session) throw new NotFoundError('Session');
    return session;
  }

  async function ownedWebhook(actor: Actor, sessionId: string, webhookId: string) {
    const session = await ownedSession(actor, sessionId);
    const webhook = await repo.findInSession(session.id, webhookId);
    if (!webhook) throw new NotFoundError('Webhook');
    return { session, webhook };
  }

  async function assertUrlAllowed(url: string): Promise<void> {
    const problem = await checkWebhookUrl(url, options.ssrf);
    if (problem) throw new ValidationError([{ path: 'body.url', message: `The URL ${problem}.` }]);
  }

  function sealSecret(webhookId: string, secret: string): string {
    return secretBox.seal(secret, webhookId);
  }

  return {
    async list(actor: Actor, sessionId: string, query: ListQuery) {
      const session = await ownedSession(actor, sessionId);
      const page = await repo.listInSession(session.id, query.limit, query.cursor);
      return { data: page.data.map(webhookView), nextCursor: page.nextCursor };
    },

    async get(actor: Actor, sessionId: string, webhookId: string): Promise<Webhook> {
      return webhookView((await ownedWebhook(actor, sessionId, webhookId)).webhook);
    },

    async create(actor: Actor, sessionId: string, body: CreateWebhookBody): Promise<WebhookCreated> {
      const session = await ownedSession(actor, sessionId);
      await assertUrlAllowed(body.url);
      const existing = await repo.listInSession(session.id, MAX_WEBHOOKS_PER_SESSION, undefined);
      if (existing.data.length >= MAX_WEBHOOKS_PER_SESSION) throw new ConflictError(`A session has at most ${MAX_WEBHOOKS_PER_SESSION} webhooks.`);
      const id = newId('whk');
      const secret = body.secret ?? generateWebhookSecret();
      const row = await repo.insert({
        id,
        sessionId: session.id,
        userId: session.userId,
        url: body.url,
        events: body.events,
        secretCiphertext: sealSecret(id, secret),
        isActive: body.active,
      });
      return { ...webhookView(row), secret };
    },

    async update(actor: Actor, sessionId: string, webhookId: string, body: UpdateWebhookBody): Promise<Webhook> {
      const { webhook } = await ownedWebhook(actor, sessionId, webhookId);
      if (body.url !== undefined) await assertUrlAllowed(body.url);
      const reenabled = body.active === true && !webhook.isActive;
      const row = await db.transaction(async (tx) => {
        const txRepo = createWebhooksRepository(tx);
        const updated = await txRepo.update(webhook.id, {
          ...(body.url !== undefined ? { url: body.url } : {}),
          ...(body.events !== undefined ? { events: body.events } : {}),
          ...(body.active !== undefined ? { isActive: body.active } : {}),
          // Turning an endpoint back on starts its failure count afresh.
          ...(reenabled ? { disabledReason: null, failureCount: 0, failingSince: null } : {}),
        });
        if (body.active === false) await txRepo.settlePendingAsDisabled(webhook.id);
        return updated;
      });
      if (!row) throw new NotFoundError('Webhook');
      return webhookView(row);
    },

    async remove(actor: Actor, sessionId: string, webhookId: string): Promise<void> {
      const { webhook } = await ownedWebhook(actor, sessionId, webhookId);
      await repo.delete(webhook.id);
    },

    /** A new secret, shown once; the old one keeps signing for 24 h so receivers can switch over. */
    async rotateSecret(actor: Actor, sessionId: string, webhookId: string): Promise<WebhookCreated & { previousSecretExpiresAt: string }> {
      const { webhook } = await ownedWebhook(actor, sessionId, webhookId);
      const secret = generateWebhookSecret();
      const previousSecretExpiresAt = new Date(Date.now() + PREVIOUS_SECRET_GRACE_MS);
      const row = await repo.update(webhook.id, {
        secretCiphertext: sealSecret(webhook.id, secret),
        previousSecretCiphertext: webhook.secretCiphertext,
        previousSecretExpiresAt,
      });
      if (!row) throw new NotFoundError('Webhook');
      return { ...webhookView(row), secret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() };
    },

    async listDeliveries(actor: Actor, sessionId: string, webhookId: string, query: ListQuery) {
      const { webhook } = await ownedWebhook(actor, sessionId, webhookId);
      const page = await repo.listDeliveries(webhook.id, query.limit, query.cursor);
      return { data: page.data.map(deliveryView), nextCursor: page.nextCursor };
    },

    /** The same delivery (same event id, hence the same `webhook-id`) due again now. */
    async redeliver(actor: Actor, sessionId: string, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
      const { webhook } = await ownedWebhook(actor, sessionId, webhookId);
      const delivery = await repo.findDelivery(webhook.id, deliveryId);
      if (!delivery) throw new NotFoundError('Delivery');
      if (!webhook.isActive) throw new ConflictError('The webhook is disabled; enable it before redelivering.');
      const row = await repo.requeueDelivery(delivery.id);
      if (!row) throw new ConflictError('The delivery is being attempted right now.');
      options.onEnqueued?.();
      return deliveryView(row);
    },

    /** A `session.status` event carrying the session's current status, sent to this endpoint only. */
    async sendTest(actor: Actor, sessionId: string, webhookId: string): Promise<WebhookDelivery> {
      const { session, webhook } = await ownedWebhook(actor, sessionId, webhookId);
      if (!webhook.isActive) throw new ConflictError('The webhook is disabled; enable it before sending a test event.');
      const payload: WebhookPayload = {
        id: newEventId(),
        type: 'session.status',
        createdAt: new Date().toISOString(),
        sessionId: session.id,
        data: { status: session.status, reason: 'Test event sent from the WAGate API', phoneNumber: session.phoneNumber },
      };
      const row = await repo.insertDelivery({ id: newId('dlv'), webhookId: webhook.id, eventId: payload.id, eventType: payload.type, payload, status: 'PENDING' });
      if (!row) throw new ConflictError('Could not queue the test event; try again.');
      options.onEnqueued?.();
      return deliveryView(row);
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
