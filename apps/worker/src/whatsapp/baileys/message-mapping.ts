import { getContentType, isLidUser, isPnUser, jidNormalizedUser, normalizeMessageContent, proto } from 'baileys';
import type { MessageUserReceiptUpdate, WAMessage, WAMessageKey, WAMessageUpdate } from 'baileys';
import type { MessageStatus, MessageStatusUpdate, WhatsAppMessage } from '../whatsapp-client.js';
import { WHATSAPP_CONTENT_TYPES } from '@wagate/contracts';

/** Baileys `proto.WebMessageInfo.Status` → ours. */
const STATUS_BY_CODE: Record<number, MessageStatus> = {
  0: 'failed',
  1: 'pending',
  2: 'sent',
  3: 'delivered',
  4: 'read',
  5: 'played',
};

export function mapStatus(code: number | null | undefined): MessageStatus | undefined {
  return code === null || code === undefined ? undefined : STATUS_BY_CODE[code];
}

/**
 * LID ↔ phone JID aliases seen on this connection. WhatsApp v7 addresses 1:1 chats by LID
 * (`remoteJid …@lid`, `remoteJidAlt` = phone JID); we name a chat by its phone JID when known.
 */
export class ChatAliases {
  readonly #pnByLid = new Map<string, string>();
  readonly #lidByPn = new Map<string, string>();

  constructor(readonly capacity = 50_000) {}

  learn(a: string | null | undefined, b: string | null | undefined): void {
    if (a == null || b == null) return;
    const [x, y] = [jidNormalizedUser(a), jidNormalizedUser(b)];
    const lid = isLidUser(x) === true ? x : isLidUser(y) === true ? y : undefined;
    const pn = isPnUser(x) === true ? x : isPnUser(y) === true ? y : undefined;
    if (lid === undefined || pn === undefined) return;
    // Bounded: drop the oldest pair rather than grow without limit on a busy account.
    if (this.#pnByLid.size >= this.capacity && !this.#pnByLid.has(lid)) {
      const oldest = this.#pnByLid.keys().next().value;
      if (oldest !== undefined) {
        this.#lidByPn.delete(this.#pnByLid.get(oldest) ?? '');
        this.#pnByLid.delete(oldest);
      }
    }
    this.#pnByLid.set(lid, pn);
    this.#lidByPn.set(pn, lid);
  }

  /** The chat's canonical id and every alias of it. */
  resolve(jid: string): { chatId: string; aliases: string[] } {
    const normal = jidNormalizedUser(jid) || jid;
    if (isLidUser(normal) === true) {
      const pn = this.#pnByLid.get(normal);
      return pn === undefined ? { chatId: normal, aliases: [normal] } : { chatId: pn, aliases: [pn, normal] };
    }
    const lid = this.#lidByPn.get(normal);
    return { chatId: normal, aliases: lid === undefined ? [normal] : [normal, lid] };
  }
}


/** Content kinds that are protocol plumbing, not something a user sent. */
const INTERNAL_CONTENT = new Set<keyof proto.IMessage>(['protocolMessage', 'senderKeyDistributionMessage', 'messageContextInfo']);

function toMillis(ts: WAMessage['messageTimestamp']): number {
  if (ts === null || ts === undefined) return Date.now();
  // Long from protobufjs, or a number of seconds.
  const seconds = typeof ts === 'number' ? ts : Number(ts.toString());
  return seconds * 1000;
}

export function encodeRaw(message: proto.IMessage | null | undefined): string | undefined {
  return message == null ? undefined : Buffer.from(proto.Message.encode(message).finish()).toString('base64');
}

export function decodeRaw(raw: string): proto.IMessage {
  return proto.Message.decode(Buffer.from(raw, 'base64'));
}

/** Our message for a Baileys one; null for protocol-only stanzas (key distribution, revokes…). */
export function mapMessage(msg: WAMessage, aliases: ChatAliases, self: { id?: string | undefined } = {}): WhatsAppMessage | null {
  const { key } = msg;
  if (key.id == null || key.remoteJid == null) return null;
  aliases.learn(key.remoteJid, key.remoteJidAlt);
  aliases.learn(key.participant, key.participantAlt);
  const content = normalizeMessageContent(msg.message);
  const kind = getContentType(content ?? undefined);
  if (content == null || kind === undefined || INTERNAL_CONTENT.has(kind)) return null;

  const { chatId, aliases: chatAliases } = aliases.resolve(key.remoteJid);
  const type = WHATSAPP_CONTENT_TYPES[kind] ?? 'unknown';
  const media = content.imageMessage ?? content.videoMessage ?? content.ptvMessage ?? content.audioMessage ?? content.stickerMessage ?? content.documentMessage ?? content.documentWithCaptionMessage?.message?.documentMessage;
  const context = content.extendedTextMessage?.contextInfo ?? media?.contextInfo;
  const location = content.locationMessage ?? content.liveLocationMessage;
  const isGroup = chatId.endsWith('@g.us');
  const sender = key.fromMe === true ? (self.id === undefined ? undefined : jidNormalizedUser(self.id)) : isGroup ? aliases.resolve(key.participant ?? '').chatId || undefined : chatId;
  return {
    id: key.id,
    chatId,
    chatAliases,
    fromMe: key.fromMe === true,
    sender,
    senderName: msg.pushName ?? undefined,
    timestamp: toMillis(msg.messageTimestamp),
    type,
    text:
      content.conversation ??
      content.extendedTextMessage?.text ??
      (media !== undefined && media !== null && 'caption' in media ? (media.caption ?? undefined) : undefined) ??
      content.reactionMessage?.text ??
      undefined,
    media:
      media == null
        ? undefined
        : {
            mimetype: media.mimetype ?? undefined,
            fileName: 'fileName' in media ? (media.fileName ?? undefined) : undefined,
            size: media.fileLength == null ? undefined : Number(media.fileLength.toString()),
          },
    ...(location == null
      ? {}
      : {
          location: {
            latitude: location.degreesLatitude ?? 0,
            longitude: location.degreesLongitude ?? 0,
            ...('name' in location && location.name != null ? { name: location.name } : {}),
            ...('address' in location && location.address != null ? { address: location.address } : {}),
          },
        }),
    refId: content.reactionMessage?.key?.id ?? context?.stanzaId ?? undefined,
    status: mapStatus(msg.status) ?? (key.fromMe === true ? undefined : 'delivered'),
    raw: encodeRaw(msg.message),
  };
}

function statusFor(key: WAMessageKey, status: MessageStatus, aliases: ChatAliases, participant?: string): MessageStatusUpdate | null {
  if (key.id == null || key.remoteJid == null) return null;
  aliases.learn(key.remoteJid, key.remoteJidAlt);
  return {
    id: key.id,
    chatId: aliases.resolve(key.remoteJid).chatId,
    status,
    timestamp: Date.now(),
    ...(participant === undefined ? {} : { participant: aliases.resolve(participant).chatId }),
  };
}

/** Status progress carried by `messages.update`. */
export function mapUpdates(updates: readonly WAMessageUpdate[], aliases: ChatAliases): MessageStatusUpdate[] {
  const out: MessageStatusUpdate[] = [];
  for (const { key, update } of updates) {
    const status = mapStatus(update.status);
    if (status === undefined) continue;
    const mapped = statusFor(key, status, aliases);
    if (mapped !== null) out.push(mapped);
  }
  return out;
}

/** Per-member receipts in groups. */
export function mapReceipts(receipts: readonly MessageUserReceiptUpdate[], aliases: ChatAliases): MessageStatusUpdate[] {
  const out: MessageStatusUpdate[] = [];
  for (const { key, receipt } of receipts) {
    const status: MessageStatus | undefined = receipt.playedTimestamp != null ? 'played' : receipt.readTimestamp != null ? 'read' : receipt.receiptTimestamp != null ? 'delivered' : undefined;
    if (status === undefined || receipt.userJid == null) continue;
    const mapped = statusFor(key, status, aliases, receipt.userJid);
    if (mapped !== null) out.push(mapped);
  }
  return out;
}

/**
 * Own messages arriving through `messages.upsert` can carry their delivery status (v7 folds a
 * receipt into the upsert): report it as a status update too.
 */
export function statusesFromUpsert(messages: readonly WAMessage[], aliases: ChatAliases): MessageStatusUpdate[] {
  const out: MessageStatusUpdate[] = [];
  for (const msg of messages) {
    if (msg.key.fromMe !== true) continue;
    const status = mapStatus(msg.status);
    if (status === undefined || status === 'pending') continue;
    const mapped = statusFor(msg.key, status, aliases);
    if (mapped !== null) out.push(mapped);
  }
  return out;
}
