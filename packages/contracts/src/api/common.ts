import { z } from 'zod';

/**
 * Primitives shared by every contract. Each regex and bound lives here once so the gateway,
 * the worker and the dashboard agree on what a phone number, a JID or an id is.
 */

/** Caps enforced by the schemas; exported so services, docs and tests quote the same numbers. */
export const LIMITS = {
  /** WhatsApp rejects longer text bodies; the app's own limit is 65,536 characters. */
  textMaxChars: 65_536,
  /** WhatsApp's documented caption limit. */
  captionMaxChars: 1_024,
  /** Decoded bytes of an inline base64 upload (WhatsApp's video/audio ceiling); larger files go by URL. */
  mediaBase64MaxBytes: 16 * 1024 * 1024,
  urlMaxChars: 2_048,
  filenameMaxChars: 255,
  mentionsMax: 1_024,
  pollOptionsMin: 2,
  pollOptionsMax: 12,
  pollNameMaxChars: 255,
  pollOptionMaxChars: 100,
  vcardMaxChars: 10_000,
  contactsCheckMax: 50,
  listLimitDefault: 20,
  listLimitMax: 100,
  eventBatchMax: 500,
  groupParticipantsMax: 1_024,
  passwordMinChars: 8,
  /** bcrypt reads 72 bytes; the auth service pre-hashes or rejects beyond that, the schema only stops abuse. */
  passwordMaxChars: 128,
  workerMaxSessions: 10_000,
} as const;

/** base64 characters of `mediaBase64MaxBytes` once encoded (4 chars per 3 bytes, padded). */
export const MEDIA_BASE64_MAX_CHARS = Math.ceil(LIMITS.mediaBase64MaxBytes / 3) * 4;

// Phone numbers: optional `+`, no leading 0, 7–15 digits (E.164 allows at most 15).
const PHONE_SOURCE = '\\+?[1-9]\\d{6,14}';
// WhatsApp JIDs a client may address: users (optionally with a device suffix), groups (new
// numeric ids and legacy `creator-timestamp` ids) and LIDs.
const JID_SOURCE = '\\d{1,24}(?:-\\d{1,24})?(?::\\d{1,4})?@(?:s\\.whatsapp\\.net|g\\.us|lid)';

export const PHONE_REGEX = new RegExp(`^${PHONE_SOURCE}$`);
export const JID_REGEX = new RegExp(`^${JID_SOURCE}$`);
export const GROUP_JID_REGEX = /^\d{1,24}(?:-\d{1,24})?@g\.us$/;
export const RECIPIENT_REGEX = new RegExp(`^(?:${PHONE_SOURCE}|${JID_SOURCE})$`);
/** Opaque ids: our own (UUIDs, prefixed random) and WhatsApp message ids. Kept path- and log-safe. */
export const ID_REGEX = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** Plain base64 (RFC 4648 §4, padded). Linear to match: a 22 MB string checks in milliseconds. */
export const BASE64_REGEX = /^[A-Za-z0-9+/]*={0,2}$/;

export const id = z.string().regex(ID_REGEX, 'must be an id of letters, digits, "_", ".", ":" or "-" (max 128)');
export type Id = z.infer<typeof id>;

/** Timestamps cross every boundary as ISO 8601 strings; services call `toISOString()` on Dates. */
export const isoDateTime = z.iso.datetime({ offset: true });
export type IsoDateTime = z.infer<typeof isoDateTime>;

export const phoneNumber = z
  .string()
  .regex(PHONE_REGEX, 'must be an E.164 phone number such as +6281234567890 (7–15 digits)');
export type PhoneNumber = z.infer<typeof phoneNumber>;

export const jid = z.string().regex(JID_REGEX, 'must be a WhatsApp JID ending in @s.whatsapp.net, @g.us or @lid');
export const groupJid = z.string().regex(GROUP_JID_REGEX, 'must be a group JID ending in @g.us');

/** Where a message goes: a phone number or a chat JID. */
export const recipient = z
  .string()
  .regex(RECIPIENT_REGEX, 'must be an E.164 phone number or a WhatsApp JID (…@s.whatsapp.net, …@g.us, …@lid)');
export type Recipient = z.infer<typeof recipient>;

/** Only http(s): `file:`, `data:` or `gopher:` URLs would let a caller make us read local or odd resources. */
export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).max(LIMITS.urlMaxChars);

/** Padded base64 of at most `LIMITS.mediaBase64MaxBytes` decoded bytes. */
export const base64Payload = z
  .string()
  .min(4)
  .max(MEDIA_BASE64_MAX_CHARS, `must decode to at most ${LIMITS.mediaBase64MaxBytes} bytes`)
  .regex(BASE64_REGEX, 'must be base64 without a data: prefix')
  .refine((value) => value.length % 4 === 0, 'must be padded base64 (length a multiple of 4)');

export const mimetype = z
  .string()
  .max(255)
  .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:\s*;\s*[a-z0-9_.-]+=[^;]+)*$/i, 'must be a MIME type such as image/jpeg or audio/ogg; codecs=opus');

export const epoch = z.int().min(0);

export const SESSION_STATUSES = ['DISCONNECTED', 'CONNECTING', 'QR_READY', 'CONNECTED', 'LOGGED_OUT', 'FAILED'] as const;
export const sessionStatus = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof sessionStatus>;

export const MESSAGE_STATUSES = ['PENDING', 'SENT', 'DELIVERED', 'READ', 'FAILED'] as const;
export const messageStatus = z.enum(MESSAGE_STATUSES);
export type MessageStatus = z.infer<typeof messageStatus>;

export const USER_ROLES = ['USER', 'ADMIN'] as const;
export const userRole = z.enum(USER_ROLES);
export type UserRole = z.infer<typeof userRole>;

export const USER_TIERS = ['BASIC', 'PRO', 'MAX'] as const;
export const userTier = z.enum(USER_TIERS);
export type UserTier = z.infer<typeof userTier>;

export const WORKER_STATUSES = ['ONLINE', 'OFFLINE', 'DRAINING'] as const;
export const workerStatus = z.enum(WORKER_STATUSES);
export type WorkerStatus = z.infer<typeof workerStatus>;

export const CONNECT_METHODS = ['qr', 'pairing_code'] as const;
export const connectMethod = z.enum(CONNECT_METHODS);
export type ConnectMethod = z.infer<typeof connectMethod>;

/** `?limit=&cursor=` — query strings arrive as text, hence the coercion. */
export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(LIMITS.listLimitMax).default(LIMITS.listLimitDefault),
  cursor: z.string().min(1).max(512).optional(),
});
export type ListQuery = z.infer<typeof listQuery>;

/** The list envelope of API.md: `{ data, nextCursor }`, `nextCursor` null on the last page. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}
export interface List<T> {
  data: T[];
  nextCursor: string | null;
}

/** Body of 200/202 replies that carry no resource. */
export const okResponse = z.object({ ok: z.literal(true) });
export type OkResponse = z.infer<typeof okResponse>;

/** `:id` route parameter. */
export const idParams = z.object({ id });
export type IdParams = z.infer<typeof idParams>;
