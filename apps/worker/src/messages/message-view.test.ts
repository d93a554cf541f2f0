import { describe, expect, it } from 'vitest';
import { message as messageSchema } from '@wagate/contracts';
import type { WhatsAppMessage } from '../whatsapp/index.js';
import { toMessageView } from './message-view.js';

const base: WhatsAppMessage = {
  id: '3EB0ABCDEF',
  chatId: '15550001111@s.whatsapp.net',
  chatAliases: ['15550001111@s.whatsapp.net', '998877@lid'],
  fromMe: false,
  sender: '15550001111@s.whatsapp.net',
  senderName: 'Alice',
  timestamp: Date.parse('2026-03-10T12:00:00Z'),
  type: 'text',
  text: 'hi',
  media: undefined,
  refId: undefined,
  status: undefined,
  raw: 'c2VjcmV0',
};

describe('toMessageView', () => {
  it('produces a contract message for a received text, without the engine payload', () => {
    const view = toMessageView('sess_1', base, '15559990000:4@s.whatsapp.net');
    expect(messageSchema.parse(view)).toEqual(view);
    expect(view).toMatchObject({ from: '15550001111@s.whatsapp.net', to: '15559990000@s.whatsapp.net', status: 'DELIVERED', timestamp: '2026-03-10T12:00:00.000Z', text: 'hi' });
    expect(JSON.stringify(view)).not.toContain('c2VjcmV0');
  });

  it('maps own media, reactions and played status onto the contract', () => {
    const image = toMessageView('s', { ...base, fromMe: true, type: 'image', text: 'look', media: { mimetype: 'image/jpeg', fileName: undefined, size: 10 }, status: 'played' }, '1555:1@s.whatsapp.net');
    expect(messageSchema.parse(image)).toMatchObject({ fromMe: true, from: '1555@s.whatsapp.net', to: base.chatId, status: 'READ', media: { mimetype: 'image/jpeg', caption: 'look', size: 10 } });
    expect(image.text).toBeUndefined();
    const reaction = toMessageView('s', { ...base, type: 'reaction', text: '👍', refId: '3EB0OTHER' });
    expect(messageSchema.parse(reaction).reaction).toEqual({ messageId: '3EB0OTHER', emoji: '👍' });
  });
});
