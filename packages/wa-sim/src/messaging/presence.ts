import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { lidJid, pnJid } from '../network/jids.js';
import type { Connection } from '../server/connection.js';

/**
 * Presence: a companion's `available`/`unavailable` is remembered per account; `subscribe`
 * is answered with the target's presence; chat states (typing…) are relayed to the peer's devices.
 */
export function handleClientPresence(core: SimCore, conn: Connection, node: BinaryNode): void {
  const me = conn.device;
  if (me === undefined) return;
  if (node.tag === 'presence') {
    const type = node.attrs.type;
    if (type === 'available' || type === 'unavailable') {
      core.presence.set(me.phone, type);
      return;
    }
    if (type === 'subscribe') {
      const target = core.registry.resolve(node.attrs.to);
      if (target === undefined) return;
      let subscribers = core.presenceSubscribers.get(target.phone);
      if (subscribers === undefined) core.presenceSubscribers.set(target.phone, (subscribers = new Set()));
      subscribers.add(`${me.phone}:${me.deviceId}`);
      const state = core.presence.get(target.phone) ?? 'unavailable';
      const from = node.attrs.to?.endsWith('@lid') ? lidJid(core.registry.lidOf(target.phone) ?? target.phone) : pnJid(target.phone);
      conn.send({ tag: 'presence', attrs: { from, ...(state === 'unavailable' ? { type: 'unavailable', last: String(Math.floor(Date.now() / 1000) - 60) } : {}) } });
    }
    return;
  }
  // <chatstate to=peer><composing/></chatstate>: relay to every companion of the peer.
  const target = core.registry.resolve(node.attrs.to);
  if (target === undefined) return;
  const content = Array.isArray(node.content) ? node.content : [];
  const from = lidJid(core.registry.lidOf(me.phone) ?? me.phone);
  for (const d of core.registry.companionsOf(target.phone)) {
    core.sendToDevice({ phone: target.phone, deviceId: d.deviceId }, { tag: 'chatstate', attrs: { from }, content }, { queueIfOffline: false });
  }
}

/** A virtual phone goes online/offline: tell the companions that subscribed to it. */
export function announcePresence(core: SimCore, phone: string, state: 'available' | 'unavailable'): void {
  core.presence.set(phone, state);
  for (const key of core.presenceSubscribers.get(phone) ?? []) {
    const [p, d] = key.split(':');
    const attrs: Record<string, string> = { from: pnJid(phone), ...(state === 'unavailable' ? { type: 'unavailable', last: String(Math.floor(Date.now() / 1000)) } : {}) };
    core.sendToDevice({ phone: p!, deviceId: Number(d) }, { tag: 'presence', attrs }, { queueIfOffline: false });
  }
}

/** A virtual phone types (or stops) in a chat with `to`: relay the chat state to `to`'s companions. */
export function sendChatState(core: SimCore, phone: string, to: string, state: 'composing' | 'recording' | 'paused'): void {
  const target = core.registry.resolve(to);
  if (target === undefined) return;
  const child: BinaryNode = state === 'recording' ? { tag: 'composing', attrs: { media: 'audio' } } : { tag: state, attrs: {} };
  for (const d of core.registry.companionsOf(target.phone)) {
    core.sendToDevice({ phone: target.phone, deviceId: d.deviceId }, { tag: 'chatstate', attrs: { from: pnJid(phone) }, content: [child] }, { queueIfOffline: false });
  }
}
