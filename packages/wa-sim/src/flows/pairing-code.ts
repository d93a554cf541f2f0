import { createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { aesDecryptCTR, aesEncryptCTR, Curve, derivePairingCodeKey, getBinaryNodeChildBuffer } from 'baileys';
import type { BinaryNode } from 'baileys';
import type { SimCore } from '../core/sim-core.js';
import { now } from '../core/sim-core.js';
import { normalizePhone } from '../network/jids.js';
import type { VirtualPhone } from '../network/phone.js';
import type { Connection } from '../server/connection.js';
import { sendPairSuccess } from './qr-pairing.js';
import type { PairedDevice } from './qr-pairing.js';

interface CodeSession {
  conn: Connection;
  phone: string;
  wrappedCompanionEphemeral: Buffer;
  ref: Buffer;
  typed?: { phone: VirtualPhone; primaryEphemeral: { public: Uint8Array; private: Uint8Array }; resolve: (d: PairedDevice) => void; reject: (e: Error) => void };
}

const sessions = new WeakMap<SimCore, CodeSession[]>();

function sessionsOf(core: SimCore): CodeSession[] {
  let list = sessions.get(core);
  if (list === undefined) sessions.set(core, (list = []));
  return list;
}

/** `companion_hello`: the companion asks for a code for a phone number; answer with a ref. */
export function onCompanionHello(core: SimCore, conn: Connection, iq: BinaryNode, child: BinaryNode): void {
  const wrapped = getBinaryNodeChildBuffer(child, 'link_code_pairing_wrapped_companion_ephemeral_pub');
  const ref = randomBytes(16);
  const reply = (error?: number): void =>
    conn.send({
      tag: 'iq',
      attrs: { from: 's.whatsapp.net', type: error === undefined ? 'result' : 'error', id: iq.attrs.id ?? '' },
      content: error === undefined ? [{ tag: 'link_code_companion_reg', attrs: {}, content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: ref }] }] : [{ tag: 'error', attrs: { code: String(error), text: 'bad-request' } }],
    });
  if (wrapped === undefined || wrapped.length < 80 || conn.pairing === undefined) return reply(400);
  const phone = normalizePhone(child.attrs.jid ?? '');
  const list = sessionsOf(core);
  list.splice(0, list.length, ...list.filter((s) => s.conn.isOpen && s.conn !== conn));
  list.push({ conn, phone, wrappedCompanionEphemeral: Buffer.from(wrapped), ref });
  reply();
}

/**
 * The user types the code on the phone: unwrap the companion's ephemeral key with it and answer
 * with the phone's own (wrapped) ephemeral key. A wrong code is only noticed at companion_finish,
 * exactly as on WhatsApp.
 */
export async function enterPairingCode(core: SimCore, phone: VirtualPhone, code: string, waitMs = 3000): Promise<PairedDevice> {
  const find = (): CodeSession | undefined => [...sessionsOf(core)].reverse().find((s) => s.phone === phone.phone && s.conn.isOpen && s.typed === undefined);
  // The companion's request may still be in flight (Baileys does not wait for its answer).
  let session = find();
  for (const deadline = Date.now() + waitMs; session === undefined && Date.now() < deadline; session = find()) {
    await new Promise((r) => setTimeout(r, 10));
  }
  if (session === undefined) throw new Error(`no companion is waiting for a pairing code for ${phone.phone}`);
  const clean = code.replace(/[^0-9A-Za-z]/g, '').toUpperCase();
  const primaryEphemeral = Curve.generateKeyPair();
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key = await derivePairingCodeKey(clean, salt);
  const wrapped = Buffer.concat([salt, iv, aesEncryptCTR(primaryEphemeral.public, key, iv)]);
  const done = new Promise<PairedDevice>((resolve, reject) => {
    session.typed = { phone, primaryEphemeral, resolve, reject };
  });
  // Keep the typed code for the finish step, where the companion's key gets unwrapped.
  codes.set(session, clean);
  session.conn.send({
    tag: 'notification',
    attrs: { from: 's.whatsapp.net', type: 'link_code_companion_reg', id: `lcr-${session.conn.id}`, t: now() },
    content: [
      {
        tag: 'link_code_companion_reg',
        attrs: {},
        content: [
          { tag: 'link_code_pairing_ref', attrs: {}, content: session.ref },
          { tag: 'primary_identity_pub', attrs: {}, content: phone.signal.identityKey.public },
          { tag: 'link_code_pairing_wrapped_primary_ephemeral_pub', attrs: {}, content: wrapped },
        ],
      },
    ],
  });
  return done;
}

const codes = new WeakMap<CodeSession, string>();

/** `companion_finish`: check the key bundle, derive the ADV secret, then pair as with a QR. */
export async function onCompanionFinish(core: SimCore, conn: Connection, iq: BinaryNode, child: BinaryNode): Promise<void> {
  const session = sessionsOf(core).find((s) => s.conn === conn);
  const typed = session?.typed;
  conn.send({ tag: 'iq', attrs: { from: 's.whatsapp.net', type: 'result', id: iq.attrs.id ?? '' } });
  if (session === undefined || typed === undefined) return;
  try {
    const code = codes.get(session) ?? '';
    const w = session.wrappedCompanionEphemeral;
    const companionKey = await derivePairingCodeKey(code, w.subarray(0, 32));
    const companionEphemeral = aesDecryptCTR(w.subarray(48, 80), companionKey, w.subarray(32, 48));
    const bundle = getBinaryNodeChildBuffer(child, 'link_code_pairing_wrapped_key_bundle');
    if (bundle === undefined) throw new Error('companion_finish without a key bundle');
    const companionShared = Curve.sharedKey(typed.primaryEphemeral.private, companionEphemeral);
    const bundleKey = Buffer.from(hkdfSync('sha256', companionShared, bundle.subarray(0, 32), 'link_code_pairing_key_bundle_encryption_key', 32));
    const decipher = createDecipheriv('aes-256-gcm', bundleKey, bundle.subarray(32, 44));
    decipher.setAuthTag(bundle.subarray(bundle.length - 16));
    const plain = Buffer.concat([decipher.update(bundle.subarray(44, bundle.length - 16)), decipher.final()]);
    const companionIdentity = plain.subarray(0, 32);
    const random = plain.subarray(64, 96);
    if (conn.pairing === undefined || !Buffer.from(conn.pairing.identityKey).equals(companionIdentity)) throw new Error('key bundle identity does not match');
    const identityShared = Curve.sharedKey(typed.phone.signal.identityKey.private, companionIdentity);
    const advSecret = Buffer.from(hkdfSync('sha256', Buffer.concat([companionShared, identityShared, random]), Buffer.alloc(0), 'adv_secret', 32));
    // Not awaited: the signature arrives as a later frame of this same (serialised) connection.
    sendPairSuccess(core, typed.phone, conn, advSecret).then(typed.resolve, typed.reject);
  } catch (err) {
    // Wrong code: the bundle does not decrypt. WhatsApp drops the attempt; so do we.
    typed.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
