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

describe('QR pairing with real Baileys', () => {
  it('shows a QR, pairs on scan, restarts with 515 and opens as the phone’s companion', async () => {
    const phone = sim.phones.create({ pushName: 'Owner' });
    const { companion, auth, deviceId, first } = await pairWithQr(sim, ctx, phone);
    expect(first.qrs[0]).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    expect(first.closed?.statusCode).toBe(515);
    expect(companion.opened).toBe(true);
    expect(auth.creds.me?.id).toBe(`${phone.phone}:${deviceId}@s.whatsapp.net`);
    expect(auth.creds.me?.lid).toBe(`${phone.lid}:${deviceId}@lid`);
    expect(phone.companions().map((c) => c.deviceId)).toEqual([deviceId]);
    expect(sim.connections.live()).toEqual([`${phone.phone}:${deviceId}`]);
  });

  it('ends with 408 "QR refs attempts ended" when nobody scans', async () => {
    const c = ctx.connect(freshAuth(), { qrTimeout: 40 });
    const closed = await c.waitForClose();
    expect(closed.statusCode).toBe(408);
    expect(closed.message).toContain('QR refs attempts ended');
    expect(c.qrs).toHaveLength(6);
  });
});
