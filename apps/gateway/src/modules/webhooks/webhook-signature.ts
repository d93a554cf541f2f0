// Standard Webhooks signing (https://www.standardwebhooks.com): the receiver-side check is the
// same function customers copy from the README, so the tests prove the documented algorithm.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** 32 random bytes: HMAC-SHA256's block-sized key would be 64, but 32 is the standard's recommendation and plenty. */
export const SECRET_BYTES = 32;
/** Receivers should refuse signatures older (or newer) than this; the README says 5 minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** `whsec_` + base64 of 32 fresh random bytes. */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The HMAC key is the base64-decoded part after `whsec_`, as the standard defines it. */
function secretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

/** `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` for one secret. */
export function signatureFor(secret: string, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secretKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` header: one `v1,…` per secret, space-separated. During a secret
 * rotation both the new and the old secret sign, so a receiver holding either one accepts.
 */
export function signatureHeader(secrets: readonly string[], id: string, timestamp: number, body: string): string {
  return secrets.map((secret) => signatureFor(secret, id, timestamp, body)).join(' ');
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three Standard Webhooks headers for a body signed now (or at `timestamp`, in seconds). */
export function signedHeaders(secrets: readonly string[], id: string, body: string, timestamp = Math.floor(Date.now() / 1000)): WebhookHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, id, timestamp, body),
  };
}

/**
 * Receiver-side verification, as documented in the README: the timestamp within `toleranceSeconds`
 * of now, and any `v1` signature in the header matching ours, compared in constant time.
 * Returns false rather than throwing, so callers answer 400/401 as they like.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { 'webhook-id'?: string | undefined; 'webhook-timestamp'?: string | undefined; 'webhook-signature'?: string | undefined },
  body: string,
  options: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const id = headers['webhook-id'];
  const timestamp = Number(headers['webhook-timestamp']);
  const header = headers['webhook-signature'];
  if (!id || !header || !Number.isInteger(timestamp)) return false;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signatureFor(secret, id, timestamp, body).slice(3), 'base64');
  return header.split(' ').some((part) => {
    const [version, mac] = part.split(',', 2);
    if (version !== 'v1' || !mac) return false;
    const given = Buffer.from(mac, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
