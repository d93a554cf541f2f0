import { randomBytes } from 'node:crypto';
import { getBinaryNodeChild } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { notifyDeviceChange } from '../flows/device-notify.js';
import { onPairDeviceSign } from '../flows/qr-pairing.js';
import { onCompanionFinish, onCompanionHello } from '../flows/pairing-code.js';
import { handleGroupIq, IqError } from '../messaging/groups-iq.js';
import { handleEncryptIq } from '../messaging/prekeys.js';
import { handleClientPresence } from '../messaging/presence.js';
import { handleClientMessage, handleClientReceipt } from '../messaging/relay.js';
import { handleUsyncIq } from '../messaging/usync.js';
import { deviceKey } from '../network/device-registry.js';
import type { Connection } from './connection.js';

const PRIVACY_DEFAULTS: Record<string, string> = {
  readreceipts: 'all',
  last: 'all',
  online: 'all',
  profile: 'all',
  status: 'all',
  groupadd: 'all',
  calladd: 'all',
  messages: 'all',
};

/** Routes one decoded client stanza. */
export async function dispatchStanza(core: SimCore, conn: Connection, node: BinaryNode): Promise<void> {
  switch (node.tag) {
    case 'iq':
      await handleIq(core, conn, node);
      return;
    case 'message':
      handleClientMessage(core, conn, node);
      return;
    case 'receipt':
      handleClientReceipt(core, conn, node);
      return;
    case 'presence':
    case 'chatstate':
      handleClientPresence(core, conn, node);
      return;
    case 'ack':
      // A nack for a message we delivered: it was handled (badly), do not deliver it again.
      if (node.attrs.class === 'message' && node.attrs.id !== undefined) conn.inflight.delete(node.attrs.id);
      return;
    default:
      // ib (unified_session, offline_batch), notification acks: nothing to answer.
      return;
  }
}

function result(node: BinaryNode, content?: BinaryNode[]): BinaryNode {
  return { tag: 'iq', attrs: { from: node.attrs.to ?? 's.whatsapp.net', type: 'result', id: node.attrs.id ?? '' }, ...(content && content.length > 0 ? { content } : {}) };
}

async function handleIq(core: SimCore, conn: Connection, node: BinaryNode): Promise<void> {
  const { type, xmlns } = node.attrs;
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  if (type === 'result' || type === 'error') {
    if (getBinaryNodeChild(node, 'pair-device-sign') !== undefined) onPairDeviceSign(core, conn, node);
    return;
  }
  if (xmlns === 'md' && child?.tag === 'link_code_companion_reg') {
    if (child.attrs.stage === 'companion_hello') onCompanionHello(core, conn, node, child);
    else if (child.attrs.stage === 'companion_finish') await onCompanionFinish(core, conn, node, child);
    return;
  }
  const device = conn.device === undefined ? undefined : core.registry.companion(conn.device.phone, conn.device.deviceId);
  try {
    conn.send(result(node, await answerIq(core, conn, node, child, device)));
  } catch (err) {
    const code = err instanceof IqError ? err.code : 500;
    const text = err instanceof Error ? err.message : 'internal-server-error';
    conn.send({ tag: 'iq', attrs: { from: node.attrs.to ?? 's.whatsapp.net', type: 'error', id: node.attrs.id ?? '' }, content: [{ tag: 'error', attrs: { code: String(code), text } }] });
  }
}

async function answerIq(
  core: SimCore,
  conn: Connection,
  node: BinaryNode,
  child: BinaryNode | undefined,
  device: ReturnType<SimCore['registry']['companion']>,
): Promise<BinaryNode[] | undefined> {
  const { xmlns } = node.attrs;
  switch (xmlns) {
    case 'encrypt':
      return handleEncryptIq(core, device, node);
    case 'usync':
      return handleUsyncIq(core, node);
    case 'w:g2':
      if (conn.device === undefined) throw new IqError(401, 'not-authorized');
      return handleGroupIq(core, conn.device, node);
    case 'w:m':
      if (child?.tag === 'media_conn') {
        const media = core.media;
        return [
          {
            tag: 'media_conn',
            attrs: { auth: media?.auth ?? 'sim', ttl: '3600', auth_ttl: '21600', max_buckets: '12' },
            content: media === undefined ? [] : [{ tag: 'host', attrs: { hostname: media.hostname, maxContentLengthBytes: String(100 * 1024 * 1024) } }],
          },
        ];
      }
      return undefined;
    case 'privacy':
      if (node.attrs.type === 'get' && child?.tag === 'privacy') {
        return [{ tag: 'privacy', attrs: {}, content: Object.entries(PRIVACY_DEFAULTS).map(([name, value]) => ({ tag: 'category', attrs: { name, value } })) }];
      }
      return undefined;
    case 'blocklist':
      return node.attrs.type === 'get' ? [{ tag: 'list', attrs: {} }] : undefined;
    case 'w:profile:picture': {
      const target = core.registry.resolve(node.attrs.target);
      const phone = target === undefined ? undefined : core.phones.get(target.phone);
      if (phone?.profilePictureUrl === undefined) throw new IqError(404, 'item-not-found');
      return [{ tag: 'picture', attrs: { url: phone.profilePictureUrl, id: '1', type: child?.attrs.type ?? 'preview', direct_path: '/v/t61/sim' } }];
    }
    case 'md':
      if (child?.tag === 'remove-companion-device' && conn.device !== undefined) {
        const { phone, deviceId } = conn.device;
        core.registry.removeCompanion(phone, deviceId);
        core.live.delete(deviceKey(phone, deviceId));
        notifyDeviceChange(core, phone, deviceId, 'remove');
        // Baileys closes itself after logout; the server ends the socket too.
        setTimeout(() => conn.close('logged out'), 50).unref();
      }
      return undefined;
    case 'w:p':
      return undefined;
    case 'w:sync:app:state': {
      // No app-state patches on the simulated network: every collection is empty at version 0.
      const collections = Array.isArray(child?.content) ? child.content : [];
      return [{ tag: 'sync', attrs: {}, content: collections.map((c) => ({ tag: 'collection', attrs: { name: c.attrs.name ?? '', version: '0' } })) }];
    }
    case 'abt':
      return [{ tag: 'props', attrs: { protocol: '1', hash: 'sim', refresh: '86400' } }];
    case 'w':
      // Server props (`<props>`): none of them are needed to behave.
      return child?.tag === 'props' ? [{ tag: 'props', attrs: { version: '1', hash: randomBytes(4).toString('hex') } }] : undefined;
    default:
      return undefined;
  }
}
