import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimulator } from '../simulator.js';
import type { Simulator } from '../simulator.js';
import { companionFactory, pairWithQr } from '../test-support/companion.js';
import type { SimTestContext } from '../test-support/companion.js';

const sims: Simulator[] = [];
const contexts: SimTestContext[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of contexts.splice(0)) c.closeAll();
  for (const s of sims.splice(0)) await s.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function call(sim: Simulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.controlUrl}${path}`, { method, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  return { status: res.status, json: await res.json() };
}

describe('HTTP control API', () => {
  it('creates phones, scans a QR, sends, reads the inbox with receipts and lists connections', async () => {
    const sim = await createSimulator({ rootKeyPair: 'test' });
    sims.push(sim);
    const ctx = companionFactory(sim);
    contexts.push(ctx);
    const owner = (await call(sim, 'POST', '/phones', { pushName: 'Owner' })).json as { phone: string; jid: string };
    const alice = (await call(sim, 'POST', '/phones', { pushName: 'Alice' })).json as { phone: string; jid: string };
    const first = ctx.connect();
    const qr = await first.waitForQr();
    const paired = await call(sim, 'POST', `/phones/${owner.phone}/scan`, { qr });
    expect(paired.status).toBe(200);
    await first.waitForClose();
    const companion = ctx.connect(first.auth);
    await companion.waitForOpen();

    const sent = await call(sim, 'POST', `/phones/${alice.phone}/messages`, { to: owner.phone, text: 'via http' });
    const id = (sent.json as { id: string }).id;
    const got = await companion.waitForIncoming((m) => m.key.id === id);
    expect(got.message?.conversation).toBe('via http');
    await companion.sock.readMessages([got.key]);
    let read = false;
    for (let i = 0; i < 100 && !read; i++) {
      const outbox = (await call(sim, 'GET', `/phones/${alice.phone}/sent`)).json as { id: string; receipts: Record<string, { read?: number }> }[];
      read = Object.values(outbox.find((s) => s.id === id)?.receipts ?? {}).some((r) => r.read !== undefined);
      if (!read) await new Promise((r) => setTimeout(r, 20));
    }
    expect(read).toBe(true);

    const reply = await companion.sock.sendMessage(alice.jid, { text: 'answer' });
    await sim.phones.get(alice.phone)!.waitForMessage((m) => m.id === reply?.key.id);
    const inbox = (await call(sim, 'GET', `/phones/${alice.phone}/inbox`)).json as { id: string; text: string }[];
    expect(inbox.find((m) => m.id === reply?.key.id)?.text).toBe('answer');

    const conns = (await call(sim, 'GET', '/connections')).json as { neverOverlapped: boolean; connections: unknown[] };
    expect(conns.neverOverlapped).toBe(true);
    expect(conns.connections.length).toBeGreaterThanOrEqual(2);
    const fault = await call(sim, 'POST', '/faults', { phone: owner.phone, deviceId: (paired.json as { deviceId: number }).deviceId, action: 'stream-error', code: 503 });
    expect(fault.json).toEqual({ applied: true });
    expect((await companion.waitForClose()).statusCode).toBe(503);
    expect((await call(sim, 'GET', '/phones/999')).status).toBe(404);
  });

  it('persists phones and devices: a companion logs in again after a simulator restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wa-sim-'));
    dirs.push(dir);
    const sim = await createSimulator({ rootKeyPair: 'test', dataDir: dir });
    const ctx = companionFactory(sim);
    const owner = sim.phones.create({ phone: '15550101010' });
    const bob = sim.phones.create({ phone: '15550202020' });
    const { companion, auth } = await pairWithQr(sim, ctx, owner);
    const before = await bob.sendText(owner.jid, 'before restart');
    await companion.waitForIncoming((m) => m.key.id === before.id);
    ctx.closeAll();
    await sim.close();

    const again = await createSimulator({ rootKeyPair: 'test', dataDir: dir });
    sims.push(again);
    const ctx2 = companionFactory(again);
    contexts.push(ctx2);
    const restored = ctx2.connect(auth);
    await restored.waitForOpen();
    const bob2 = again.phones.get('15550202020')!;
    const after = await bob2.sendText(owner.jid, 'after restart');
    const got = await restored.waitForIncoming((m) => m.key.id === after.id);
    expect(got.message?.conversation).toBe('after restart');
  });
});
