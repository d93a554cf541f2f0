import { downloadMediaMessage } from 'baileys';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimulator } from '../simulator.js';
import type { Simulator } from '../simulator.js';
import type { VirtualPhone } from '../network/phone.js';
import { companionFactory, pairWithQr } from '../test-support/companion.js';
import type { Companion, SimTestContext } from '../test-support/companion.js';

let sim: Simulator;
let ctx: SimTestContext;
let owner: VirtualPhone;
let alice: VirtualPhone;
let companion: Companion;

// One paired session for the whole file: each test adds one content type.
beforeAll(async () => {
  sim = await createSimulator({ rootKeyPair: 'test' });
  ctx = companionFactory(sim);
  owner = sim.phones.create({ pushName: 'Owner' });
  alice = sim.phones.create({ pushName: 'Alice' });
  ({ companion } = await pairWithQr(sim, ctx, owner));
});

afterAll(async () => {
  ctx.closeAll();
  await sim.close();
});

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a5e1a0c80000000049454e44ae426082', 'hex');

async function sendAndRead(content: Parameters<Companion['sock']['sendMessage']>[1]) {
  const sent = await companion.sock.sendMessage(alice.jid, content);
  return alice.waitForMessage((m) => m.id === sent?.key.id);
}

describe('content types sent by Baileys, read on the phone', () => {
  it('text, reply and mentions', async () => {
    const first = await sendAndRead({ text: 'plain' });
    expect(first.text).toBe('plain');
    const quoted = await companion.waitFor(() => companion.upserts.flatMap((u) => u.messages).find((m) => m.key.id === first.id));
    const reply = await sendAndRead({ text: 'a reply @' + alice.phone, mentions: [alice.jid] }, );
    expect(reply.message.extendedTextMessage?.contextInfo?.mentionedJid).toEqual([alice.jid]);
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'quoting' }, { quoted });
    const q = await alice.waitForMessage((m) => m.id === sent?.key.id);
    expect(q.message.extendedTextMessage?.contextInfo?.stanzaId).toBe(first.id);
  });

  it('image through the HTTPS media host, decrypted byte for byte on the phone', async () => {
    const got = await sendAndRead({ image: PNG, caption: 'a pixel' });
    expect(got.kind).toBe('imageMessage');
    expect(got.text).toBe('a pixel');
    expect(await alice.downloadMedia(got)).toEqual(PNG);
  });

  it('video, audio, voice note, document and sticker', async () => {
    const bytes = Buffer.from('not really media, but bytes all the same');
    expect((await sendAndRead({ video: bytes, caption: 'v' })).kind).toBe('videoMessage');
    const ptt = await sendAndRead({ audio: bytes, ptt: true, mimetype: 'audio/ogg; codecs=opus' });
    expect(ptt.message.audioMessage?.ptt).toBe(true);
    expect((await sendAndRead({ audio: bytes, mimetype: 'audio/mp4' })).kind).toBe('audioMessage');
    const doc = await sendAndRead({ document: bytes, mimetype: 'application/pdf', fileName: 'a.pdf' });
    expect(doc.message.documentMessage?.fileName).toBe('a.pdf');
    expect(await alice.downloadMedia(doc)).toEqual(bytes);
    expect((await sendAndRead({ sticker: bytes })).kind).toBe('stickerMessage');
  });

  it('location, contact, poll', async () => {
    const loc = await sendAndRead({ location: { degreesLatitude: 52.52, degreesLongitude: 13.4 } });
    expect(loc.message.locationMessage?.degreesLatitude).toBeCloseTo(52.52);
    const vcard = 'BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nTEL;waid=15550001111:+1 555 000 1111\nEND:VCARD';
    const contact = await sendAndRead({ contacts: { displayName: 'Bob', contacts: [{ vcard }] } });
    expect(contact.message.contactMessage?.vcard).toBe(vcard);
    const poll = await sendAndRead({ poll: { name: 'Lunch?', values: ['yes', 'no'], selectableCount: 1 } });
    expect(poll.text).toBe('Lunch?');
  });

  it('reaction, edit and delete refer to the original message', async () => {
    const original = await companion.sock.sendMessage(alice.jid, { text: 'original' });
    await alice.waitForMessage((m) => m.id === original?.key.id);
    const reaction = await sendAndRead({ react: { text: '👍', key: original!.key } });
    expect(reaction.message.reactionMessage?.key?.id).toBe(original?.key.id);
    const edit = await sendAndRead({ text: 'edited', edit: original!.key });
    expect(edit.message.protocolMessage?.editedMessage?.conversation ?? edit.message.protocolMessage?.editedMessage?.extendedTextMessage?.text).toBe('edited');
    const del = await sendAndRead({ delete: original!.key });
    expect(del.message.protocolMessage?.key?.id).toBe(original?.key.id);
  });
});

describe('content sent by the phone, read by Baileys', () => {
  it('an image the companion downloads through the extra CA', async () => {
    const sent = await alice.send(owner.jid, { image: PNG, caption: 'from alice' });
    const got = await companion.waitForIncoming((m) => m.key.id === sent.id);
    expect(got.message?.imageMessage?.caption).toBe('from alice');
    const bytes = await downloadMediaMessage(got, 'buffer', { options: ctx.trust.fetchOptions });
    expect(Buffer.from(bytes)).toEqual(PNG);
  });

  it('a reaction and a poll', async () => {
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'react to me' });
    const r = await alice.send(owner.jid, { react: { text: '❤️', key: { remoteJid: owner.jid, fromMe: false, id: sent!.key.id! } } });
    const got = await companion.waitForIncoming((m) => m.key.id === r.id);
    expect(got.message?.reactionMessage?.text).toBe('❤️');
    const p = await alice.send(owner.jid, { poll: { name: 'Dinner?', values: ['pizza', 'sushi'], selectableCount: 1 } });
    const poll = await companion.waitForIncoming((m) => m.key.id === p.id);
    expect(poll.message?.pollCreationMessageV3?.name ?? poll.message?.pollCreationMessage?.name).toBe('Dinner?');
  });
});
