import type { Message, MessageStatus as ContractStatus } from '@wagate/contracts';
import type { MessageStatus, WhatsAppMessage } from '../whatsapp/index.js';

const STATUS: Record<MessageStatus, ContractStatus> = {
  pending: 'PENDING',
  sent: 'SENT',
  delivered: 'DELIVERED',
  read: 'READ',
  // The public contract has no "played"; a played voice note has been read.
  played: 'READ',
  failed: 'FAILED',
};

export function toContractStatus(status: MessageStatus): ContractStatus {
  return STATUS[status];
}

/** Our phone JID without device part (`15550001111@s.whatsapp.net`) from `15550001111:3@…`. */
export function bareJid(jid: string | undefined): string | undefined {
  if (jid === undefined) return undefined;
  const [user, server] = jid.split('@');
  return server === undefined ? jid : `${(user ?? '').split(':')[0]}@${server}`;
}

/** The public message view (contracts `message`) of a worker message; the engine payload stays inside. */
export function toMessageView(sessionId: string, m: WhatsAppMessage, selfJid?: string): Message {
  const self = bareJid(selfJid) ?? '';
  const view: Message = {
    id: m.id,
    sessionId,
    chatId: m.chatId,
    from: m.fromMe ? self : (m.sender ?? m.chatId),
    to: m.fromMe ? m.chatId : m.chatId.endsWith('@g.us') ? m.chatId : self,
    fromMe: m.fromMe,
    type: m.type,
    status: toContractStatus(m.status ?? (m.fromMe ? 'pending' : 'delivered')),
    timestamp: new Date(m.timestamp).toISOString(),
  };
  if (m.type === 'reaction') {
    if (m.refId !== undefined) view.reaction = { messageId: m.refId, emoji: m.text ?? '' };
  } else {
    if (m.text !== undefined && m.media === undefined) view.text = m.text;
    if (m.refId !== undefined) view.replyTo = m.refId;
  }
  if (m.media !== undefined) {
    view.media = {
      mimetype: m.media.mimetype ?? 'application/octet-stream',
      ...(m.media.fileName === undefined ? {} : { filename: m.media.fileName }),
      ...(m.text === undefined ? {} : { caption: m.text }),
      ...(m.media.size === undefined ? {} : { size: m.media.size }),
    };
  }
  if (m.location !== undefined) view.location = m.location;
  return view;
}
