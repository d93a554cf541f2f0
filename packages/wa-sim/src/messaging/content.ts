import { getContentType, normalizeMessageContent } from 'baileys';
import type { proto } from 'baileys';

export interface MessageSummary {
  /** Key of the content inside `proto.Message`, e.g. `conversation`, `imageMessage`. */
  kind: string | undefined;
  text: string | undefined;
}

/** The readable essence of a decrypted message: its content kind and any text or caption. */
export function summarizeMessage(message: proto.IMessage): MessageSummary {
  const content = normalizeMessageContent(message);
  const kind = content === undefined ? undefined : getContentType(content);
  if (content == null) return { kind, text: undefined };
  const text =
    content.conversation ??
    content.extendedTextMessage?.text ??
    content.imageMessage?.caption ??
    content.videoMessage?.caption ??
    content.documentMessage?.caption ??
    content.reactionMessage?.text ??
    content.pollCreationMessage?.name ??
    content.pollCreationMessageV3?.name ??
    content.protocolMessage?.editedMessage?.conversation ??
    content.protocolMessage?.editedMessage?.extendedTextMessage?.text ??
    undefined;
  return { kind, text: text ?? undefined };
}

/** The stanza `type` WhatsApp uses for a message (Baileys' getMessageType mirror). */
export function stanzaTypeOf(message: proto.IMessage): string {
  const content = normalizeMessageContent(message);
  if (content?.reactionMessage != null || content?.encReactionMessage != null) return 'reaction';
  if (content?.pollCreationMessage != null || content?.pollCreationMessageV2 != null || content?.pollCreationMessageV3 != null || content?.pollUpdateMessage != null) return 'poll';
  return mediaTypeOf(message) === undefined ? 'text' : 'media';
}

export function mediaTypeOf(message: proto.IMessage): string | undefined {
  const c = normalizeMessageContent(message);
  if (c == null) return undefined;
  if (c.imageMessage != null) return 'image';
  if (c.videoMessage != null) return c.videoMessage.gifPlayback ? 'gif' : 'video';
  if (c.audioMessage != null) return c.audioMessage.ptt ? 'ptt' : 'audio';
  if (c.documentMessage != null) return 'document';
  if (c.stickerMessage != null) return 'sticker';
  if (c.contactMessage != null) return 'vcard';
  if (c.contactsArrayMessage != null) return 'contact_array';
  if (c.locationMessage != null) return 'location';
  if (c.liveLocationMessage != null) return 'livelocation';
  return undefined;
}
