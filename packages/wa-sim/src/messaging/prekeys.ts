import { getBinaryNodeChild, getBinaryNodeChildBuffer, getBinaryNodeChildren } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import type { CompanionDevice } from '../network/device-registry.js';
import type { PreKeyBundle } from '../network/phone-network.js';

function uint(buf: Uint8Array | undefined): number {
  let n = 0;
  for (const b of buf ?? []) n = n * 256 + b;
  return n;
}

function be(n: number, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return out;
}

/** `<registration>`: the 4-byte registration id, in key bundles and retry receipts. */
export function registrationNode(registrationId: number): BinaryNode {
  return { tag: 'registration', attrs: {}, content: be(registrationId >>> 0, 4) };
}

/**
 * A pre-key bundle's key nodes (`type`, `identity`, `skey`, `key`): the content of a `<user>` in an
 * `encrypt` key answer (after `registration`) and of the `<keys>` a retry receipt carries.
 */
export function bundleKeyNodes(bundle: PreKeyBundle): BinaryNode[] {
  const nodes: BinaryNode[] = [
    { tag: 'type', attrs: {}, content: Buffer.from([5]) },
    { tag: 'identity', attrs: {}, content: bundle.identityKey },
    {
      tag: 'skey',
      attrs: {},
      content: [
        { tag: 'id', attrs: {}, content: be(bundle.signedPreKey.keyId, 3) },
        { tag: 'value', attrs: {}, content: bundle.signedPreKey.publicKey },
        { tag: 'signature', attrs: {}, content: bundle.signedPreKey.signature },
      ],
    },
  ];
  if (bundle.preKey) {
    nodes.push({ tag: 'key', attrs: {}, content: [{ tag: 'id', attrs: {}, content: be(bundle.preKey.keyId, 3) }, { tag: 'value', attrs: {}, content: bundle.preKey.publicKey }] });
  }
  return nodes;
}

function readSignedPreKey(node: BinaryNode | undefined): CompanionDevice['signedPreKey'] | undefined {
  if (node === undefined) return undefined;
  const id = getBinaryNodeChildBuffer(node, 'id');
  const value = getBinaryNodeChildBuffer(node, 'value');
  const signature = getBinaryNodeChildBuffer(node, 'signature');
  if (!id || !value || !signature) return undefined;
  return { keyId: uint(id), publicKey: value, signature };
}

/** `xmlns=encrypt`: pre-key count, upload, digest, signed pre-key rotation, bundle fetch. */
export async function handleEncryptIq(core: SimCore, device: CompanionDevice | undefined, node: BinaryNode): Promise<BinaryNode[] | undefined> {
  const child = Array.isArray(node.content) ? node.content[0] : undefined;
  if (node.attrs.type === 'get' && child?.tag === 'count') return [{ tag: 'count', attrs: { value: String(device?.preKeys.size ?? 0) } }];
  if (node.attrs.type === 'get' && child?.tag === 'digest') return [{ tag: 'digest', attrs: {} }];
  if (node.attrs.type === 'set' && child?.tag === 'rotate') {
    const skey = readSignedPreKey(getBinaryNodeChild(child, 'skey'));
    if (device !== undefined && skey !== undefined) device.signedPreKey = skey;
    return undefined;
  }
  if (node.attrs.type === 'set' && device !== undefined) {
    for (const key of getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'key')) {
      const id = getBinaryNodeChildBuffer(key, 'id');
      const value = getBinaryNodeChildBuffer(key, 'value');
      if (id && value) device.preKeys.set(uint(id), value);
    }
    const skey = readSignedPreKey(getBinaryNodeChild(node, 'skey'));
    if (skey !== undefined) device.signedPreKey = skey;
    return undefined;
  }
  if (node.attrs.type === 'get' && child?.tag === 'key') {
    const users: BinaryNode[] = [];
    for (const user of getBinaryNodeChildren(child, 'user')) {
      const jid = user.attrs.jid ?? '';
      const address = core.registry.resolve(jid);
      const bundle = address === undefined ? undefined : await core.takeBundle(address);
      if (bundle === undefined) {
        users.push({ tag: 'user', attrs: { jid }, content: [{ tag: 'error', attrs: { code: '404', text: 'item-not-found' } }] });
        continue;
      }
      users.push({ tag: 'user', attrs: { jid }, content: [registrationNode(bundle.registrationId), ...bundleKeyNodes(bundle)] });
    }
    return [{ tag: 'list', attrs: {}, content: users }];
  }
  return undefined;
}
