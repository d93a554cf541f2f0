import { z } from 'zod';
import { EVENT_TYPES, eventType } from '../events.js';
import { httpUrl, id, isoDateTime, listOf } from './common.js';

/** Subscriptions: a non-empty set of event types (duplicates refused, so the stored set is the sent one). */
export const webhookEvents = z
  .array(eventType)
  .min(1)
  .max(EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, 'events must not repeat');

/** Standard Webhooks secret: `whsec_` + base64 of 24–64 random bytes. */
export const WEBHOOK_SECRET_REGEX = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;
export const webhookSecret = z.string().regex(WEBHOOK_SECRET_REGEX, 'must be whsec_ followed by base64 of 24–64 bytes');

export const createWebhookBody = z.strictObject({
  url: httpUrl,
  events: webhookEvents,
  /** Bring your own secret (e.g. when migrating); otherwise one is generated and shown once. */
  secret: webhookSecret.optional(),
  active: z.boolean().default(true),
});
export type CreateWebhookBody = z.infer<typeof createWebhookBody>;

export const updateWebhookBody = z
  .strictObject({ url: httpUrl.optional(), events: webhookEvents.optional(), active: z.boolean().optional() })
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'give at least one of url, events, active');
export type UpdateWebhookBody = z.infer<typeof updateWebhookBody>;

/** An endpoint as listed: the secret is never shown again after creation. */
export const webhook = z.object({
  id,
  sessionId: id,
  url: z.string(),
  events: z.array(eventType),
  active: z.boolean(),
  /** Why the dispatcher turned the endpoint off after sustained failure, if it did. */
  disabledReason: z.string().nullable().optional(),
  /** Consecutive failed attempts since the last success (auto-disable watches it). */
  failureCount: z.int().min(0).optional(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});
export type Webhook = z.infer<typeof webhook>;

export const webhookCreated = webhook.extend({ secret: z.string() });
export type WebhookCreated = z.infer<typeof webhookCreated>;

export const webhookCreatedResponse = z.object({ webhook: webhookCreated });
export type WebhookCreatedResponse = z.infer<typeof webhookCreatedResponse>;
export const webhookResponse = z.object({ webhook });
export type WebhookResponse = z.infer<typeof webhookResponse>;
export const webhookList = listOf(webhook);
export type WebhookList = z.infer<typeof webhookList>;

export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
export const webhookDeliveryStatus = z.enum(WEBHOOK_DELIVERY_STATUSES);
export type WebhookDeliveryStatus = z.infer<typeof webhookDeliveryStatus>;

/** One row of the outbox. `FAILED` means retries are exhausted; `nextRetry` is null once settled. */
export const webhookDelivery = z.object({
  id,
  eventId: z.string().optional(),
  event: eventType,
  status: webhookDeliveryStatus,
  attempts: z.int().min(0),
  responseCode: z.int().nullable(),
  nextRetry: isoDateTime.nullable(),
  createdAt: isoDateTime,
  /** The last attempt's error (status line and the start of the body, or the network error). */
  lastError: z.string().nullable().optional(),
  deliveredAt: isoDateTime.nullable().optional(),
});
export type WebhookDelivery = z.infer<typeof webhookDelivery>;
/** 202 of "redeliver" and "send test event": the delivery now queued. */
export const webhookDeliveryResponse = z.object({ delivery: webhookDelivery });
export type WebhookDeliveryResponse = z.infer<typeof webhookDeliveryResponse>;
export const webhookDeliveryList = listOf(webhookDelivery);
export type WebhookDeliveryList = z.infer<typeof webhookDeliveryList>;

export const webhookParams = z.object({ id, webhookId: id });
export type WebhookParams = z.infer<typeof webhookParams>;
export const webhookDeliveryParams = z.object({ id, webhookId: id, deliveryId: id });
export type WebhookDeliveryParams = z.infer<typeof webhookDeliveryParams>;
