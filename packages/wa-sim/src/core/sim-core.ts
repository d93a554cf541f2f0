import type { BinaryNode, proto } from 'baileys';
import type { Logger } from 'pino';
import { FaultRules } from '../faults/fault-rules.js';
import { login } from '../flows/login.js';
import { notifyDeviceChange } from '../flows/device-notify.js';
import { enterPairingCode } from '../flows/pairing-code.js';
import { scanQr, startRegistration } from '../flows/qr-pairing.js';
import type { Envelope } from '../messaging/envelope.js';
import { MessageLog } from '../messaging/message-log.js';
import { announcePresence, sendChatState } from '../messaging/presence.js';
import { envelopeToStanza, routeReceipt } from '../messaging/relay.js';
import { dispatchStanza } from '../server/stanza-dispatch.js';
import type { Connection, ConnectionHandler } from '../server/connection.js';
import type { ServerPki } from '../pki/test-pki.js';
import { deviceKey, DeviceRegistry } from '../network/device-registry.js';
import type { DeviceAddress } from '../network/device-registry.js';
import { GroupStore } from '../network/groups.js';
import { pnJid } from '../network/jids.js';
import type { VirtualPhone } from '../network/phone.js';
import type { MediaStore, PairedDeviceInfo, PhoneNetwork, PreKeyBundle, ReceiptDelays, ReceiptIntent } from '../network/phone-network.js';

export interface MediaHostInfo {
  /** `host:port` as Baileys puts it into `https://HOST/…`. */
  hostname: string;
  auth: string;
}

/**
 * The simulated WhatsApp server: owns who is connected, routes stanzas and envelopes between
 * companion connections and virtual phones, and applies injected faults.
 */
export class SimCore implements ConnectionHandler, PhoneNetwork {
  readonly registry = new DeviceRegistry();
  readonly phones = new Map<string, VirtualPhone>();
  readonly groups = new GroupStore();
  readonly messages = new MessageLog();
  readonly faults = new FaultRules();
  readonly connections = new Map<number, Connection>();
  /** The one live, logged-in connection per device (`phone:device`). */
  readonly live = new Map<string, Connection>();
  /** QR refs of connections waiting to be scanned. */
  readonly refs = new Map<string, Connection>();
  /** Who exchanged messages with whom: they hear about each other's device changes. */
  readonly peers = new Map<string, Set<string>>();
  /** Receipts already passed on (one per message, receiving account and kind). */
  readonly forwardedReceipts = new Set<string>();
  /** Companion devices (`phone:device`) subscribed to an account's presence. */
  readonly presenceSubscribers = new Map<string, Set<string>>();
  /** Last announced presence per account. */
  readonly presence = new Map<string, 'available' | 'unavailable'>();
  media: MediaHostInfo | undefined;
  mediaStore: MediaStore | undefined;
  /** Deliver offline stanzas with `offline="1"` (WhatsApp does; Baileys then upserts as `append`). */
  markOffline = true;
  /**
   * Decryption trouble seen on the network: retry receipts from companions (a worker could not
   * decrypt a phone's message) and from virtual phones (a phone could not decrypt a companion's).
   * Zero in a healthy run; a stored Signal state that fell behind what a peer saw shows up here.
   */
  readonly decryptStats = { companionRetries: 0, phoneRetries: 0 };

  constructor(
    readonly pki: ServerPki,
    readonly logger: Logger,
    readonly receiptDelays: ReceiptDelays,
  ) {}

  // ---- ConnectionHandler ----------------------------------------------------------------------

  async onClientPayload(conn: Connection, payload: proto.ClientPayload): Promise<void> {
    if (payload.devicePairingData) startRegistration(this, conn, payload);
    else await login(this, conn, payload);
  }

  async onStanza(conn: Connection, node: BinaryNode): Promise<void> {
    await dispatchStanza(this, conn, node);
  }

  onClose(conn: Connection): void {
    this.connections.delete(conn.id);
    if (conn.pairing !== undefined) for (const ref of conn.pairing.refs) this.refs.delete(ref);
    if (conn.device !== undefined) {
      const key = deviceKey(conn.device.phone, conn.device.deviceId);
      if (this.live.get(key) === conn) this.live.delete(key);
      // WhatsApp keeps a message until the device acknowledges it; unreceipted ones come again.
      const device = this.registry.companion(conn.device.phone, conn.device.deviceId);
      if (device !== undefined && conn.inflight.size > 0) {
        device.offline.unshift(...[...conn.inflight.values()].map((n) => (this.markOffline ? { ...n, attrs: { ...n.attrs, offline: '1' } } : n)));
      }
      conn.inflight.clear();
    }
  }

  // ---- PhoneNetwork ---------------------------------------------------------------------------

  async takeBundle(address: DeviceAddress): Promise<PreKeyBundle | undefined> {
    if (address.deviceId === 0) return this.phones.get(address.phone)?.signal.takeBundle();
    const device = this.registry.companion(address.phone, address.deviceId);
    if (device === undefined) return undefined;
    const first = device.preKeys.entries().next();
    let preKey: PreKeyBundle['preKey'];
    if (first.done !== true) {
      const [keyId, publicKey] = first.value;
      device.preKeys.delete(keyId);
      preKey = { keyId, publicKey };
      this.#maybeAskForPreKeys(address, device.preKeys.size);
    }
    return { registrationId: device.registrationId, identityKey: device.identityKey, signedPreKey: device.signedPreKey, ...(preKey ? { preKey } : {}) };
  }

  /** Like WhatsApp, tell a companion when its server-side pre-keys run low. */
  #maybeAskForPreKeys(address: DeviceAddress, left: number): void {
    if (left >= 5) return;
    const conn = this.live.get(deviceKey(address.phone, address.deviceId));
    conn?.send({ tag: 'notification', attrs: { from: 's.whatsapp.net', type: 'encrypt', id: `prekeylow-${Date.now()}`, t: now() }, content: [{ tag: 'count', attrs: { value: String(left) } }] });
  }

  groupParticipants(groupJid: string): string[] | undefined {
    return this.groups.get(groupJid)?.participants.map((p) => p.phone);
  }

  deliver(envelope: Envelope, to: DeviceAddress): void {
    if (envelope.from.phone !== to.phone) {
      for (const [a, b] of [[envelope.from.phone, to.phone], [to.phone, envelope.from.phone]] as const) {
        let set = this.peers.get(a);
        if (set === undefined) this.peers.set(a, (set = new Set()));
        set.add(b);
      }
    }
    if (this.messages.get(envelope.id) === undefined) {
      const group = envelope.chat.kind === 'group' ? envelope.chat.jid : undefined;
      this.messages.add({ id: envelope.id, sender: envelope.from, chatAsSent: group ?? pnJid(envelope.chat.kind === 'user' ? envelope.chat.peer : ''), group });
    }
    if (to.deviceId === 0) {
      const phone = this.phones.get(to.phone);
      if (phone === undefined) return;
      // Phones answer asynchronously, like a handset on the other side of the network.
      setImmediate(() => {
        phone.receive(envelope).catch((err: unknown) => this.logger.warn({ err }, 'Virtual phone failed to process a message'));
      });
      return;
    }
    const corrupt = this.faults.corruptDeliveries.get(deviceKey(to.phone, to.deviceId)) ?? 0;
    if (corrupt > 0) {
      this.faults.corruptDeliveries.set(deviceKey(to.phone, to.deviceId), corrupt - 1);
      envelope = { ...envelope, encs: envelope.encs.map((e) => ({ ...e, ciphertext: flipLastByte(e.ciphertext) })) };
    }
    const stanza = envelopeToStanza(this, envelope, to);
    if (stanza !== undefined) this.sendToDevice(to, stanza);
  }

  sendReceipt(receipt: ReceiptIntent): void {
    routeReceipt(this, receipt);
  }

  scan(phone: string, qr: string): Promise<PairedDeviceInfo> {
    const vp = this.phones.get(phone);
    if (vp === undefined) return Promise.reject(new Error(`unknown phone ${phone}`));
    return scanQr(this, vp, qr);
  }

  enterPairingCode(phone: string, code: string): Promise<PairedDeviceInfo> {
    const vp = this.phones.get(phone);
    if (vp === undefined) return Promise.reject(new Error(`unknown phone ${phone}`));
    return enterPairingCode(this, vp, code);
  }

  /** Phone-side unlink: the device is forgotten and its socket gets 401 device_removed. */
  unlink(phone: string, deviceId: number): void {
    const conn = this.liveConnection({ phone, deviceId });
    if (this.registry.removeCompanion(phone, deviceId) !== undefined) notifyDeviceChange(this, phone, deviceId, 'remove');
    conn?.streamError(401, { tag: 'conflict', attrs: { type: 'device_removed' } });
  }

  setPresence(phone: string, state: 'available' | 'unavailable'): void {
    announcePresence(this, phone, state);
  }

  chatState(phone: string, to: string, state: 'composing' | 'recording' | 'paused'): void {
    sendChatState(this, phone, to, state);
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Sends to the device's live connection, or keeps it for its next login. */
  sendToDevice(to: DeviceAddress, node: BinaryNode, options: { queueIfOffline?: boolean } = {}): void {
    const key = deviceKey(to.phone, to.deviceId);
    const conn = this.live.get(key);
    if (conn !== undefined && conn.isOpen) {
      if (node.tag === 'message' && node.attrs.id !== undefined) conn.inflight.set(node.attrs.id, node);
      conn.send(node);
      return;
    }
    if (options.queueIfOffline === false) return;
    const device = this.registry.companion(to.phone, to.deviceId);
    if (device === undefined) return;
    device.offline.push(this.markOffline ? { ...node, attrs: { ...node.attrs, offline: '1' } } : node);
  }

  liveConnection(address: DeviceAddress): Connection | undefined {
    return this.live.get(deviceKey(address.phone, address.deviceId));
  }
}

function flipLastByte(data: Uint8Array): Uint8Array {
  const copy = Uint8Array.from(data);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0xff;
  return copy;
}

export function now(): string {
  return String(Math.floor(Date.now() / 1000));
}
