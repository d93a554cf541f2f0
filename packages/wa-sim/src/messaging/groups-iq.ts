import { getBinaryNodeChild, getBinaryNodeChildren } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { now } from '../core/sim-core.js';
import type { DeviceAddress } from '../network/device-registry.js';
import { lidJid, pnJid } from '../network/jids.js';
import type { SimGroup } from '../network/groups.js';

export class IqError extends Error {
  constructor(
    readonly code: number,
    text: string,
  ) {
    super(text);
  }
}

/** The `<group>` node Baileys' extractGroupMetadata reads, LID-addressed with phone numbers. */
export function groupNode(core: SimCore, group: SimGroup): BinaryNode {
  const lidOf = (phone: string): string => lidJid(core.registry.lidOf(phone) ?? phone);
  return {
    tag: 'group',
    attrs: {
      id: group.jid.split('@')[0]!,
      subject: group.subject,
      s_t: String(group.creation),
      s_o: lidOf(group.creator),
      creation: String(group.creation),
      creator: lidOf(group.creator),
      creator_pn: pnJid(group.creator),
      addressing_mode: 'lid',
      size: String(group.participants.length),
    },
    content: [
      ...group.participants.map((p) => ({ tag: 'participant', attrs: { jid: lidOf(p.phone), phone_number: pnJid(p.phone), ...(p.admin ? { type: p.admin } : {}) } })),
      ...(group.description ? [{ tag: 'description', attrs: { id: 'desc', t: String(group.creation) }, content: [{ tag: 'body', attrs: {}, content: Buffer.from(group.description) }] }] : []),
    ],
  };
}

function phonesOf(core: SimCore, node: BinaryNode | undefined): string[] {
  return getBinaryNodeChildren(node, 'participant')
    .map((p) => core.registry.resolve(p.attrs.jid)?.phone)
    .filter((p): p is string => p !== undefined);
}

/** Tells every device of every member about a group change, as `w:gp2` notifications. */
function notifyMembers(core: SimCore, group: SimGroup, author: string, child: BinaryNode, extra: string[] = []): void {
  const phones = new Set([...group.participants.map((p) => p.phone), ...extra]);
  const node = (): BinaryNode => ({
    tag: 'notification',
    attrs: { from: group.jid, type: 'w:gp2', id: `gp2-${Date.now()}-${Math.random().toString(16).slice(2, 8)}`, t: now(), participant: lidJid(core.registry.lidOf(author) ?? author), participant_pn: pnJid(author), addressing_mode: 'lid' },
    content: [child],
  });
  for (const phone of phones) for (const d of core.registry.companionsOf(phone)) core.sendToDevice({ phone, deviceId: d.deviceId }, node());
}

/** `xmlns=w:g2`: create, metadata, list, participant changes, subject, leave. */
export function handleGroupIq(core: SimCore, me: DeviceAddress, node: BinaryNode): BinaryNode[] | undefined {
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  const to = node.attrs.to ?? '';
  if (child === undefined) return undefined;
  if (child.tag === 'create') {
    const group = core.groups.create(child.attrs.subject ?? '', me.phone, phonesOf(core, child));
    const created = groupNode(core, group);
    notifyMembers(core, group, me.phone, { tag: 'create', attrs: {}, content: [created] });
    return [created];
  }
  if (child.tag === 'participating') return [{ tag: 'groups', attrs: {}, content: core.groups.ofMember(me.phone).map((g) => groupNode(core, g)) }];
  if (child.tag === 'leave') {
    for (const g of getBinaryNodeChildren(child, 'group')) {
      const group = core.groups.get(g.attrs.id ?? '');
      if (group === undefined) continue;
      group.participants = group.participants.filter((p) => p.phone !== me.phone);
      notifyMembers(core, group, me.phone, { tag: 'leave', attrs: {}, content: [{ tag: 'participant', attrs: { jid: lidJid(core.registry.lidOf(me.phone) ?? me.phone) } }] }, [me.phone]);
    }
    return undefined;
  }
  const group = core.groups.get(to);
  if (group === undefined) throw new IqError(404, 'item-not-found');
  if (!group.participants.some((p) => p.phone === me.phone)) throw new IqError(403, 'forbidden');
  if (child.tag === 'query') return [groupNode(core, group)];
  if (child.tag === 'subject') {
    group.subject = typeof child.content === 'string' ? child.content : Buffer.from((child.content as Uint8Array | undefined) ?? []).toString();
    notifyMembers(core, group, me.phone, { tag: 'subject', attrs: { subject: group.subject, s_t: now() } });
    return undefined;
  }
  if (child.tag === 'add' || child.tag === 'remove' || child.tag === 'promote' || child.tag === 'demote') {
    const affected: BinaryNode[] = [];
    const changed: string[] = [];
    for (const p of getBinaryNodeChildren(child, 'participant')) {
      const phone = core.registry.resolve(p.attrs.jid)?.phone;
      if (phone === undefined) {
        affected.push({ tag: 'participant', attrs: { jid: p.attrs.jid ?? '', error: '404' } });
        continue;
      }
      if (child.tag === 'add' && !group.participants.some((x) => x.phone === phone)) group.participants.push({ phone, admin: null });
      if (child.tag === 'remove') group.participants = group.participants.filter((x) => x.phone !== phone);
      if (child.tag === 'promote' || child.tag === 'demote') for (const x of group.participants) if (x.phone === phone) x.admin = child.tag === 'promote' ? 'admin' : null;
      changed.push(phone);
      affected.push({ tag: 'participant', attrs: { jid: p.attrs.jid ?? '' } });
    }
    const lids = changed.map((phone) => ({ tag: 'participant', attrs: { jid: lidJid(core.registry.lidOf(phone) ?? phone), phone_number: pnJid(phone) } }));
    notifyMembers(core, group, me.phone, { tag: child.tag, attrs: {}, content: lids }, child.tag === 'remove' ? changed : []);
    return [{ tag: child.tag, attrs: {}, content: affected }];
  }
  if (child.tag === 'description') {
    const body = getBinaryNodeChild(child, 'body')?.content;
    group.description = body === undefined ? undefined : Buffer.from(body as Uint8Array).toString();
    return undefined;
  }
  return undefined;
}
