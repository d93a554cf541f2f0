import { z } from 'zod';
import { LIMITS, phoneNumber } from './common.js';

/** `POST /api/v1/contacts/check`: which numbers are on WhatsApp. */
export const contactsCheckBody = z.strictObject({
  phones: z.array(phoneNumber).min(1).max(LIMITS.contactsCheckMax),
});
export type ContactsCheckBody = z.infer<typeof contactsCheckBody>;

export const contactCheckResult = z.object({ phone: z.string(), exists: z.boolean(), jid: z.string().optional() });
export type ContactCheckResult = z.infer<typeof contactCheckResult>;

export const contactsCheckResponse = z.object({ results: z.array(contactCheckResult) });
export type ContactsCheckResponse = z.infer<typeof contactsCheckResponse>;
