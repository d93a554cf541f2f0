import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { Curve, getBinaryNodeChild, proto, WA_ADV_ACCOUNT_SIG_PREFIX, WA_ADV_DEVICE_SIG_PREFIX } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { now } from '../core/sim-core.js';
import { lidJid, pnJid } from '../network/jids.js';
import type { VirtualPhone } from '../network/phone.js';
import { verifySignature } from '../pki/signatures.js';
import type { Connection } from '../server/connection.js';
import { notifyDeviceChange } from './device-notify.js';

const REF_COUNT = 6;

export type { PairedDeviceInfo as PairedDevice } from '../network/phone-network.js';
import type { PairedDeviceInfo as PairedDevice } from '../network/phone-network.js';

function readUInt(buf: Uint8Array | null | undefined): number {
  if (!buf) return 0;
  let n = 0;
  for (const b of buf) n = n * 256 + b;
  return n;
}

/** A new companion connected with `devicePairingData`: hand it QR refs, as WhatsApp does. */
export function startRegistration(core: SimCore, conn: Connection, payload: proto.ClientPayload): void {
  const data = payload.devicePairingData!;
  let platform = 'Chrome';
  try {
    if (data.deviceProps) platform = proto.DeviceProps.decode(data.deviceProps).os ?? platform;
  } catch {
    // A companion that sends odd device props can still pair; only the display name is lost.
  }
  const refs = Array.from({ length: REF_COUNT }, () => `2@${randomBytes(24).toString('base64')}`);
  conn.pairing = {
    refs,
    registrationId: readUInt(data.eRegid),
    identityKey: Buffer.from(data.eIdent ?? []),
    signedPreKey: { keyId: readUInt(data.eSkeyId), publicKey: Buffer.from(data.eSkeyVal ?? []), signature: Buffer.from(data.eSkeySig ?? []) },
    platform,
  };
  for (const ref of refs) core.refs.set(ref, conn);
  conn.send({
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'set', id: `pair-${conn.id}`, xmlns: 'md' },
    content: [{ tag: 'pair-device', attrs: {}, content: refs.map((ref) => ({ tag: 'ref', attrs: {}, content: Buffer.from(ref) })) }],
  });
}

export interface ParsedQr {
  ref: string;
  noiseKey: Buffer;
  identityKey: Buffer;
  advSecret: Buffer;
  platformId: string;
}

export function parseQr(qr: string): ParsedQr {
  const hash = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
  const parts = hash.split(',');
  if (parts.length < 4) throw new Error('not a WhatsApp pairing QR');
  return {
    ref: parts[0]!,
    noiseKey: Buffer.from(parts[1]!, 'base64'),
    identityKey: Buffer.from(parts[2]!, 'base64'),
    advSecret: Buffer.from(parts[3]!, 'base64'),
    platformId: parts[4] ?? '',
  };
}

/** The phone scans a QR: verify it belongs to a waiting connection, then send pair-success. */
export function scanQr(core: SimCore, phone: VirtualPhone, qr: string): Promise<PairedDevice> {
  const parsed = parseQr(qr);
  const conn = core.refs.get(parsed.ref);
  if (conn === undefined || !conn.isOpen || conn.pairing === undefined) throw new Error('QR code is no longer valid');
  if (conn.clientStatic === undefined || !Buffer.from(conn.clientStatic).equals(parsed.noiseKey)) throw new Error('QR noise key does not match the connection');
  if (!Buffer.from(conn.pairing.identityKey).equals(parsed.identityKey)) throw new Error('QR identity key does not match the registration');
  return sendPairSuccess(core, phone, conn, parsed.advSecret);
}

const pendingSigns = new WeakMap<Connection, { resolve: (d: PairedDevice) => void; reject: (e: Error) => void }>();

/** Shared by QR and pairing-code flows: sign the companion into the account. */
export function sendPairSuccess(core: SimCore, phone: VirtualPhone, conn: Connection, advSecret: Buffer): Promise<PairedDevice> {
  const pairing = conn.pairing!;
  for (const ref of pairing.refs) core.refs.delete(ref);
  const deviceId = core.registry.nextDeviceId(phone.phone);
  const keyIndex = deviceId;
  const details = proto.ADVDeviceIdentity.encode({ rawId: randomInt(1, 2 ** 31), timestamp: Math.floor(Date.now() / 1000), keyIndex }).finish();
  const account = phone.signal.identityKey;
  const accountSignature = Curve.sign(account.private, Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, details, pairing.identityKey]));
  const signed = proto.ADVSignedDeviceIdentity.encode({ details, accountSignatureKey: account.public, accountSignature }).finish();
  const hmac = createHmac('sha256', advSecret).update(signed).digest();
  const identity = proto.ADVSignedDeviceIdentityHMAC.encode({ details: signed, hmac }).finish();
  const iqId = `pair-success-${conn.id}`;
  pairing.pending = { phone: phone.phone, deviceId, keyIndex, pairIqId: iqId, accountSignatureKey: account.public, details };
  const result = new Promise<PairedDevice>((resolve, reject) => pendingSigns.set(conn, { resolve, reject }));
  conn.send({
    tag: 'iq',
    attrs: { from: 's.whatsapp.net', type: 'set', id: iqId, t: now() },
    content: [
      {
        tag: 'pair-success',
        attrs: {},
        content: [
          { tag: 'device-identity', attrs: {}, content: identity },
          { tag: 'platform', attrs: { name: 'android' } },
          { tag: 'device', attrs: { jid: pnJid(phone.phone, deviceId), lid: lidJid(phone.lid, deviceId) } },
        ],
      },
    ],
  });
  return result;
}

/** The companion answered pair-success with its own signature: register it and ask for a restart. */
export function onPairDeviceSign(core: SimCore, conn: Connection, node: BinaryNode): void {
  const pending = conn.pairing?.pending;
  const waiter = pendingSigns.get(conn);
  if (pending === undefined || conn.pairing === undefined) return;
  const sign = getBinaryNodeChild(node, 'pair-device-sign');
  const identityNode = getBinaryNodeChild(sign, 'device-identity');
  const content = identityNode?.content;
  const fail = (why: string): void => {
    core.logger.warn({ connectionId: conn.id }, why);
    waiter?.reject(new Error(why));
    conn.streamError(401);
  };
  if (!(content instanceof Uint8Array)) return fail('pair-device-sign without a device identity');
  const account = proto.ADVSignedDeviceIdentity.decode(content);
  const message = Buffer.concat([WA_ADV_DEVICE_SIG_PREFIX, pending.details, conn.pairing.identityKey, pending.accountSignatureKey]);
  if (!account.deviceSignature || !verifySignature(conn.pairing.identityKey, message, account.deviceSignature)) return fail('Companion device signature is invalid');
  const phone = core.phones.get(pending.phone);
  core.registry.addCompanion({
    phone: pending.phone,
    lid: phone?.lid ?? pending.phone,
    deviceId: pending.deviceId,
    keyIndex: pending.keyIndex,
    noiseKey: conn.clientStatic!,
    identityKey: conn.pairing.identityKey,
    registrationId: conn.pairing.registrationId,
    signedPreKey: conn.pairing.signedPreKey,
    preKeys: new Map(),
    platform: conn.pairing.platform,
    pairedAt: Date.now(),
    needsInitialHistory: true,
    offline: [],
  });
  conn.pairing = undefined;
  pendingSigns.delete(conn);
  notifyDeviceChange(core, pending.phone, pending.deviceId, 'add');
  waiter?.resolve({ jid: pnJid(pending.phone, pending.deviceId), lid: lidJid(phone?.lid ?? pending.phone, pending.deviceId), deviceId: pending.deviceId });
  // WhatsApp restarts the stream so the companion logs in with its new identity.
  setTimeout(() => conn.streamError(515), 10).unref();
}
