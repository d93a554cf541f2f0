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
let bob: VirtualPhone;
let companion: Companion;

beforeAll(async () => {
  sim = await createSimulator({ rootKeyPair: 'test' });
  ctx = companionFactory(sim);
  owner = sim.phones.create({ pushName: 'Owner' });
  alice = sim.phones.create({ pushName: 'Alice' });
  bob = sim.phones.create({ pushName: 'Bob' });
  ({ companion } = await pairWithQr(sim, ctx, owner));
});

afterAll(async () => {
  ctx.closeAll();
  await sim.close();
});

describe('groups', () => {
  it('creates a group, sends with sender keys and receives from members', async () => {
    const meta = await companion.sock.groupCreate('Team', [alice.jid, bob.jid]);
    expect(meta.subject).toBe('Team');
    expect(meta.participants).toHaveLength(3);
    const fetched = await companion.sock.groupMetadata(meta.id);
    expect(fetched.participants.map((p) => p.phoneNumber).sort()).toEqual([owner.jid, alice.jid, bob.jid].sort());

    const sent = await companion.sock.sendMessage(meta.id, { text: 'hello team' });
    const a = await alice.waitForMessage((m) => m.id === sent?.key.id);
    const b = await bob.waitForMessage((m) => m.id === sent?.key.id);
    expect([a.text, b.text]).toEqual(['hello team', 'hello team']);
    expect(a.chat).toBe(meta.id);
    // A second message reuses the sender key (no new distribution).
    const again = await companion.sock.sendMessage(meta.id, { text: 'second' });
    expect((await bob.waitForMessage((m) => m.id === again?.key.id)).text).toBe('second');

    const fromAlice = await alice.sendText(meta.id, 'hi from alice');
    const got = await companion.waitForIncoming((m) => m.key.id === fromAlice.id);
    expect(got.message?.conversation).toBe('hi from alice');
    expect(got.key.remoteJid).toBe(meta.id);
    expect(got.key.participant).toBe(alice.lidJid);
    // Alice's phone confirms the companion's group message as a per-participant receipt.
    await companion.waitFor(() => companion.receipts.find((r) => r.key.id === sent?.key.id), 3000, 'group receipt');
  });

  it('adds and removes participants, and members see the change', async () => {
    const meta = await companion.sock.groupCreate('Changing', [alice.jid]);
    const carol = sim.phones.create({ pushName: 'Carol' });
    const added = await companion.sock.groupParticipantsUpdate(meta.id, [carol.jid], 'add');
    expect(added[0]?.status).toBe('200');
    const sent = await companion.sock.sendMessage(meta.id, { text: 'welcome carol' });
    expect((await carol.waitForMessage((m) => m.id === sent?.key.id)).text).toBe('welcome carol');
    await companion.sock.groupParticipantsUpdate(meta.id, [alice.jid], 'remove');
    const after = await companion.sock.groupMetadata(meta.id);
    expect(after.participants.map((p) => p.phoneNumber)).not.toContain(alice.jid);
    const groups = await companion.sock.groupFetchAllParticipating();
    expect(Object.keys(groups)).toContain(meta.id);
  });
});

describe('group retries', () => {
  it('resends to the one member device that could not decrypt', async () => {
    const meta = await companion.sock.groupCreate('Retry', [alice.jid, bob.jid]);
    await companion.sock.sendMessage(meta.id, { text: 'warm up' });
    sim.faults.failDecrypt(bob.phone, 1);
    const sent = await companion.sock.sendMessage(meta.id, { text: 'again please' });
    expect((await bob.waitForMessage((m) => m.id === sent?.key.id, 8000)).text).toBe('again please');
    expect(alice.inbox.filter((m) => m.id === sent?.key.id)).toHaveLength(1);
  });
});

describe('presence and profile', () => {
  it('answers presence subscriptions and relays the phone’s online state and typing', async () => {
    const updates: { id: string; presences: Record<string, { lastKnownPresence: string }> }[] = [];
    companion.sock.ev.on('presence.update', (u) => updates.push(u as (typeof updates)[number]));
    await companion.sock.presenceSubscribe(alice.jid);
    await companion.waitFor(() => updates.length > 0, 2000, 'subscription answer');
    alice.setPresence('available');
    await companion.waitFor(() => updates.some((u) => Object.values(u.presences).some((p) => p.lastKnownPresence === 'available')), 2000, 'available');
    alice.typing(owner.jid);
    await companion.waitFor(() => updates.some((u) => Object.values(u.presences).some((p) => p.lastKnownPresence === 'composing')), 2000, 'composing');
  });

  it('returns a profile picture URL when the phone has one, 404 otherwise', async () => {
    alice.profilePictureUrl = 'https://127.0.0.1/pp/alice.jpg';
    expect(await companion.sock.profilePictureUrl(alice.jid)).toBe('https://127.0.0.1/pp/alice.jpg');
    await expect(companion.sock.profilePictureUrl(bob.jid)).rejects.toThrow();
  });
});
