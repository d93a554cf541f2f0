import { getBinaryNodeChild, getBinaryNodeChildren } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { lidJid, normalizePhone, pnJid } from '../network/jids.js';

/** `xmlns=usync`: devices, lid, contact (onWhatsApp), status and the rest answered plausibly. */
export function handleUsyncIq(core: SimCore, node: BinaryNode): BinaryNode[] {
  const usync = getBinaryNodeChild(node, 'usync');
  const query = getBinaryNodeChild(usync, 'query');
  const protocols = Array.isArray(query?.content) ? query.content.map((p) => p.tag) : [];
  const users = getBinaryNodeChildren(getBinaryNodeChild(usync, 'list'), 'user');
  const out: BinaryNode[] = [];
  for (const user of users) {
    const contact = getBinaryNodeChild(user, 'contact');
    let jid = user.attrs.jid;
    let phone: string | undefined;
    if (jid === undefined && contact?.content !== undefined) {
      const raw = typeof contact.content === 'string' ? contact.content : Buffer.from(contact.content as Uint8Array).toString();
      phone = normalizePhone(raw);
      jid = pnJid(phone);
    } else {
      phone = core.registry.resolve(jid)?.phone;
    }
    if (jid === undefined) continue;
    const known = phone !== undefined && core.registry.hasAccount(phone);
    const content: BinaryNode[] = [];
    for (const protocol of protocols) {
      if (protocol === 'contact') content.push({ tag: 'contact', attrs: { type: known ? 'in' : 'out' } });
      else if (protocol === 'devices' && known) {
        content.push({
          tag: 'devices',
          attrs: {},
          content: [
            {
              tag: 'device-list',
              attrs: {},
              content: core.registry.devicesOf(phone!).map((d) => ({ tag: 'device', attrs: { id: String(d.id), ...(d.keyIndex === undefined ? {} : { 'key-index': String(d.keyIndex) }) } })),
            },
          ],
        });
      } else if (protocol === 'lid' && known && !jid.endsWith('@lid')) content.push({ tag: 'lid', attrs: { val: lidJid(core.registry.lidOf(phone!)!) } });
      else if (protocol === 'status' && known) content.push({ tag: 'status', attrs: { t: String(Math.floor(Date.now() / 1000)) }, content: Buffer.from('Hey there! I am using WhatsApp.') });
      else if (protocol === 'disappearing_mode' && known) content.push({ tag: 'disappearing_mode', attrs: { duration: '0', t: '0' } });
    }
    out.push({ tag: 'user', attrs: { jid }, content });
  }
  return [
    {
      tag: 'usync',
      attrs: { ...(usync?.attrs ?? {}) },
      content: [
        { tag: 'result', attrs: {}, content: protocols.map((tag) => ({ tag, attrs: {} })) },
        { tag: 'list', attrs: {}, content: out },
      ],
    },
  ];
}
