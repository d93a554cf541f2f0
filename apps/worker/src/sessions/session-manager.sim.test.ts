import { describe, expect, it } from 'vitest';
import { until, useSimWorldPerTest } from '../test-support/sim-worker.js';

/** Real Baileys rc14 against wa-sim, through the worker's own stack (manager → runtime → Baileys adapter → FsBlobStore). */
const kit = useSimWorldPerTest();
const worker = kit.worker;
const pairByQr = kit.pairByQr;

describe('worker sessions on wa-sim', () => {
  it('pairs by QR: QR_READY with string and PNG, then CONNECTED after the scan', async () => {
    const w = await worker();
    const started = Date.now();
    const owner = await pairByQr(w, 's1');
    const pairMs = Date.now() - started;
    const snapshot = w.manager.get('s1')!;
    expect(snapshot.me?.id).toContain(owner.phone);
    expect(snapshot.qr).toBeUndefined();
    const qrEvent = w.events.find((e) => e.type === 'session.qr');
    expect(qrEvent?.type === 'session.qr' && qrEvent.data.qr.startsWith('https://wa.me/settings/linked_devices#')).toBe(true);
    await until(() => w.events.some((e) => e.type === 'session.status' && e.data.status === 'CONNECTED'), 'the CONNECTED event');
    const statuses = w.events.flatMap((e) => (e.type === 'session.status' ? [e.data.status] : []));
    expect(statuses).toEqual(['CONNECTING', 'QR_READY', 'CONNECTING', 'CONNECTED']);
    const connected = w.events.find((e) => e.type === 'session.status' && e.data.status === 'CONNECTED');
    expect(connected?.type === 'session.status' && connected.data.phoneNumber).toBe(`+${owner.phone}`);
    expect(await kit.world.blobs.get('auth/s1/creds.json')).not.toBeNull();
    const keys = await kit.world.blobs.list('auth/s1/keys/', { limit: 1000 });
    const creds = await kit.world.blobs.head('auth/s1/creds.json');
    process.stdout.write(`[measure] pair+open ${pairMs} ms; creds ${creds?.size} B; ${keys.items.length} key objects, ${keys.items.reduce((n, i) => n + i.size, 0)} B\n`);
  });

  it('sends a text that the peer reads, and records delivery status from Baileys', async () => {
    const w = await worker();
    await pairByQr(w, 's1');
    const alice = kit.world.sim.phones.create({ pushName: 'Alice' });
    const sent = await w.manager.send('s1', { type: 'text', to: `+${alice.phone}`, text: 'hello alice' }, 'req-1');
    const got = await alice.waitForMessage((m) => m.id === sent.id);
    expect(got.text).toBe('hello alice');
    // The same request id does not send twice.
    expect((await w.manager.send('s1', { type: 'text', to: `+${alice.phone}`, text: 'hello alice' }, 'req-1')).id).toBe(sent.id);
    const read = await until(() => w.events.find((e) => e.type === 'message.status' && e.data.messageId === sent.id && e.data.status === 'READ'), 'a READ status event');
    expect(read.type === 'message.status' && read.data.chatId).toBe(alice.jid);
    const stored = await w.history.getMessage('s1', sent.id);
    expect(stored?.status).toBe('read');
    expect(w.events.some((e) => e.type === 'message.sent' && e.data.message.id === sent.id)).toBe(true);
  });

  it('receives a text addressed by LID under the phone-number chat, with both aliases', async () => {
    const w = await worker();
    const owner = await pairByQr(w, 's1');
    const bob = kit.world.sim.phones.create({ pushName: 'Bob' });
    const first = await bob.sendText(owner.jid, 'hi worker');
    const event = await until(() => w.events.find((e) => e.type === 'message.received' && e.data.message.id === first.id), 'message.received');
    expect(event.type === 'message.received' && event.data.message).toMatchObject({ chatId: bob.jid, from: bob.jid, text: 'hi worker', fromMe: false });
    const page = await w.history.query('s1', { chatId: bob.lidJid });
    expect(page.messages.map((m) => m.id)).toEqual([first.id]);
    expect(page.messages[0]?.chatAliases).toEqual([bob.jid, bob.lidJid]);
  });

  it('restores in a new worker on the same BlobStore with no QR, and the old socket never overlaps', async () => {
    const a = await worker('w1');
    const owner = await pairByQr(a, 's1');
    await a.manager.stop('s1');
    const b = await worker('w2');
    await b.manager.start('s1', { epoch: 2 });
    await until(() => b.manager.get('s1')?.status === 'CONNECTED', 'CONNECTED from stored creds');
    expect(b.events.some((e) => e.type === 'session.qr')).toBe(false);
    expect(b.manager.get('s1')?.me?.id).toContain(owner.phone);
    expect(kit.world.sim.connections.neverOverlapped()).toBe(true);
    // And the restored session still talks.
    const carol = kit.world.sim.phones.create();
    const sent = await b.manager.send('s1', { type: 'text', to: carol.jid, text: 'after restore' });
    expect((await carol.waitForMessage((m) => m.id === sent.id)).text).toBe('after restore');
  });

  it('fences a live worker when a newer epoch takes the session elsewhere', async () => {
    const a = await worker('w1');
    await pairByQr(a, 's1');
    const b = await worker('w2');
    await b.manager.start('s1', { epoch: 2 });
    await until(() => b.manager.get('s1')?.status === 'CONNECTED', 'B connected');
    // WhatsApp replaces A's socket (440) and A's fenced store refuses to write; A drops the session.
    await until(() => a.events.some((e) => e.type === 'session.status' && e.data.status === 'DISCONNECTED'), 'A reporting DISCONNECTED');
    await until(() => a.manager.get('s1') === undefined || a.manager.get('s1')?.status === 'DISCONNECTED', 'A stopped');
    expect(a.events.filter((e) => e.type === 'session.status').at(-1)).toMatchObject({ data: { status: 'DISCONNECTED' } });
    expect(kit.world.sim.connections.neverOverlapped()).toBe(true);
    expect(JSON.parse((await kit.world.blobs.get('auth/s1/epoch'))!.toString('utf8'))).toMatchObject({ epoch: 2, workerId: 'w2' });
  });

  it('logs out: the device is unlinked and its creds deleted', async () => {
    const w = await worker();
    const owner = await pairByQr(w, 's1');
    await w.manager.logout('s1');
    expect(await kit.world.blobs.get('auth/s1/creds.json')).toBeNull();
    expect((await kit.world.blobs.list('auth/s1/keys/')).items).toHaveLength(0);
    await until(() => owner.companions().length === 0, 'the phone to forget the companion');
    expect(w.events.filter((e) => e.type === 'session.status').at(-1)).toMatchObject({ data: { status: 'LOGGED_OUT' } });
  });

  it('goes LOGGED_OUT and deletes creds when the phone unlinks the device', async () => {
    const w = await worker();
    const owner = await pairByQr(w, 's1');
    kit.world.sim.unlink(owner, owner.companions()[0]!.deviceId);
    await until(() => w.manager.get('s1')?.status === 'LOGGED_OUT', 'LOGGED_OUT');
    expect(await kit.world.blobs.get('auth/s1/creds.json')).toBeNull();
  });

  it('stores incoming media in the BlobStore and serves it back', async () => {
    const w = await worker();
    const owner = await pairByQr(w, 's1');
    const bob = kit.world.sim.phones.create({ pushName: 'Bob' });
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const sent = await bob.send(owner.jid, { image: bytes, caption: 'a picture', mimetype: 'image/jpeg' });
    const event = await until(() => w.events.find((e) => e.type === 'message.received' && e.data.message.id === sent.id), 'message.received');
    expect(event.type === 'message.received' && event.data.message).toMatchObject({ type: 'image', media: { mimetype: 'image/jpeg', caption: 'a picture' } });
    const stored = await until(async () => (await w.history.getMessage('s1', sent.id))?.media?.blobKey, 'the media stored', 10_000);
    expect(stored).toBe(`media/s1/images/${sent.id}`);
    const atRest = (await kit.world.blobs.get(stored))!;
    expect(atRest.includes(bytes.subarray(0, 64))).toBe(false);
    expect(kit.world.keyring.open(atRest, stored).equals(bytes)).toBe(true);
    const served = await w.manager.media('s1', sent.id);
    expect(served.mimetype).toBe('image/jpeg');
    expect(served.data.equals(bytes)).toBe(true);
  });

  it('creates a group, sends to it, and files members\' messages under the group with the sender', async () => {
    const w = await worker();
    const owner = await pairByQr(w, 's1');
    const alice = kit.world.sim.phones.create({ pushName: 'Alice' });
    const bob = kit.world.sim.phones.create({ pushName: 'Bob' });
    const client = w.manager.client('s1');
    const group = await client.groupCreate('Team', [`+${alice.phone}`, bob.jid]);
    expect(group.subject).toBe('Team');
    expect(group.participants.map((p) => p.phoneJid).sort()).toEqual([owner.jid, alice.jid, bob.jid].sort());
    const sent = await w.manager.send('s1', { type: 'text', to: group.id, text: 'hello team' });
    expect((await bob.waitForMessage((m) => m.id === sent.id)).text).toBe('hello team');
    const fromAlice = await alice.sendText(group.id, 'hi from alice');
    const event = await until(() => w.events.find((e) => e.type === 'message.received' && e.data.message.id === fromAlice.id), 'the group message');
    expect(event.type === 'message.received' && event.data.message).toMatchObject({ chatId: group.id, from: alice.jid, to: group.id, text: 'hi from alice' });
    const results = await client.groupParticipants(group.id, [bob.jid], 'remove');
    expect(results).toEqual([{ participant: expect.any(String), ok: true, code: 200 }]);
    expect((await client.groupMetadata(group.id)).participants.map((p) => p.phoneJid)).not.toContain(bob.jid);
  });
});
