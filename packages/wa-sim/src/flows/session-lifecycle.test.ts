import { describe, expect, it } from 'vitest';
import type { Simulator } from '../simulator.js';
import { freshAuth, pairWithQr, useSimulatorPerTest } from '../test-support/companion.js';
import type { SimTestContext } from '../test-support/companion.js';

let sim: Simulator;
let ctx: SimTestContext;

useSimulatorPerTest((s, c) => {
  sim = s;
  ctx = c;
});

describe('session lifecycle', () => {
  it('restores a paired session from saved creds without a QR', async () => {
    const owner = sim.phones.create();
    const { companion, auth } = await pairWithQr(sim, ctx, owner);
    companion.end();
    await companion.waitForClose();
    // The first login handed out edge routing info; the restore sends it back in an ED header.
    expect(Buffer.from(auth.creds.routingInfo ?? []).toString()).toContain('sim:');
    const again = ctx.connect(auth);
    await again.waitForOpen();
    expect(again.qrs).toHaveLength(0);
    expect(sim.connections.neverOverlapped()).toBe(true);
    const live = [...sim.core.connections.values()].find((c) => c.device !== undefined);
    expect(live?.routingInfo?.toString()).toBe(Buffer.from(auth.creds.routingInfo!).toString());
  });

  it('logs out: remove-companion-device closes with 401 and the device is gone', async () => {
    const owner = sim.phones.create();
    const { companion, auth } = await pairWithQr(sim, ctx, owner);
    await companion.sock.logout();
    expect((await companion.waitForClose()).statusCode).toBe(401);
    expect(owner.companions()).toHaveLength(0);
    const again = ctx.connect(auth);
    expect((await again.waitForClose()).statusCode).toBe(401);
  });

  it('unlinks from the phone with 401 device_removed', async () => {
    const owner = sim.phones.create();
    const { companion, deviceId } = await pairWithQr(sim, ctx, owner);
    owner.unlink(deviceId);
    const closed = await companion.waitForClose();
    expect(closed.statusCode).toBe(401);
    expect(owner.companions()).toHaveLength(0);
  });

  it('replaces the older socket with 440 when the same device logs in twice', async () => {
    const owner = sim.phones.create();
    const { companion, auth } = await pairWithQr(sim, ctx, owner);
    const second = ctx.connect({ creds: auth.creds, keys: auth.keys });
    await second.waitForOpen();
    expect((await companion.waitForClose()).statusCode).toBe(440);
    expect(sim.connections.neverOverlapped()).toBe(true);
    expect(sim.connections.live()).toHaveLength(1);
  });

  it('refuses an unknown device with 401', async () => {
    const auth = freshAuth();
    auth.creds.me = { id: '15550000099:3@s.whatsapp.net' };
    const c = ctx.connect(auth);
    expect((await c.waitForClose()).statusCode).toBe(401);
  });

  it('pairs with a pairing code typed on the phone', async () => {
    const owner = sim.phones.create();
    const auth = freshAuth();
    const first = ctx.connect(auth);
    await first.waitForQr();
    const code = await first.sock.requestPairingCode(owner.phone);
    const paired = await owner.enterPairingCode(code);
    expect((await first.waitForClose()).statusCode).toBe(515);
    expect(auth.creds.me?.id).toBe(paired.jid);
    const second = ctx.connect(auth);
    await second.waitForOpen();
  });

  it('fails pairing when the wrong code is typed', async () => {
    const owner = sim.phones.create();
    const first = ctx.connect(freshAuth());
    await first.waitForQr();
    await first.sock.requestPairingCode(owner.phone);
    await expect(sim.enterPairingCode(owner, 'AAAABBBB')).rejects.toThrow();
    expect(owner.companions()).toHaveLength(0);
  });
});
