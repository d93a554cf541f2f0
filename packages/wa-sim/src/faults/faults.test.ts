import { getBinaryNodeChild, proto } from 'baileys';
import type { BinaryNode } from 'baileys';
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator.js';
import { pairWithQr, useSimulatorPerTest } from '../test-support/companion.js';
import type { SimTestContext } from '../test-support/companion.js';

let sim: Simulator;
let ctx: SimTestContext;

useSimulatorPerTest((s, c) => {
  sim = s;
  ctx = c;
});

describe('fault injection', () => {
  it.each([401, 403, 411, 440, 500, 503, 515])('a stream error %i reaches Baileys as that disconnect reason', async (code) => {
    const owner = sim.phones.create();
    const { companion, deviceId } = await pairWithQr(sim, ctx, owner);
    expect(sim.faults.streamError({ phone: owner.phone, deviceId }, code)).toBe(true);
    expect((await companion.waitForClose()).statusCode).toBe(code);
  });

  it('a dropped connection closes Baileys with 428 and a reconnect logs in again', async () => {
    const owner = sim.phones.create();
    const { companion, auth, deviceId } = await pairWithQr(sim, ctx, owner);
    sim.faults.drop({ phone: owner.phone, deviceId });
    expect((await companion.waitForClose()).statusCode).toBe(428);
    const again = ctx.connect(auth);
    await again.waitForOpen();
  });

  it('a failed login answers <failure reason=403>', async () => {
    const owner = sim.phones.create();
    const { companion, auth, deviceId } = await pairWithQr(sim, ctx, owner);
    companion.end();
    sim.faults.failNextLogin({ phone: owner.phone, deviceId }, 403);
    const again = ctx.connect(auth);
    expect((await again.waitForClose()).statusCode).toBe(403);
  });

  it('an error ack marks the sent message failed', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion, deviceId } = await pairWithQr(sim, ctx, owner);
    sim.faults.acks({ phone: owner.phone, deviceId }, { mode: 'error', code: 479 });
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'will fail' });
    // The failure may come as messages.update or folded into the own-message upsert.
    const failed = await companion.waitFor(
      () =>
        companion.updates.find((u) => u.key.id === sent?.key.id && u.update.status === proto.WebMessageInfo.Status.ERROR)?.update ??
        companion.upserts.flatMap((u) => u.messages).find((m) => m.key.id === sent?.key.id && m.status === proto.WebMessageInfo.Status.ERROR),
    );
    expect(failed.messageStubParameters).toEqual(['479']);
    expect(alice.inbox).toHaveLength(0);
  });

  it('answers keep-alive pings, so an idle companion stays open', async () => {
    const owner = sim.phones.create();
    const { companion } = await pairWithQr(sim, ctx, owner, { keepAliveIntervalMs: 200 });
    await new Promise((r) => setTimeout(r, 1200));
    expect(companion.closed).toBeUndefined();
  });

  it('silence trips Baileys’ keep-alive', async () => {
    const owner = sim.phones.create();
    const { companion, deviceId } = await pairWithQr(sim, ctx, owner, { keepAliveIntervalMs: 500 });
    sim.faults.silence({ phone: owner.phone, deviceId });
    // Baileys gives up when nothing arrived for keepAliveIntervalMs + 5 s.
    const closed = await companion.waitForClose(9000);
    expect(closed.statusCode).toBe(408);
  }, 15_000);

  it('a phone that cannot decrypt asks for a retry and Baileys resends', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion } = await pairWithQr(sim, ctx, owner);
    sim.faults.failDecrypt(alice.phone, 1);
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'retry me' });
    const got = await alice.waitForMessage((m) => m.id === sent?.key.id, 5000);
    expect(got.text).toBe('retry me');
  });

  it('a phone that fails one message again escalates the retry count and sends its keys, and Baileys starts a new session from them', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion } = await pairWithQr(sim, ctx, owner);
    const retries: { count: string | undefined; keys: boolean }[] = [];
    companion.sock.ws.on('CB:receipt,type:retry', (node: BinaryNode) => {
      retries.push({ count: getBinaryNodeChild(node, 'retry')?.attrs.count, keys: getBinaryNodeChild(node, 'keys') !== undefined });
    });
    sim.faults.failDecrypt(alice.phone, 2);
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'third time' });
    const got = await alice.waitForMessage((m) => m.id === sent?.key.id, 10_000);
    expect(got.text).toBe('third time');
    expect(retries).toEqual([
      { count: '1', keys: false },
      { count: '2', keys: true },
    ]);
  });

  it('a retry receipt without keys leaves the phone its session: what the companion sends next still decrypts', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const { companion, deviceId } = await pairWithQr(sim, ctx, owner);
    // The companion starts the session (as a worker sending first does), the phone answers on it.
    const first = await companion.sock.sendMessage(alice.jid, { text: 'hello' });
    await alice.waitForMessage((m) => m.id === first?.key.id);
    // The phone's next message arrives broken: the companion asks again (count 1, no keys), and
    // goes on sending on its session while the phone answers that retry.
    sim.faults.corruptDeliveries({ phone: owner.phone, deviceId }, 1);
    const reply = await alice.sendText(owner.jid, 'broken once');
    await companion.waitFor(() => (sim.core.decryptStats.companionRetries === 1 ? true : undefined), 5000, 'the retry receipt');
    const sends = Array.from({ length: 10 }, (_, i) => companion.sock.sendMessage(alice.jid, { text: `meanwhile ${i}` }));
    await companion.waitFor(() => companion.upserts.flatMap((u) => u.messages).find((m) => m.key.id === reply.id && m.message?.conversation));
    for (const sent of await Promise.all(sends)) await alice.waitForMessage((m) => m.id === sent?.key.id, 10_000);
    // None of it failed at the phone: it still had the session those were encrypted on.
    expect(sim.core.decryptStats.phoneRetries).toBe(0);
  });

  it('delivers messages sent while the companion was offline at its next login', async () => {
    const owner = sim.phones.create();
    const bob = sim.phones.create();
    const { companion, auth } = await pairWithQr(sim, ctx, owner);
    companion.end();
    await companion.waitForClose();
    const sent = await bob.sendText(owner.jid, 'while you were away');
    const again = ctx.connect(auth);
    await again.waitForOpen();
    const got = await again.waitFor(() => again.upserts.flatMap((u) => u.messages).find((m) => m.key.id === sent.id));
    expect(got.message?.conversation).toBe('while you were away');
    await again.waitFor(() => [...sent.receipts.values()].some((r) => r.delivery !== undefined), 3000, 'delivery receipt');
  });

  it('Baileys asks for a retry when a message arrives broken, and the phone resends', async () => {
    const owner = sim.phones.create();
    const bob = sim.phones.create();
    const { companion, deviceId } = await pairWithQr(sim, ctx, owner);
    sim.faults.corruptDeliveries({ phone: owner.phone, deviceId }, 1);
    const sent = await bob.sendText(owner.jid, 'second time lucky');
    const got = await companion.waitFor(() => companion.upserts.flatMap((u) => u.messages).find((m) => m.key.id === sent.id && m.message?.conversation));
    expect(got.message?.conversation).toBe('second time lucky');
  });

  it('runs Baileys’ getMessage when a retry finds nothing in its recent-message cache', async () => {
    const owner = sim.phones.create();
    const alice = sim.phones.create();
    const asked: string[] = [];
    const store = new Map<string, proto.IMessage>();
    const { companion } = await pairWithQr(sim, ctx, owner, {
      enableRecentMessageCache: false,
      getMessage: async (key) => {
        asked.push(key.id ?? '');
        return store.get(key.id ?? '');
      },
    });
    sim.faults.failDecrypt(alice.phone, 1);
    const sent = await companion.sock.sendMessage(alice.jid, { text: 'from my store' });
    store.set(sent!.key.id!, sent!.message!);
    const got = await alice.waitForMessage((m) => m.id === sent?.key.id);
    expect(got.text).toBe('from my store');
    expect(asked).toContain(sent?.key.id);
  });
});
