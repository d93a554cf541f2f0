import { jidDecode } from 'baileys';

export const PN_SERVER = 's.whatsapp.net';
export const LID_SERVER = 'lid';

export function pnJid(phone: string, device = 0): string {
  return device === 0 ? `${phone}@${PN_SERVER}` : `${phone}:${device}@${PN_SERVER}`;
}

export function lidJid(lid: string, device = 0): string {
  return device === 0 ? `${lid}@${LID_SERVER}` : `${lid}:${device}@${LID_SERVER}`;
}

export interface ParsedJid {
  user: string;
  device: number;
  server: string;
}

/** Decodes a user JID; undefined for groups, broadcasts and malformed input. */
export function parseJid(jid: string | undefined): ParsedJid | undefined {
  const decoded = jidDecode(jid);
  if (decoded === undefined || !decoded.user) return undefined;
  return { user: decoded.user, device: decoded.device ?? 0, server: decoded.server };
}

/** Accepts `+1 555…`, `1555…` or a JID and returns the digits of the phone number. */
export function normalizePhone(input: string): string {
  const at = input.indexOf('@');
  const user = at >= 0 ? input.slice(0, at).split(':')[0]! : input;
  return user.replace(/[^0-9]/g, '');
}

export function isGroupJid(jid: string | undefined): boolean {
  return jid?.endsWith('@g.us') ?? false;
}
