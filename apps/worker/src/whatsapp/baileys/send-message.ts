import { isJidGroup, jidNormalizedUser } from 'baileys';
import type { AnyMessageContent, MiscMessageGenerationOptions, WAMessage } from 'baileys';
import type { OutgoingMessage } from '../whatsapp-client.js';
import { decodeRaw } from './message-mapping.js';

export class InvalidRecipientError extends Error {
  constructor(to: string) {
    super(`"${to}" is neither a phone number nor a WhatsApp JID.`);
    this.name = 'InvalidRecipientError';
  }
}

/** A phone number (digits, optional +, spaces or dashes) or a JID → a JID. */
export function toJid(to: string): string {
  const trimmed = to.trim();
  if (trimmed.includes('@')) {
    if (!/^[0-9A-Za-z.:_-]+@(s\.whatsapp\.net|lid|g\.us|broadcast|newsletter)$/.test(trimmed)) throw new InvalidRecipientError(to);
    return isJidGroup(trimmed) === true ? trimmed : jidNormalizedUser(trimmed);
  }
  const digits = trimmed.replace(/[\s()+-]/g, '');
  if (!/^\d{6,15}$/.test(digits)) throw new InvalidRecipientError(to);
  return `${digits}@s.whatsapp.net`;
}

/** A minimal vCard 3.0 for a name and number; WhatsApp reads `waid` to link the contact. */
export function vcardOf(name: string, phone: string): string {
  const digits = phone.replace(/\D/g, '');
  const safe = name.replace(/[\r\n;,]/g, ' ');
  return `BEGIN:VCARD\nVERSION:3.0\nFN:${safe}\nTEL;type=CELL;type=VOICE;waid=${digits}:+${digits}\nEND:VCARD`;
}

/** Baileys content for our outgoing message. */
export function toContent(message: OutgoingMessage, jid: string): AnyMessageContent {
  const mentions = message.mentions === undefined ? {} : { mentions: message.mentions.map((m) => toJid(m)) };
  switch (message.type) {
    case 'text':
      return { text: message.text, ...mentions };
    case 'contact': {
      const vcard = 'vcard' in message.contact ? message.contact.vcard : vcardOf(message.contact.name, message.contact.phone);
      const displayName = 'name' in message.contact ? message.contact.name : (/^FN:(.*)$/m.exec(vcard)?.[1]?.trim() ?? 'Contact');
      return { contacts: { displayName, contacts: [{ vcard }] } };
    }
    case 'poll':
      return { poll: { name: message.name, values: message.options, selectableCount: message.selectableCount } };
    case 'edit':
      return { edit: { remoteJid: jid, id: message.messageId, fromMe: true }, text: message.text };
    case 'delete':
      return { delete: { remoteJid: jid, id: message.messageId, fromMe: true } };
    case 'location':
      return {
        location: {
          degreesLatitude: message.latitude,
          degreesLongitude: message.longitude,
          ...(message.name === undefined ? {} : { name: message.name }),
          ...(message.address === undefined ? {} : { address: message.address }),
        },
      };
    case 'reaction':
      return { react: { text: message.emoji, key: { remoteJid: jid, id: message.messageId } } };
    default: {
      const media = 'data' in message.media ? message.media.data : { url: message.media.url };
      const caption = message.caption === undefined ? {} : { caption: message.caption, ...mentions };
      switch (message.type) {
        case 'image':
          return { image: media, ...caption, ...(message.mimetype === undefined ? {} : { mimetype: message.mimetype }) };
        case 'video':
          return { video: media, ...caption, ...(message.mimetype === undefined ? {} : { mimetype: message.mimetype }) };
        case 'audio':
          return { audio: media, mimetype: message.mimetype ?? 'audio/ogg; codecs=opus', ...(message.ptt === true ? { ptt: true } : {}) };
        case 'sticker':
          return { sticker: media };
        case 'document':
          return {
            document: media,
            mimetype: message.mimetype ?? 'application/octet-stream',
            ...caption,
            ...(message.fileName === undefined ? {} : { fileName: message.fileName }),
          };
      }
    }
  }
}

/** Send options; a reply quotes the stored original when we still have its payload. */
export async function toSendOptions(
  message: OutgoingMessage,
  jid: string,
  getMessageRaw: (chatId: string, id: string) => Promise<string | undefined>,
): Promise<MiscMessageGenerationOptions> {
  if (message.quotedId === undefined) return {};
  const raw = await getMessageRaw(jid, message.quotedId);
  if (raw === undefined) return {};
  const quoted: WAMessage = { key: { remoteJid: jid, id: message.quotedId, fromMe: false }, message: decodeRaw(raw) };
  return { quoted };
}
