import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simWorker, simWorld, until } from '../test-support/sim-worker.js';
import type { SimWorker, SimWorld } from '../test-support/sim-worker.js';

/** The reconnect policy against real disconnects: wa-sim injects the faults, real Baileys reports them. */
let world: SimWorld;
let w: SimWorker;

beforeEach(async () => {
  world = await simWorld();
  w = await simWorker(world);
});
afterEach(async () => {
  await w.close();
  await world.close();
});

async function paired(sessionId = 's1') {
  const owner = world.sim.phones.create();
  await w.manager.start(sessionId, { epoch: 1 });
  const qr = await until(() => w.manager.get(sessionId)?.qr?.raw, 'a QR');
  await world.sim.scan(owner, qr);
  await until(() => w.manager.get(sessionId)?.status === 'CONNECTED', 'CONNECTED');
  const deviceId = owner.companions()[0]!.deviceId;
  return { owner, device: { phone: owner.phone, deviceId } };
}

const statuses = (): string[] => w.events.flatMap((e) => (e.type === 'session.status' ? [e.data.status] : []));

describe('reconnect policy on wa-sim', () => {
  it('pairs with a code typed on the phone instead of a QR', async () => {
    const owner = world.sim.phones.create();
    await w.manager.start('s1', { epoch: 1, pairWithPhone: `+${owner.phone}` });
    const code = await until(() => w.manager.get('s1')?.pairingCode, 'a pairing code');
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    await until(() => w.events.some((e) => e.type === 'session.pairing_code' && e.data.code === code), 'the pairing code event');
    expect(w.events.some((e) => e.type === 'session.qr')).toBe(false);
    await world.sim.enterPairingCode(owner, code);
    await until(() => w.manager.get('s1')?.status === 'CONNECTED', 'CONNECTED by code');
    expect(w.manager.get('s1')?.me?.id).toContain(owner.phone);
  });

  it('reconnects a dropped connection with stored creds, without a QR', async () => {
    const { device } = await paired();
    const qrsBefore = w.events.filter((e) => e.type === 'session.qr').length;
    expect(world.sim.faults.drop(device)).toBe(true);
    await until(() => statuses().filter((s) => s === 'CONNECTED').length === 2, 'a second CONNECTED');
    expect(w.events.filter((e) => e.type === 'session.qr').length).toBe(qrsBefore);
    expect(w.manager.get('s1')?.attempts).toBe(0);
    expect(world.sim.connections.neverOverlapped()).toBe(true);
  });

  it('backs off and reconnects after a 503 stream error', async () => {
    const { device } = await paired();
    world.sim.faults.streamError(device, 503);
    await until(() => statuses().filter((s) => s === 'CONNECTED').length === 2, 'CONNECTED again');
    const reconnecting = w.events.find((e) => e.type === 'session.status' && e.data.statusCode === 503);
    expect(reconnecting).toMatchObject({ data: { status: 'CONNECTING' } });
  });

  it('stops as FAILED on 403 and keeps the creds', async () => {
    const { device } = await paired();
    world.sim.faults.streamError(device, 403);
    await until(() => w.manager.get('s1')?.status === 'FAILED', 'FAILED');
    expect(w.manager.get('s1')?.reason).toBe('forbidden');
    expect(await world.blobs.get('auth/s1/creds.json')).not.toBeNull();
  });

  it('goes LOGGED_OUT and deletes creds when a reconnect is refused with 401', async () => {
    const { device } = await paired();
    world.sim.faults.failNextLogin(device, 401);
    world.sim.faults.drop(device);
    await until(() => w.manager.get('s1')?.status === 'LOGGED_OUT', 'LOGGED_OUT');
    expect(await world.blobs.get('auth/s1/creds.json')).toBeNull();
  });
});
