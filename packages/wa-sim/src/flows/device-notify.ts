import type { SimCore } from '../core/sim-core.js';
import { now } from '../core/sim-core.js';
import { lidJid, pnJid } from '../network/jids.js';

/**
 * Tells the account's other companions and everyone it has talked to that a device was linked
 * or removed, so Baileys' cached device lists (5 min) do not miss it or keep encrypting to it.
 */
export function notifyDeviceChange(core: SimCore, phone: string, deviceId: number, change: 'add' | 'remove'): void {
  const lid = core.registry.lidOf(phone) ?? phone;
  const audience = new Set([phone, ...(core.peers.get(phone) ?? [])]);
  for (const member of audience) {
    for (const d of core.registry.companionsOf(member)) {
      if (member === phone && d.deviceId === deviceId) continue;
      core.sendToDevice(
        { phone: member, deviceId: d.deviceId },
        {
          tag: 'notification',
          attrs: { from: pnJid(phone), type: 'devices', id: `devices-${Date.now()}-${deviceId}`, t: now() },
          content: [{ tag: change, attrs: {}, content: [{ tag: 'device', attrs: { jid: pnJid(phone, deviceId) } }, { tag: 'device', attrs: { jid: lidJid(lid, deviceId) } }] }],
        },
      );
    }
  }
}
