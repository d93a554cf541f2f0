import { describe, expect, it } from 'vitest';
import { until, useSimWorldPerTest } from '../test-support/sim-worker.js';
import type { SimWorker } from '../test-support/sim-worker.js';

// libsignal (in the simulator's phones, in this process) prints session objects to the console.
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  // eslint-disable-next-line no-console -- silencing libsignal, not printing
  console[method] = () => undefined;
}

const kit = useSimWorldPerTest();

describe('a session moved to another worker under two-way traffic', () => {
  it('loses nothing, and neither side fails a single decrypt', { timeout: 90_000 }, async () => {
    const { world } = kit;
    const w1 = await kit.worker('w1');
    const owner = await kit.pairByQr(w1, 's1');
    const customer = world.sim.phones.create({ pushName: 'Customer' });
    const journaled = (w: SimWorker, id: string) => w.events.some((e) => e.type === 'message.received' && e.data.message.id === id);

    // Each side starts its own session, as in a real first exchange (the customer writes first,
    // the worker answers on a session it initiated).
    const hello = await customer.sendText(owner.jid, 'hello');
    await until(() => journaled(w1, hello.id), 'hello journaled');
    const welcome = await w1.manager.send('s1', { type: 'text', to: `+${customer.phone}`, text: 'welcome' });
    await customer.waitForMessage((m) => m.id === welcome.id);

    /** 20 sends and 20 customer messages at once; every one must arrive. */
    const burst = async (w: SimWorker, tag: string) => {
      const outs = Array.from({ length: 20 }, (_, i) => w.manager.send('s1', { type: 'text', to: `+${customer.phone}`, text: `${tag}-out-${i}` }));
      const ins = await Promise.all(Array.from({ length: 20 }, (_, i) => customer.sendText(owner.jid, `${tag}-in-${i}`)));
      for (const [i, out] of (await Promise.all(outs)).entries()) expect((await customer.waitForMessage((m) => m.id === out.id, 20_000)).text).toBe(`${tag}-out-${i}`);
      await until(() => ins.every((m) => journaled(w, m.id)), `${tag}: the customer's messages journaled`, 20_000);
    };
    await burst(w1, 'before');

    // The move: the new worker's Baileys fetches the customer's devices again (its cache is empty)
    // and opens a new session while the customer's messages in flight are on the old one.
    await w1.manager.stop('s1');
    await until(() => world.sim.connections.live().length === 0, 'the old socket gone');
    const w2 = await kit.worker('w2');
    await w2.manager.start('s1', { epoch: 2 });
    await until(() => w2.manager.get('s1')?.status === 'CONNECTED', 'CONNECTED on the new worker');
    await burst(w2, 'after');

    // Measured without the libsignal fix (libsignal-trial-decrypt.ts): 10–17 failed decrypts at the
    // customer's phone and sends that never arrived.
    expect(world.sim.core.decryptStats).toEqual({ companionRetries: 0, phoneRetries: 0 });
  });
});
