import { describe, expect, it } from 'vitest';
import { eventBatchBody, eventEnvelope, eventId, newEventId, toWebhookPayload, webhookPayload } from './events.js';

const base = { id: 'evt_0123456789abcdef', sessionId: 'ses_1', workerId: 'wrk_1', epoch: 3, createdAt: '2026-01-01T00:00:00.000Z' };
const statusEvent = { ...base, type: 'session.status', data: { status: 'CONNECTED', previousStatus: 'QR_READY', phoneNumber: '6281234567890' } };

describe('eventEnvelope', () => {
  it('parses each event type with its own data', () => {
    expect(eventEnvelope.parse(statusEvent)).toEqual(statusEvent);
    eventEnvelope.parse({ ...base, type: 'session.qr', data: { qr: '2@abc', expiresAt: base.createdAt } });
    eventEnvelope.parse({ ...base, type: 'session.pairing_code', data: { code: 'ABCD1234', expiresAt: base.createdAt } });
    eventEnvelope.parse({
      ...base,
      type: 'message.status',
      data: { messageId: 'ABC', chatId: '6281234567890@s.whatsapp.net', status: 'READ', timestamp: base.createdAt },
    });
    eventEnvelope.parse({ ...base, type: 'message.failed', data: { messageId: 'ABC', error: { code: 'NOT_ON_WHATSAPP', message: 'no' } } });
  });

  it('rejects data that belongs to another type', () => {
    expect(eventEnvelope.safeParse({ ...base, type: 'session.qr', data: statusEvent.data }).success).toBe(false);
    expect(eventEnvelope.safeParse({ ...base, type: 'message.received', data: { qr: 'x', expiresAt: base.createdAt } }).success).toBe(false);
  });

  it('rejects unknown types, negative epochs and ids without the evt_ prefix', () => {
    expect(eventEnvelope.safeParse({ ...statusEvent, type: 'session.exploded' }).success).toBe(false);
    expect(eventEnvelope.safeParse({ ...statusEvent, epoch: -1 }).success).toBe(false);
    expect(eventEnvelope.safeParse({ ...statusEvent, epoch: 1.5 }).success).toBe(false);
    expect(eventEnvelope.safeParse({ ...statusEvent, id: '0123456789abcdef' }).success).toBe(false);
  });

  it('drops fields a newer worker may add instead of failing the event', () => {
    expect(eventEnvelope.parse({ ...statusEvent, traceId: 't' })).not.toHaveProperty('traceId');
  });
});

describe('eventBatchBody', () => {
  it('takes 1–500 events', () => {
    expect(eventBatchBody.safeParse({ events: [statusEvent] }).success).toBe(true);
    expect(eventBatchBody.safeParse({ events: [] }).success).toBe(false);
    expect(eventBatchBody.safeParse({ events: Array.from({ length: 501 }, () => statusEvent) }).success).toBe(false);
  });
});

describe('newEventId', () => {
  it('makes distinct ids the schema accepts', () => {
    const a = newEventId();
    expect(eventId.safeParse(a).success).toBe(true);
    expect(newEventId()).not.toBe(a);
  });
});

describe('webhook payload', () => {
  it('is the envelope without worker internals', () => {
    const payload = toWebhookPayload(eventEnvelope.parse(statusEvent));
    expect(payload).toEqual({ id: base.id, type: 'session.status', createdAt: base.createdAt, sessionId: 'ses_1', data: statusEvent.data });
    expect(webhookPayload.parse(payload)).toEqual(payload);
  });
});
