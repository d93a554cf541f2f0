import { createHash } from 'node:crypto';

const digest = (...parts: string[]) => createHash('sha256').update(parts.join('\n')).digest();

/**
 * The WhatsApp stanza id of a send, derived from the gateway's request id (itself derived from the
 * client's Idempotency-Key). A send retried after its worker died — the first copy may already be
 * on the wire — goes out again under the same id, so the recipient keeps one message, as WhatsApp
 * clients do for a repeated id. Same shape as Baileys' own ids: `3EB0` and 18 upper-case hex digits.
 */
export function stanzaIdFor(sessionId: string, requestId: string): string {
  return `3EB0${digest('stanza', sessionId, requestId).toString('hex').slice(0, 18).toUpperCase()}`;
}

/**
 * The event id of what one WhatsApp message did in one session (`message.received`, `message.sent`).
 * WhatsApp delivers a message again when its receipt never arrived (the worker died after journaling
 * it) and a moved session's new worker reports it again: with one id for both, the gateway's
 * dedupe keeps one event and one webhook.
 */
export function messageEventId(type: string, sessionId: string, messageId: string): string {
  return `evt_${digest('event', type, sessionId, messageId).toString('base64url').slice(0, 32)}`;
}
