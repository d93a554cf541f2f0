import { describe, expect, it } from 'vitest';
import { LIMITS } from './common.js';
import { contactsCheckBody } from './contacts.js';
import { message, messageListQuery, sendMessageBody } from './messages.js';

const to = '+6281234567890';
const media = { url: 'https://cdn.example.com/a.jpg', mimetype: 'image/jpeg' };

function ok(body: unknown) {
  const result = sendMessageBody.safeParse(body);
  if (!result.success) throw new Error(JSON.stringify(result.error.issues));
  return result.data;
}
function issues(body: unknown) {
  const result = sendMessageBody.safeParse(body);
  expect(result.success).toBe(false);
  return result.error?.issues ?? [];
}

describe('sendMessageBody', () => {
  it('defaults type to text when absent', () => {
    expect(ok({ to, text: 'hi' })).toEqual({ to, type: 'text', text: 'hi' });
  });

  it('rejects unknown fields', () => {
    issues({ to, text: 'hi', priority: 'high' });
    issues({ to, type: 'image', media: { ...media, size: 10 } });
  });

  it('rejects an unknown type', () => {
    issues({ to, type: 'carrier-pigeon', text: 'hi' });
  });

  it('rejects a bad E.164 number', () => {
    expect(issues({ to: '+0812', text: 'hi' })[0]?.path).toEqual(['to']);
  });

  it('accepts group and LID chat ids', () => {
    ok({ to: '120363041234567890@g.us', text: 'hi', mentions: ['6281234567890@s.whatsapp.net'] });
    ok({ to: '123456789012345@lid', text: 'hi' });
  });

  it('bounds text length', () => {
    ok({ to, text: 'x'.repeat(LIMITS.textMaxChars) });
    issues({ to, text: 'x'.repeat(LIMITS.textMaxChars + 1) });
    issues({ to, text: '' });
  });

  it('accepts media by url or by base64', () => {
    ok({ to, type: 'image', media: { ...media, caption: 'look' }, replyTo: '3EB0C767D26A1D9D0C53' });
    ok({ to, type: 'document', media: { base64: Buffer.from('%PDF-1.7').toString('base64'), mimetype: 'application/pdf', filename: 'a.pdf' } });
  });

  it('rejects media with both url and base64, or neither', () => {
    const both = issues({ to, type: 'image', media: { ...media, base64: 'aGVsbG8=' } });
    expect(both[0]?.path).toEqual(['media']);
    issues({ to, type: 'image', media: { mimetype: 'image/jpeg' } });
  });

  it('rejects non-http media urls', () => {
    issues({ to, type: 'image', media: { url: 'file:///etc/passwd', mimetype: 'image/jpeg' } });
  });

  it('checks the MIME family per type', () => {
    issues({ to, type: 'image', media: { url: media.url, mimetype: 'video/mp4' } });
    issues({ to, type: 'sticker', media: { url: media.url, mimetype: 'image/png' } });
    ok({ to, type: 'sticker', media: { url: media.url, mimetype: 'image/webp' } });
  });

  it('sends audio as a voice note with ptt, and refuses a caption on audio', () => {
    const parsed = ok({ to, type: 'audio', media: { url: media.url, mimetype: 'audio/ogg; codecs=opus' }, ptt: true });
    expect(parsed).toMatchObject({ type: 'audio', ptt: true });
    expect(ok({ to, type: 'audio', media: { url: media.url, mimetype: 'audio/mpeg' } })).toMatchObject({ ptt: false });
    issues({ to, type: 'audio', media: { url: media.url, mimetype: 'audio/mpeg', caption: 'x' } });
  });

  it('checks location ranges', () => {
    ok({ to, type: 'location', location: { latitude: -6.2, longitude: 106.8, name: 'Monas' } });
    issues({ to, type: 'location', location: { latitude: 91, longitude: 0 } });
    issues({ to, type: 'location', location: { latitude: 0, longitude: -181 } });
  });

  it('accepts a contact as a vCard or as name and phone', () => {
    ok({ to, type: 'contact', contact: { vcard: 'BEGIN:VCARD\nVERSION:3.0\nFN:Ann\nEND:VCARD' } });
    ok({ to, type: 'contact', contact: { name: 'Ann', phone: '+6281234567891' } });
    issues({ to, type: 'contact', contact: { vcard: 'hello' } });
    issues({ to, type: 'contact', contact: { name: 'Ann' } });
  });

  it('accepts a reaction, and an empty emoji to remove it', () => {
    ok({ to, type: 'reaction', reaction: { messageId: 'ABC123', emoji: '👍' } });
    ok({ to, type: 'reaction', reaction: { messageId: 'ABC123', emoji: '' } });
    issues({ to, type: 'reaction', reaction: { emoji: '👍' } });
  });

  it('refuses reply and mention fields on a reaction', () => {
    issues({ to, type: 'reaction', reaction: { messageId: 'ABC123', emoji: '👍' }, replyTo: 'X1' });
  });

  it('checks poll options: 2–12, unique, selectableCount within them', () => {
    expect(ok({ to, type: 'poll', poll: { name: 'Lunch?', options: ['Yes', 'No'] } })).toMatchObject({
      poll: { selectableCount: 1 },
    });
    issues({ to, type: 'poll', poll: { name: 'Lunch?', options: ['Yes'] } });
    issues({ to, type: 'poll', poll: { name: 'Lunch?', options: Array.from({ length: 13 }, (_, i) => `o${i}`) } });
    issues({ to, type: 'poll', poll: { name: 'Lunch?', options: ['Yes', 'Yes'] } });
    const tooMany = issues({ to, type: 'poll', poll: { name: 'Lunch?', options: ['a', 'b'], selectableCount: 3 } });
    expect(tooMany[0]?.path).toEqual(['poll', 'selectableCount']);
  });

  it('edits and deletes by message id, deleting for everyone by default', () => {
    ok({ to, type: 'edit', edit: { messageId: 'ABC123', text: 'fixed' } });
    expect(ok({ to, type: 'delete', delete: { messageId: 'ABC123' } })).toMatchObject({ delete: { forEveryone: true } });
    issues({ to, type: 'edit', edit: { messageId: 'ABC123' } });
  });

  it('rejects a type whose payload belongs to another type', () => {
    issues({ to, type: 'image', text: 'hi' });
    issues({ to, type: 'text', media });
  });
});

describe('message view', () => {
  const stored = {
    id: 'msg_1',
    sessionId: 'ses_1',
    chatId: '6281234567890@s.whatsapp.net',
    from: '6281111111111@s.whatsapp.net',
    to: '6281234567890@s.whatsapp.net',
    fromMe: true,
    type: 'text',
    text: 'hi',
    status: 'SENT',
    timestamp: '2026-01-01T00:00:00.000Z',
  };
  it('parses a stored message and strips internal fields', () => {
    expect(message.parse({ ...stored, rawProto: 'secret' })).toEqual(stored);
  });
  it('rejects an unknown status', () => {
    expect(message.safeParse({ ...stored, status: 'QUEUED' }).success).toBe(false);
  });
});

describe('messageListQuery', () => {
  it('coerces limit and keeps chatId and before', () => {
    expect(messageListQuery.parse({ chatId: '+6281234567890', before: '2026-01-01T00:00:00Z', limit: '5' })).toEqual({
      chatId: '+6281234567890',
      before: '2026-01-01T00:00:00Z',
      limit: 5,
    });
  });
});

describe('contactsCheckBody', () => {
  it('takes 1–50 phone numbers', () => {
    expect(contactsCheckBody.safeParse({ phones: ['+6281234567890'] }).success).toBe(true);
    expect(contactsCheckBody.safeParse({ phones: [] }).success).toBe(false);
    expect(contactsCheckBody.safeParse({ phones: Array.from({ length: 51 }, () => '+6281234567890') }).success).toBe(false);
    expect(contactsCheckBody.safeParse({ phones: ['nope'] }).success).toBe(false);
  });
});
