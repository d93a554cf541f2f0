import type { SendMessageBody } from '@wagate/contracts';
import type { OutgoingMessage } from '../whatsapp/index.js';

/** The engine-neutral outgoing message for a validated send request (contracts `sendMessageBody`). */
export function toOutgoing(body: SendMessageBody): OutgoingMessage {
  const common = {
    to: body.to,
    ...('replyTo' in body && body.replyTo !== undefined ? { quotedId: body.replyTo } : {}),
    ...('mentions' in body && body.mentions !== undefined ? { mentions: body.mentions } : {}),
  };
  switch (body.type) {
    case 'text':
      return { ...common, type: 'text', text: body.text };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const { media } = body;
      // Audio and stickers have no caption field in the contract.
      const caption = 'caption' in media && typeof media.caption === 'string' ? media.caption : undefined;
      return {
        ...common,
        type: body.type,
        media: media.base64 !== undefined ? { data: Buffer.from(media.base64, 'base64') } : { url: media.url ?? '' },
        mimetype: media.mimetype,
        ...(caption === undefined ? {} : { caption }),
        ...(media.filename === undefined ? {} : { fileName: media.filename }),
        ...(body.type === 'audio' && body.ptt ? { ptt: true } : {}),
      };
    }
    case 'location':
      return { ...common, type: 'location', ...body.location };
    case 'contact':
      return { ...common, type: 'contact', contact: body.contact };
    case 'poll':
      return { ...common, type: 'poll', name: body.poll.name, options: body.poll.options, selectableCount: body.poll.selectableCount };
    case 'reaction':
      return { ...common, type: 'reaction', messageId: body.reaction.messageId, emoji: body.reaction.emoji };
    case 'edit':
      return { ...common, type: 'edit', messageId: body.edit.messageId, text: body.edit.text };
    case 'delete':
      if (!body.delete.forEveryone) throw new UnsupportedSendError('Deleting only on our own device is not supported; use forEveryone: true.');
      return { ...common, type: 'delete', messageId: body.delete.messageId };
  }
}

export class UnsupportedSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedSendError';
  }
}
