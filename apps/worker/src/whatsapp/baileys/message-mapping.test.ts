import { describe, expect, it } from 'vitest';
import { proto } from 'baileys';
import type { WAMessage } from 'baileys';
import { ChatAliases, decodeRaw, mapMessage, mapUpdates, statusesFromUpsert } from './message-mapping.js';
import { InvalidRecipientError, toContent, toJid, vcardOf } from './send-message.js';

const LID = '99887766554433@lid';
const PN = '15550001111@s.whatsapp.net';

function incoming(overrides: Partial<WAMessage> = {}): WAMessage {
  return {
    key: { remoteJid: LID, remoteJidAlt: PN, fromMe: false, id: 'MSG1', addressingMode: 'lid' },
    message: { conversation: 'hello' },
    messageTimestamp: 1_700_000_000,
    pushName: 'Alice',
    ...overrides,
  };
}

describe('message mapping', () => {
  it('names a LID chat by its phone JID and keeps both as aliases', () => {
    const aliases = new ChatAliases();
    const msg = mapMessage(incoming(), aliases);
    expect(msg).toMatchObject({ id: 'MSG1', chatId: PN, chatAliases: [PN, LID], fromMe: false, sender: PN, senderName: 'Alice', type: 'text', text: 'hello', timestamp: 1_700_000_000_000 });
    // A later stanza that only carries the LID still lands in the same chat.
    expect(aliases.resolve(LID).chatId).toBe(PN);
    expect(aliases.resolve('15550001111:7@s.whatsapp.net').aliases).toEqual([PN, LID]);
  });

  it('keeps a LID chat whose phone number is unknown under its LID', () => {
    const msg = mapMessage(incoming({ key: { remoteJid: LID, id: 'X', fromMe: false } }), new ChatAliases());
    expect(msg?.chatId).toBe(LID);
  });

  it('maps media captions, replies and reactions', () => {
    const aliases = new ChatAliases();
    const image = mapMessage(incoming({ message: { imageMessage: { caption: 'look', mimetype: 'image/jpeg', fileLength: 1234, contextInfo: { stanzaId: 'Q1' } } } }), aliases);
    expect(image).toMatchObject({ type: 'image', text: 'look', media: { mimetype: 'image/jpeg', size: 1234 }, refId: 'Q1' });
    const reaction = mapMessage(incoming({ message: { reactionMessage: { text: '👍', key: { id: 'MSG0' } } } }), aliases);
    expect(reaction).toMatchObject({ type: 'reaction', text: '👍', refId: 'MSG0' });
  });

  it('drops protocol-only stanzas', () => {
    expect(mapMessage(incoming({ message: { senderKeyDistributionMessage: { groupId: 'g' } } }), new ChatAliases())).toBeNull();
    expect(mapMessage(incoming({ message: { protocolMessage: { type: 0 } } }), new ChatAliases())).toBeNull();
    expect(mapMessage(incoming({ message: null }), new ChatAliases())).toBeNull();
  });

  it('keeps the engine payload so the exact content can be resent', () => {
    const msg = mapMessage(incoming({ message: { extendedTextMessage: { text: 'long' } } }), new ChatAliases());
    expect(decodeRaw(msg!.raw!)).toMatchObject({ extendedTextMessage: { text: 'long' } });
  });

  it('reads delivery status from own-message upserts and from updates', () => {
    const aliases = new ChatAliases();
    const own = incoming({ key: { remoteJid: LID, remoteJidAlt: PN, fromMe: true, id: 'OUT1' }, status: proto.WebMessageInfo.Status.DELIVERY_ACK });
    expect(statusesFromUpsert([own, incoming()], aliases)).toMatchObject([{ id: 'OUT1', chatId: PN, status: 'delivered' }]);
    expect(mapUpdates([{ key: { remoteJid: LID, id: 'OUT1', fromMe: true }, update: { status: proto.WebMessageInfo.Status.READ } }], aliases)).toMatchObject([
      { id: 'OUT1', chatId: PN, status: 'read' },
    ]);
    expect(mapUpdates([{ key: { remoteJid: LID, id: 'OUT1' }, update: { starred: true } }], aliases)).toEqual([]);
  });

  it('turns phone numbers into JIDs and refuses garbage', () => {
    expect(toJid('+1 555-000-1111')).toBe(PN);
    expect(toJid('15550001111:3@s.whatsapp.net')).toBe(PN);
    expect(toJid('120363025246125486@g.us')).toBe('120363025246125486@g.us');
    expect(() => toJid('abc')).toThrow(InvalidRecipientError);
    expect(() => toJid('x@evil.com')).toThrow(InvalidRecipientError);
  });

  it('builds Baileys content for contacts, edits and mentions', () => {
    expect(vcardOf('Bob; Jr', '+1 555 000 2222')).toBe('BEGIN:VCARD\nVERSION:3.0\nFN:Bob  Jr\nTEL;type=CELL;type=VOICE;waid=15550002222:+15550002222\nEND:VCARD');
    expect(toContent({ to: PN, type: 'contact', contact: { name: 'Bob', phone: '+15550002222' } }, PN)).toMatchObject({ contacts: { displayName: 'Bob' } });
    expect(toContent({ to: PN, type: 'edit', messageId: 'M1', text: 'fixed' }, PN)).toEqual({ edit: { remoteJid: PN, id: 'M1', fromMe: true }, text: 'fixed' });
    expect(toContent({ to: PN, type: 'text', text: 'hi @1555', mentions: ['+15550002222'] }, PN)).toEqual({ text: 'hi @1555', mentions: ['15550002222@s.whatsapp.net'] });
  });
});
