import type { proto } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { now } from '../core/sim-core.js';
import { deviceKey } from '../network/device-registry.js';
import { lidJid } from '../network/jids.js';
import type { Connection } from '../server/connection.js';

/** A returning companion (`username:device`): accept, replace an older socket, flush offline. */
export async function login(core: SimCore, conn: Connection, payload: proto.ClientPayload): Promise<void> {
  const phone = String(payload.username ?? '');
  const deviceId = Number(payload.device ?? 0);
  const key = deviceKey(phone, deviceId);
  const device = core.registry.companion(phone, deviceId);
  const forced = core.faults.loginFailures.get(key);
  if (forced !== undefined) core.faults.loginFailures.delete(key);
  const unknown = device === undefined || conn.clientStatic === undefined || !Buffer.from(device.noiseKey).equals(Buffer.from(conn.clientStatic));
  if (unknown || forced !== undefined) {
    conn.send({ tag: 'failure', attrs: { reason: String(forced ?? 401), location: 'sim' } });
    conn.close(`login refused (${forced ?? 401})`);
    return;
  }
  const previous = core.live.get(key);
  if (previous !== undefined && previous !== conn) {
    previous.streamError(undefined, { tag: 'conflict', attrs: { type: 'replaced' } });
  }
  conn.device = { phone, deviceId };
  conn.record.device = key;
  conn.record.loggedInAt = Date.now();
  core.live.set(key, conn);
  const lid = core.registry.lidOf(phone) ?? phone;
  conn.send({ tag: 'success', attrs: { t: now(), lid: lidJid(lid, deviceId), props: '1', abprops: '1', location: 'sim', creation: now() } });
  // WhatsApp hands out edge routing info; Baileys stores it and sends it back in the ED header.
  conn.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'edge_routing', attrs: {}, content: [{ tag: 'routing_info', attrs: {}, content: Buffer.from(`sim:${key}`) }] }] });
  const pending = device.offline.splice(0);
  for (const node of pending) conn.send(node);
  conn.send({ tag: 'ib', attrs: { from: 's.whatsapp.net' }, content: [{ tag: 'offline', attrs: { count: String(pending.length) } }] });
  if (device.needsInitialHistory) {
    device.needsInitialHistory = false;
    core.phones.get(phone)?.sendInitialHistory(deviceId).catch((err: unknown) => conn.log.warn({ err }, 'Initial history push failed'));
  }
  await Promise.resolve();
}
