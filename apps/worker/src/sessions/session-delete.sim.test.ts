import { describe, expect, it } from 'vitest';
import { StaleEpochError } from '../auth-state/index.js';
import { until, useSimWorldPerTest } from '../test-support/sim-worker.js';
import type { SimWorker } from '../test-support/sim-worker.js';

/** Deleting a session on real Baileys against wa-sim: unlink, then nothing left in the BlobStore. */
const kit = useSimWorldPerTest();
const worker = kit.worker;
const pairByQr = (w: SimWorker, sessionId: string, epoch = 1) => kit.pairByQr(w, sessionId, epoch, `Owner ${sessionId}`);

const keysUnder = async (prefix: string): Promise<string[]> => (await kit.world.blobs.list(prefix, { limit: 1000 })).items.map((i) => i.key);

describe('deleting a session on wa-sim', () => {
  it('unlinks the device from WhatsApp and removes creds, keys, history and media, leaving other sessions alone', async () => {
    const w = await worker();
    const owner = await pairByQr(w, 's1');
    const other = await pairByQr(w, 's2');
    const bob = kit.world.sim.phones.create({ pushName: 'Bob' });
    const picture = await bob.send(owner.jid, { image: Buffer.alloc(3000, 7), caption: 'a picture', mimetype: 'image/jpeg' });
    await until(async () => (await w.history.getMessage('s1', picture.id))?.media?.blobKey, 'the media stored');
    const sent = await w.manager.send('s1', { type: 'text', to: `+${bob.phone}`, text: 'before the delete' });
    await bob.waitForMessage((m) => m.id === sent.id);
    await w.manager.send('s2', { type: 'text', to: `+${bob.phone}`, text: 'from the session that stays' });
    await w.history.flush();
    expect(owner.companions()).toHaveLength(1);
    expect(await keysUnder('history/s1/')).not.toEqual([]);
    expect(await keysUnder('media/s1/')).not.toEqual([]);

    await expect(w.manager.delete('s1', 0)).rejects.toBeInstanceOf(StaleEpochError);
    await w.manager.delete('s1', 1);

    expect(w.manager.get('s1')).toBeUndefined();
    // Logged out at WhatsApp: the owner's phone no longer lists the linked device.
    await until(() => owner.companions().length === 0, 'the device unlinked on the phone');
    for (const prefix of ['auth/s1/', 'history/s1/', 'media/s1/', 'temp/qr/s1']) expect(await keysUnder(prefix)).toEqual([]);
    expect(await w.history.query('s1')).toEqual({ messages: [], nextCursor: null });
    // The other session is untouched and still works.
    expect(w.manager.get('s2')?.status).toBe('CONNECTED');
    expect(await kit.world.blobs.get('auth/s2/creds.json')).not.toBeNull();
    expect(await keysUnder('history/s2/')).not.toEqual([]);
    expect(other.companions()).toHaveLength(1);
    const after = await w.manager.send('s2', { type: 'text', to: `+${bob.phone}`, text: 'still here' });
    expect((await bob.waitForMessage((m) => m.id === after.id)).text).toBe('still here');
  });

  it('deletes the stored state of a session this worker does not host, fencing its former holder', async () => {
    const a = await worker('wa');
    await pairByQr(a, 's1');
    await a.manager.stop('s1');
    expect(await kit.world.blobs.get('auth/s1/creds.json')).not.toBeNull();
    const b = await worker('wb');
    // Same epoch but another worker: the gateway must move the epoch on before deleting elsewhere.
    await expect(b.manager.delete('s1', 1)).rejects.toBeInstanceOf(StaleEpochError);
    await b.manager.delete('s1', 2);
    expect(await keysUnder('auth/s1/')).toEqual([]);
    expect(await keysUnder('history/s1/')).toEqual([]);
  });
});
