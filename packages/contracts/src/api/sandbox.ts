import { z } from 'zod';
import { id, isoDateTime, LIMITS, listOf, phoneNumber } from './common.js';

/** Virtual phones on the simulated network (`WA_NETWORK=sandbox` only). */

export const createSandboxPhoneBody = z.strictObject({
  /** Omitted: the simulator picks a free number. */
  phoneNumber: phoneNumber.optional(),
  name: z.string().trim().min(1).max(64).optional(),
});
export type CreateSandboxPhoneBody = z.infer<typeof createSandboxPhoneBody>;

export const sandboxPhone = z.object({ phoneNumber: z.string(), name: z.string() });
export type SandboxPhone = z.infer<typeof sandboxPhone>;
export const sandboxPhoneResponse = z.object({ phone: sandboxPhone });
export type SandboxPhoneResponse = z.infer<typeof sandboxPhoneResponse>;

export const sandboxPhoneParams = z.object({ phoneNumber });
export type SandboxPhoneParams = z.infer<typeof sandboxPhoneParams>;

/** The phone "scans" the QR a session shows, and so links that session as its device. */
export const sandboxScanBody = z.strictObject({ qr: z.string().min(1).max(1_024) });
export type SandboxScanBody = z.infer<typeof sandboxScanBody>;

/** 8 characters, as WhatsApp shows them (`ABCD-EFGH`; the dash is optional). */
export const PAIRING_CODE_REGEX = /^[A-Za-z0-9]{4}-?[A-Za-z0-9]{4}$/;
export const sandboxPairingCodeBody = z.strictObject({
  code: z.string().regex(PAIRING_CODE_REGEX, 'must be an 8-character pairing code such as ABCD-EFGH'),
});
export type SandboxPairingCodeBody = z.infer<typeof sandboxPairingCodeBody>;

export const sandboxSendBody = z.strictObject({ to: phoneNumber, text: z.string().min(1).max(LIMITS.textMaxChars) });
export type SandboxSendBody = z.infer<typeof sandboxSendBody>;

export const sandboxUnlinkBody = z.strictObject({ sessionPhoneNumber: phoneNumber });
export type SandboxUnlinkBody = z.infer<typeof sandboxUnlinkBody>;

/** A message the virtual phone received (decrypted) or sent, with the receipts it got back. */
export const sandboxPhoneMessage = z.object({
  id,
  direction: z.enum(['in', 'out']),
  from: z.string(),
  to: z.string(),
  type: z.string(),
  text: z.string().optional(),
  timestamp: isoDateTime,
  receipts: z.array(z.object({ status: z.enum(['DELIVERED', 'READ']), at: isoDateTime })),
});
export type SandboxPhoneMessage = z.infer<typeof sandboxPhoneMessage>;
export const sandboxPhoneMessageList = listOf(sandboxPhoneMessage);
export type SandboxPhoneMessageList = z.infer<typeof sandboxPhoneMessageList>;
