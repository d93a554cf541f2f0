import { getBinaryNodeChild, getBinaryNodeChildren } from 'baileys';
import type { BinaryNode } from 'baileys';
import { extractE2ESessionFromRetryReceipt } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { now } from '../core/sim-core.js';
import { deviceKey } from '../network/device-registry.js';
import type { DeviceAddress } from '../network/device-registry.js';
import { isGroupJid, lidJid, pnJid } from '../network/jids.js';
import type { ReceiptIntent, ReceiptKind } from '../network/phone-network.js';
import type { Connection } from '../server/connection.js';
import type { EncPayload, Envelope } from './envelope.js';
import { bundleKeyNodes, registrationNode } from './prekeys.js';

function encOf(node: BinaryNode): EncPayload | undefined {
  const type = node.attrs.type;
  if (!(node.content instanceof Uint8Array) || (type !== 'pkmsg' && type !== 'msg' && type !== 'skmsg')) return undefined;
  return { type, ciphertext: node.content, ...(node.attrs.count ? { count: node.attrs.count } : {}) };
}

/** Returns false when the (injected) ack rejected the message: then it is not relayed. */
function sendAck(core: SimCore, conn: Connection, node: BinaryNode): boolean {
  const key = conn.device === undefined ? '' : deviceKey(conn.device.phone, conn.device.deviceId);
  if (core.faults.refuseAcks.has(key)) return true;
  const error = core.faults.errorAcks.get(key);
  const ack: BinaryNode = { tag: 'ack', attrs: { class: 'message', id: node.attrs.id ?? '', from: node.attrs.to ?? '', t: now(), ...(error === undefined ? {} : { error: String(error) }) } };
  const delay = core.faults.ackDelays.get(key);
  if (delay === undefined) conn.send(ack);
  else setTimeout(() => conn.send(ack), delay).unref();
  return error === undefined;
}

/** A companion's `<message>`: ack it, then fan the per-device ciphertexts out to their devices. */
export function handleClientMessage(core: SimCore, conn: Connection, node: BinaryNode): void {
  const sender = conn.device;
  if (sender === undefined) return;
  if (!sendAck(core, conn, node)) return;
  const id = node.attrs.id ?? '';
  const to = node.attrs.to ?? '';
  // Peer data operations (placeholder resends, app-state key requests) go to the own phone,
  // which has nothing to answer with.
  if (node.attrs.category === 'peer') return;
  const participants = getBinaryNodeChildren(getBinaryNodeChild(node, 'participants'), 'to');
  const direct = getBinaryNodeChildren(node, 'enc').map(encOf).filter((e): e is EncPayload => e !== undefined);
  const identity = getBinaryNodeChild(node, 'device-identity')?.content;
  const deviceIdentity = identity instanceof Uint8Array ? identity : undefined;
  const group = isGroupJid(to) ? to : undefined;
  core.messages.add({ id, sender, chatAsSent: to, group });
  const destination = group === undefined ? core.registry.resolve(node.attrs.recipient ?? to) : undefined;
  const base = {
    id,
    t: Math.floor(Date.now() / 1000),
    type: node.attrs.type ?? 'text',
    from: sender,
    notify: core.phones.get(sender.phone)?.pushName ?? '',
    ...(deviceIdentity ? { deviceIdentity } : {}),
    ...(node.attrs.edit ? { attrs: { edit: node.attrs.edit } } : {}),
  };
  const pairwise = new Map<string, EncPayload>();
  for (const p of participants) {
    const target = core.registry.resolve(p.attrs.jid);
    const enc = encOf(getBinaryNodeChild(p, 'enc') ?? { tag: '', attrs: {} });
    if (target !== undefined && enc !== undefined) pairwise.set(deviceKey(target.phone, target.deviceId), enc);
  }
  if (group !== undefined) {
    const members = core.groupParticipants(group) ?? [];
    const skmsg = direct.find((e) => e.type === 'skmsg');
    const onlyTo = node.attrs.participant === undefined ? undefined : core.registry.resolve(node.attrs.participant);
    const env = (encs: EncPayload[]): Envelope => ({ ...base, chat: { kind: 'group', jid: group }, encs });
    if (onlyTo !== undefined) {
      core.deliver(env(direct), onlyTo);
      return;
    }
    for (const member of members) {
      for (const d of core.registry.devicesOf(member)) {
        if (member === sender.phone && d.id === sender.deviceId) continue;
        const encs = [pairwise.get(deviceKey(member, d.id)), skmsg].filter((e): e is EncPayload => e !== undefined);
        if (encs.length > 0) core.deliver(env(encs), { phone: member, deviceId: d.id });
      }
    }
    return;
  }
  const peer = destination?.phone ?? sender.phone;
  const env = (encs: EncPayload[]): Envelope => ({ ...base, chat: { kind: 'user', peer }, encs });
  if (participants.length === 0) {
    // A resend to a single device (retry) addresses that device directly.
    const target = core.registry.resolve(to);
    if (target !== undefined && direct.length > 0) core.deliver(env(direct), target);
    return;
  }
  for (const [key, enc] of pairwise) {
    const [phone, device] = key.split(':');
    core.deliver(env([enc]), { phone: phone!, deviceId: Number(device) });
  }
}

/** Turns an envelope into the `<message>` stanza a companion receives (LID addressing). */
export function envelopeToStanza(core: SimCore, env: Envelope, target: DeviceAddress): BinaryNode | undefined {
  const senderLid = core.registry.lidOf(env.from.phone) ?? env.from.phone;
  const attrs: Record<string, string> = { id: env.id, t: String(env.t), type: env.type, ...(env.attrs ?? {}) };
  if (env.notify) attrs.notify = env.notify;
  if (env.chat.kind === 'group') {
    Object.assign(attrs, { from: env.chat.jid, participant: lidJid(senderLid, env.from.deviceId), participant_pn: pnJid(env.from.phone), addressing_mode: 'lid' });
  } else if (env.from.phone === target.phone && env.chat.peer === env.from.phone) {
    // Peer traffic between an account's own devices (history sync, app-state keys).
    attrs.from = pnJid(env.from.phone, env.from.deviceId);
  } else if (env.from.phone === target.phone) {
    const peerLid = core.registry.lidOf(env.chat.peer) ?? env.chat.peer;
    Object.assign(attrs, { from: lidJid(senderLid, env.from.deviceId), recipient: lidJid(peerLid), recipient_pn: pnJid(env.chat.peer), addressing_mode: 'lid' });
  } else {
    Object.assign(attrs, { from: lidJid(senderLid, env.from.deviceId), sender_pn: pnJid(env.from.phone), addressing_mode: 'lid' });
  }
  const content: BinaryNode[] = env.encs.map((e) => ({ tag: 'enc', attrs: { v: '2', type: e.type, ...(e.count ? { count: e.count } : {}) }, content: e.ciphertext }));
  if (env.deviceIdentity !== undefined && env.encs.some((e) => e.type === 'pkmsg')) content.push({ tag: 'device-identity', attrs: {}, content: env.deviceIdentity });
  return { tag: 'message', attrs, content };
}

const KIND_BY_TYPE: Record<string, ReceiptKind | undefined> = { '': 'delivery', inactive: 'delivery', read: 'read', played: 'played', retry: 'retry' };

/** A companion's `<receipt>`: ack it and pass delivery/read/retry to whoever sent the message. */
export function handleClientReceipt(core: SimCore, conn: Connection, node: BinaryNode): void {
  const { id = '', to = '', type } = node.attrs;
  conn.send({ tag: 'ack', attrs: { class: 'receipt', id, from: to, ...(type ? { type } : {}), ...(node.attrs.participant ? { participant: node.attrs.participant } : {}) } });
  const ids = [id, ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').map((i) => i.attrs.id ?? '')];
  for (const messageId of ids) conn.inflight.delete(messageId);
  const kind = KIND_BY_TYPE[type ?? ''];
  if (kind === undefined || conn.device === undefined) return;
  for (const messageId of ids) {
    const logged = core.messages.get(messageId);
    if (logged === undefined) continue;
    const retryNode = getBinaryNodeChild(node, 'retry');
    const intent: ReceiptIntent = {
      from: conn.device,
      to: logged.sender,
      messageId,
      kind,
      ...(logged.group ? { group: logged.group } : {}),
      ...(kind === 'retry' ? { retry: { count: Number(retryNode?.attrs.count ?? 1), registrationId: 0 } } : {}),
    };
    routeReceipt(core, intent, kind === 'retry' ? node : undefined);
  }
}

/** Delivers a receipt to the original sender: a virtual phone, or a companion stanza. */
export function routeReceipt(core: SimCore, intent: ReceiptIntent, retryNode?: BinaryNode): void {
  const { to, from } = intent;
  if (intent.kind === 'retry') {
    if (from.deviceId === 0) core.decryptStats.phoneRetries++;
    else core.decryptStats.companionRetries++;
  }
  if (to.phone === from.phone && intent.kind !== 'retry') return;
  if (to.deviceId === 0) {
    const phone = core.phones.get(to.phone);
    if (phone === undefined) return;
    if (intent.kind === 'retry') {
      const bundle = retryNode === undefined ? null : extractE2ESessionFromRetryReceipt(retryNode);
      phone.resend(intent.messageId, from, intent.retry?.count ?? 1, bundle ?? undefined).catch((err: unknown) => core.logger.warn({ err }, 'Phone failed to resend'));
    } else phone.onReceipt(intent.messageId, from, intent.kind);
    return;
  }
  const fromLid = core.registry.lidOf(from.phone) ?? from.phone;
  const attrs: Record<string, string> = { id: intent.messageId, t: now() };
  if (intent.kind === 'retry') {
    attrs.type = 'retry';
    // Same addressing as the sender used, so Baileys finds the message in its retry cache.
    const asSent = core.messages.get(intent.messageId)?.chatAsSent ?? '';
    if (intent.group !== undefined) Object.assign(attrs, { from: intent.group, participant: lidJid(fromLid, from.deviceId) });
    else attrs.from = asSent.endsWith('@lid') ? lidJid(fromLid, from.deviceId) : pnJid(from.phone, from.deviceId);
    const retry = intent.retry ?? { count: 1, registrationId: 0 };
    const content: BinaryNode[] = [
      { tag: 'retry', attrs: { count: String(retry.count), id: intent.messageId, t: now(), v: '1' } },
      registrationNode(retry.registrationId),
      // From the second retry on, a fresh bundle: the sender starts a new session from it.
      ...(retry.keys === undefined ? [] : [{ tag: 'keys', attrs: {}, content: bundleKeyNodes(retry.keys) }]),
    ];
    core.logger.info({ id: intent.messageId, from, to, count: retry.count, withKeys: retry.keys !== undefined, online: core.liveConnection(to) !== undefined }, 'Retry receipt to a companion');
    core.sendToDevice(to, { tag: 'receipt', attrs, content });
    return;
  }
  // One receipt per receiving account and kind, as WhatsApp aggregates a user's devices.
  const dedupe = `${intent.messageId}|${from.phone}|${intent.kind}|${to.phone}:${to.deviceId}`;
  if (core.forwardedReceipts.has(dedupe)) return;
  core.forwardedReceipts.add(dedupe);
  if (core.forwardedReceipts.size > 100_000) core.forwardedReceipts.clear();
  if (intent.kind !== 'delivery') attrs.type = intent.kind;
  if (intent.group !== undefined) Object.assign(attrs, { from: intent.group, participant: lidJid(fromLid) });
  else {
    const asSent = core.messages.get(intent.messageId)?.chatAsSent ?? '';
    attrs.from = asSent.endsWith('@lid') ? lidJid(fromLid) : pnJid(from.phone);
  }
  core.sendToDevice(to, { tag: 'receipt', attrs });
}
