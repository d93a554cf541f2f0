import { proto } from 'baileys';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../simulator.js';
import type { Simulator } from '../simulator.js';
import { companionFactory, pairWithQr } from '../test-support/companion.js';
import type { SimTestContext } from '../test-support/companion.js';

let sim: Simulator;
let ctx: SimTestContext;

beforeEach(async () => {
  sim = await createSimulator({ rootKeyPair: 'test', receiptDelays: { delivery: 0, read: 30 } });
  ctx = companionFactory(sim);
});

afterEach(async () => {
  ctx.closeAll();
  await sim.close();
});

describe('1:1 messaging between Baileys and virtual phones', () => {
  it('delivers a sent text to the peer phone, which confirms delivery and read', async () => {
    const owner = sim.phones.create({ pushName: 'Owner' });
    const alice = sim.phones.create({ pushName: 'Alice' });
    const { companion } = await pairWithQr(sim, ctx, owner);
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'hello from baileys' });
    const got = await alice.waitForMessage((m) => m.id === sent?.key.id);
    expect(got.text).toBe('hello from baileys');
    expect(got.chat).toBe(owner.jid);
    expect(got.fromMe).toBe(false);
    // The owner's own phone sees the message its companion sent (device-sent message).
    const mirrored = await owner.waitForMessage((m) => m.id === sent?.key.id);
    expect(mirrored.fromMe).toBe(true);
    expect(mirrored.chat).toBe(alice.jid);
    await companion.waitFor(() => companion.statusOf(sent?.key.id) === proto.WebMessageInfo.Status.READ, 5000, 'read receipt');
    expect(alice.inbox.find((m) => m.id === sent?.key.id)?.receiptsSent.delivery).toBeDefined();
  });

  it('delivers a phone’s messages to the companion (pkmsg, then msg) and records its receipts', async () => {
    const owner = sim.phones.create();
    const bob = sim.phones.create({ pushName: 'Bob' });
    const { companion } = await pairWithQr(sim, ctx, owner);
    const first = await bob.sendText(owner.jid, 'hi baileys');
    const second = await bob.sendText(owner.jid, 'second one');
    const m1 = await companion.waitForIncoming((m) => m.key.id === first.id);
    const m2 = await companion.waitForIncoming((m) => m.key.id === second.id);
    expect(m1.message?.conversation).toBe('hi baileys');
    expect(m2.message?.conversation).toBe('second one');
    expect(m1.key.remoteJid).toBe(bob.lidJid);
    expect(m1.key.remoteJidAlt).toBe(bob.jid);
    expect(m1.pushName).toBe('Bob');
    await companion.sock.readMessages([m1.key]);
    await companion.waitFor(() => first.receipts.size > 0 && [...first.receipts.values()].some((r) => r.read !== undefined), 3000, 'read receipt on the phone');
    expect([...first.receipts.values()].some((r) => r.delivery !== undefined)).toBe(true);
  });

  it('answers onWhatsApp for registered and unknown numbers', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion } = await pairWithQr(sim, ctx, owner);
    const result = await companion.sock.onWhatsApp(alice.jid, '15559990000@s.whatsapp.net');
    expect(result).toEqual([{ jid: alice.jid, exists: true }]);
  });

  it('shows messages typed on the account’s own phone on its companion as fromMe', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion } = await pairWithQr(sim, ctx, owner);
    const sent = await owner.sendText(alice.jid, 'typed on the phone');
    const mirrored = await companion.waitFor(() => companion.upserts.flatMap((u) => u.messages).find((m) => m.key.id === sent.id));
    expect(mirrored.key.fromMe).toBe(true);
    expect(mirrored.message?.conversation).toBe('typed on the phone');
    expect((await alice.waitForMessage((m) => m.id === sent.id)).text).toBe('typed on the phone');
  });

  it('lets two Baileys sessions of different accounts talk through the simulator', async () => {
    const a = sim.phones.create({ pushName: 'A' });
    const b = sim.phones.create({ pushName: 'B' });
    const { companion: ca } = await pairWithQr(sim, ctx, a);
    const { companion: cb } = await pairWithQr(sim, ctx, b);
    const sent = await ca.sock.sendMessage(b.jid, { text: 'hello B' });
    const got = await cb.waitForIncoming((m) => m.key.id === sent?.key.id);
    // Baileys sends text as extendedTextMessage.
    expect(got.message?.extendedTextMessage?.text).toBe('hello B');
    expect((await b.waitForMessage((m) => m.id === sent?.key.id)).text).toBe('hello B');
    const back = await cb.sock.sendMessage(a.jid, { text: 'hello A' });
    expect((await ca.waitForIncoming((m) => m.key.id === back?.key.id)).message?.extendedTextMessage?.text).toBe('hello A');
    await ca.sock.readMessages([(await ca.waitForIncoming((m) => m.key.id === back?.key.id)).key]);
    await cb.waitFor(() => cb.statusOf(back?.key.id) === proto.WebMessageInfo.Status.READ, 5000, 'read from A');
  });

  it('tells a peer’s Baileys about a newly linked device so it encrypts to it too', async () => {
    const a = sim.phones.create();
    const b = sim.phones.create();
    const { companion: ca } = await pairWithQr(sim, ctx, a);
    const { companion: b1 } = await pairWithQr(sim, ctx, b);
    const first = await ca.sock.sendMessage(b.jid, { text: 'before' });
    await b1.waitForIncoming((m) => m.key.id === first?.key.id);
    const { companion: b2 } = await pairWithQr(sim, ctx, b);
    const second = await ca.sock.sendMessage(b.jid, { text: 'after' });
    const got = await b2.waitForIncoming((m) => m.key.id === second?.key.id);
    expect(got.message?.extendedTextMessage?.text).toBe('after');
  });

  it('accepts sends addressed to a LID and answers in LID addressing', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion } = await pairWithQr(sim, ctx, owner);
    const sent = await companion.sock.sendMessage(alice.lidJid, { text: 'to a lid' });
    expect((await alice.waitForMessage((m) => m.id === sent?.key.id)).text).toBe('to a lid');
    await companion.waitFor(() => companion.statusOf(sent?.key.id) === proto.WebMessageInfo.Status.READ, 5000, 'read via lid');
  });
});
