import { describe, expect, it } from 'vitest';
import { sendMessageBody } from '@wagate/contracts';
import { UnsupportedSendError, toOutgoing } from './send-request.js';

describe('toOutgoing', () => {
  it('maps a text reply with mentions', () => {
    const body = sendMessageBody.parse({ to: '+15550001111', text: 'hi', replyTo: '3EB0AA', mentions: ['+15550002222'] });
    expect(toOutgoing(body)).toEqual({ to: '+15550001111', type: 'text', text: 'hi', quotedId: '3EB0AA', mentions: ['+15550002222'] });
  });

  it('decodes inline media and keeps the caption, file name and voice-note flag', () => {
    const image = toOutgoing(sendMessageBody.parse({ to: '+15550001111', type: 'image', media: { base64: Buffer.from('png').toString('base64'), mimetype: 'image/png', caption: 'c' } }));
    expect(image).toMatchObject({ type: 'image', mimetype: 'image/png', caption: 'c' });
    expect(image.type === 'image' && 'data' in image.media && image.media.data.toString()).toBe('png');
    const audio = toOutgoing(sendMessageBody.parse({ to: '+15550001111', type: 'audio', ptt: true, media: { url: 'https://x.test/a.ogg', mimetype: 'audio/ogg; codecs=opus' } }));
    expect(audio).toMatchObject({ type: 'audio', media: { url: 'https://x.test/a.ogg' }, ptt: true });
  });

  it('maps polls, reactions, edits and refuses delete-for-me', () => {
    expect(toOutgoing(sendMessageBody.parse({ to: '+15550001111', type: 'poll', poll: { name: 'Q', options: ['a', 'b'] } }))).toMatchObject({ type: 'poll', options: ['a', 'b'], selectableCount: 1 });
    expect(toOutgoing(sendMessageBody.parse({ to: '+15550001111', type: 'reaction', reaction: { messageId: 'M1', emoji: '👍' } }))).toMatchObject({ type: 'reaction', messageId: 'M1' });
    expect(toOutgoing(sendMessageBody.parse({ to: '+15550001111', type: 'edit', edit: { messageId: 'M1', text: 'x' } }))).toMatchObject({ type: 'edit', text: 'x' });
    expect(() => toOutgoing(sendMessageBody.parse({ to: '+15550001111', type: 'delete', delete: { messageId: 'M1', forEveryone: false } }))).toThrow(UnsupportedSendError);
  });
});
