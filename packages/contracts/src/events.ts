import { z } from 'zod';
import { epoch, id, isoDateTime, LIMITS, messageStatus, sessionStatus } from './api/common.js';
import { message } from './api/messages.js';

/**
 * Events: what a worker reports to the gateway (the envelope, fenced by `epoch`) and what the
 * gateway forwards to customer webhooks (the payload, without worker internals). Both are
 * discriminated on `type`, so a `type` whose `data` does not match is rejected.
 *
 * Objects here strip unknown keys instead of rejecting them: during a rolling deploy a newer
 * worker may report fields an older gateway does not know yet, and losing those beats losing the event.
 */

export const EVENT_TYPES = [
  'session.status',
  'session.qr',
  'session.pairing_code',
  'message.received',
  'message.sent',
  'message.status',
  'message.failed',
] as const;
export const eventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof eventType>;

/** `evt_` plus 8–64 url-safe characters; the gateway dedupes on it (delivery is at-least-once). */
export const EVENT_ID_REGEX = /^evt_[A-Za-z0-9_-]{8,64}$/;
export const eventId = z.string().regex(EVENT_ID_REGEX, 'must be evt_ followed by 8–64 letters, digits, "_" or "-"');

/** A fresh event id. Web Crypto rather than node:crypto keeps this package usable in the dashboard. */
export function newEventId(): string {
  return `evt_${globalThis.crypto.randomUUID().replaceAll('-', '')}`;
}

// Data per type ---------------------------------------------------------------------------------

export const sessionStatusEventData = z.object({
  status: sessionStatus,
  previousStatus: sessionStatus.optional(),
  /** Human-readable cause, e.g. Baileys' disconnect reason. */
  reason: z.string().max(500).optional(),
  /** Baileys' numeric disconnect code, when there was one. */
  statusCode: z.int().optional(),
  phoneNumber: z.string().nullable().optional(),
});
export const sessionQrEventData = z.object({ qr: z.string().min(1), expiresAt: isoDateTime });
export const sessionPairingCodeEventData = z.object({ code: z.string().min(1), expiresAt: isoDateTime });
export const messageReceivedEventData = z.object({ message });
export const messageSentEventData = z.object({ message });
export const messageStatusEventData = z.object({
  messageId: id,
  chatId: z.string(),
  status: messageStatus,
  timestamp: isoDateTime,
  /** In groups, the member whose receipt this is. */
  participant: z.string().optional(),
});
export const messageFailedEventData = z.object({
  messageId: id,
  chatId: z.string().optional(),
  error: z.object({ code: z.string(), message: z.string() }),
});

export const EVENT_DATA = {
  'session.status': sessionStatusEventData,
  'session.qr': sessionQrEventData,
  'session.pairing_code': sessionPairingCodeEventData,
  'message.received': messageReceivedEventData,
  'message.sent': messageSentEventData,
  'message.status': messageStatusEventData,
  'message.failed': messageFailedEventData,
} as const satisfies Record<EventType, z.ZodType>;
export type EventData<T extends EventType> = z.infer<(typeof EVENT_DATA)[T]>;

// Worker → gateway envelope ---------------------------------------------------------------------

const envelopeFields = {
  id: eventId,
  sessionId: id,
  workerId: id,
  /** The session's assignment epoch as the worker knows it; a stale one is refused (fencing). */
  epoch,
  createdAt: isoDateTime,
};

function envelopeOf<T extends EventType>(type: T) {
  return z.object({ ...envelopeFields, type: z.literal(type), data: EVENT_DATA[type] });
}

export const eventEnvelope = z.discriminatedUnion('type', [
  envelopeOf('session.status'),
  envelopeOf('session.qr'),
  envelopeOf('session.pairing_code'),
  envelopeOf('message.received'),
  envelopeOf('message.sent'),
  envelopeOf('message.status'),
  envelopeOf('message.failed'),
]);
export type EventEnvelope = z.infer<typeof eventEnvelope>;
export type EventEnvelopeOf<T extends EventType> = Extract<EventEnvelope, { type: T }>;

/** `POST /api/v1/internal/events`: a worker flushes its outbox in batches. */
export const eventBatchBody = z.object({
  events: z.array(eventEnvelope).min(1).max(LIMITS.eventBatchMax),
});
export type EventBatchBody = z.infer<typeof eventBatchBody>;

export const EVENT_REJECTION_CODES = ['STALE_EPOCH', 'UNKNOWN_SESSION', 'NOT_ASSIGNED'] as const;

/**
 * Per-event outcome, so the worker can clear its outbox: `acknowledged` ids (stored now or
 * before — duplicates included) and `rejected` ids are both removed; sessions in
 * `dropSessions` must be stopped at once because another worker holds a newer epoch.
 */
export const eventBatchResponse = z.object({
  acknowledged: z.array(eventId),
  rejected: z.array(z.object({ id: eventId, code: z.enum(EVENT_REJECTION_CODES), detail: z.string().optional() })),
  dropSessions: z.array(z.object({ sessionId: id, epoch })),
});
export type EventBatchResponse = z.infer<typeof eventBatchResponse>;

// Gateway → customer webhook payload ------------------------------------------------------------

const payloadFields = { id: eventId, createdAt: isoDateTime, sessionId: id };

function payloadOf<T extends EventType>(type: T) {
  return z.object({ ...payloadFields, type: z.literal(type), data: EVENT_DATA[type] });
}

/** Body POSTed to a customer's webhook URL: the envelope without `workerId` and `epoch`. */
export const webhookPayload = z.discriminatedUnion('type', [
  payloadOf('session.status'),
  payloadOf('session.qr'),
  payloadOf('session.pairing_code'),
  payloadOf('message.received'),
  payloadOf('message.sent'),
  payloadOf('message.status'),
  payloadOf('message.failed'),
]);
export type WebhookPayload = z.infer<typeof webhookPayload>;

/** Customer payload of an envelope; the event id is kept so receivers can dedupe on `webhook-id`. */
export function toWebhookPayload(event: EventEnvelope): WebhookPayload {
  const { workerId: _workerId, epoch: _epoch, ...payload } = event;
  return payload;
}
