import type { Logger } from 'pino';
import type { Envelope } from '../messaging/envelope.js';
import type { DeviceAddress, DeviceRegistry } from './device-registry.js';

/** A Signal pre-key bundle, in the shape Baileys' `injectE2ESession` takes. */
export interface PreKeyBundle {
  registrationId: number;
  identityKey: Uint8Array;
  signedPreKey: { keyId: number; publicKey: Uint8Array; signature: Uint8Array };
  preKey?: { keyId: number; publicKey: Uint8Array };
}

export type ReceiptKind = 'delivery' | 'read' | 'played' | 'retry';

export interface ReceiptIntent {
  /** The device that received the message and now acknowledges it. */
  from: DeviceAddress;
  /** The device that sent it. */
  to: DeviceAddress;
  messageId: string;
  kind: ReceiptKind;
  /** For groups: the group JID. */
  group?: string;
  /** Retry receipts: how many times this device failed the message, and (count > 1) a bundle to start over with. */
  retry?: { count: number; registrationId: number; keys?: PreKeyBundle };
}

export interface ReceiptDelays {
  /** ms before a virtual phone confirms delivery; null = only when the test says so. */
  delivery: number | null;
  /** ms before it marks a message read; null = only when the test says so. */
  read: number | null;
}

/** The media host as the phones use it (in-process, no TLS round trip). */
export interface MediaStore {
  put(body: Buffer, mediaPath?: string): { mediaUrl: string; directPath: string };
  get(directPathOrUrl: string): Buffer | undefined;
}

/** What a virtual phone needs from the network; implemented by the simulator core. */
export interface PhoneNetwork {
  readonly registry: DeviceRegistry;
  readonly logger: Logger;
  readonly receiptDelays: ReceiptDelays;
  readonly mediaStore: MediaStore | undefined;
  takeBundle(address: DeviceAddress): Promise<PreKeyBundle | undefined>;
  groupParticipants(groupJid: string): string[] | undefined;
  deliver(envelope: Envelope, to: DeviceAddress): void;
  sendReceipt(receipt: ReceiptIntent): void;
  scan(phone: string, qr: string): Promise<PairedDeviceInfo>;
  enterPairingCode(phone: string, code: string): Promise<PairedDeviceInfo>;
  unlink(phone: string, deviceId: number): void;
  setPresence(phone: string, state: 'available' | 'unavailable'): void;
  chatState(phone: string, to: string, state: 'composing' | 'recording' | 'paused'): void;
}

export interface PairedDeviceInfo {
  jid: string;
  lid: string;
  deviceId: number;
}
