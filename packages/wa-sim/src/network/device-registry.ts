import type { BinaryNode } from 'baileys';
import { LID_SERVER, lidJid, parseJid, pnJid } from './jids.js';

export interface SignedPreKeyRecord {
  keyId: number;
  publicKey: Uint8Array;
  signature: Uint8Array;
}

/** A linked (companion) device of an account: what the server knows about one Baileys install. */
export interface CompanionDevice {
  phone: string;
  lid: string;
  deviceId: number;
  keyIndex: number;
  /** Noise static key: a login must present the same key. */
  noiseKey: Uint8Array;
  identityKey: Uint8Array;
  registrationId: number;
  signedPreKey: SignedPreKeyRecord;
  preKeys: Map<number, Uint8Array>;
  platform: string;
  pairedAt: number;
  /** True until the phone pushed the initial history after the first login. */
  needsInitialHistory: boolean;
  /** Stanzas waiting for the device's next login. */
  offline: BinaryNode[];
}

export interface ConnectionRecord {
  connectionId: number;
  /** `phone:device`, or undefined while the connection is only pairing. */
  device: string | undefined;
  openedAt: number;
  /** When `<success>` was sent: from here on the socket counts as the device's live one. */
  loggedInAt: number | undefined;
  closedAt: number | undefined;
  closeReason: string | undefined;
}

export interface DeviceAddress {
  phone: string;
  deviceId: number;
}

export const deviceKey = (phone: string, deviceId: number): string => `${phone}:${deviceId}`;

/**
 * Who exists on the simulated network: phone numbers ↔ LIDs, companion devices, and the history
 * of connections per device (so tests can prove no device ever had two live sockets).
 */
export class DeviceRegistry {
  readonly #lidByPhone = new Map<string, string>();
  readonly #phoneByLid = new Map<string, string>();
  readonly #companions = new Map<string, CompanionDevice>();
  readonly connections: ConnectionRecord[] = [];
  #nextConnectionId = 1;

  registerAccount(phone: string, lid: string): void {
    this.#lidByPhone.set(phone, lid);
    this.#phoneByLid.set(lid, phone);
  }

  removeAccount(phone: string): void {
    const lid = this.#lidByPhone.get(phone);
    this.#lidByPhone.delete(phone);
    if (lid !== undefined) this.#phoneByLid.delete(lid);
    for (const d of this.companionsOf(phone)) this.removeCompanion(phone, d.deviceId);
  }

  lidOf(phone: string): string | undefined {
    return this.#lidByPhone.get(phone);
  }

  phoneOfLid(lid: string): string | undefined {
    return this.#phoneByLid.get(lid);
  }

  hasAccount(phone: string): boolean {
    return this.#lidByPhone.has(phone);
  }

  /** Resolves a PN or LID JID (with or without device) to the account's phone and device. */
  resolve(jid: string | undefined): DeviceAddress | undefined {
    const parsed = parseJid(jid);
    if (parsed === undefined) return undefined;
    const phone = parsed.server === LID_SERVER ? this.#phoneByLid.get(parsed.user) : this.#lidByPhone.has(parsed.user) ? parsed.user : undefined;
    return phone === undefined ? undefined : { phone, deviceId: parsed.device };
  }

  nextDeviceId(phone: string): number {
    let max = 0;
    for (const d of this.companionsOf(phone)) max = Math.max(max, d.deviceId);
    return max + 1;
  }

  addCompanion(device: CompanionDevice): void {
    this.#companions.set(deviceKey(device.phone, device.deviceId), device);
  }

  companion(phone: string, deviceId: number): CompanionDevice | undefined {
    return this.#companions.get(deviceKey(phone, deviceId));
  }

  removeCompanion(phone: string, deviceId: number): CompanionDevice | undefined {
    const key = deviceKey(phone, deviceId);
    const device = this.#companions.get(key);
    this.#companions.delete(key);
    return device;
  }

  companionsOf(phone: string): CompanionDevice[] {
    return [...this.#companions.values()].filter((d) => d.phone === phone);
  }

  allCompanions(): CompanionDevice[] {
    return [...this.#companions.values()];
  }

  /** Device ids of an account (0 = the virtual phone) with key indexes, as usync reports them. */
  devicesOf(phone: string): { id: number; keyIndex?: number }[] {
    return [{ id: 0 }, ...this.companionsOf(phone).map((d) => ({ id: d.deviceId, keyIndex: d.keyIndex }))];
  }

  pnJidOf(address: DeviceAddress): string {
    return pnJid(address.phone, address.deviceId);
  }

  lidJidOf(address: DeviceAddress): string {
    return lidJid(this.#lidByPhone.get(address.phone) ?? address.phone, address.deviceId);
  }

  openConnection(): ConnectionRecord {
    const record: ConnectionRecord = { connectionId: this.#nextConnectionId++, device: undefined, openedAt: Date.now(), loggedInAt: undefined, closedAt: undefined, closeReason: undefined };
    this.connections.push(record);
    return record;
  }

  /** Connection history of one device (`phone:device`). */
  connectionsOf(device: string): ConnectionRecord[] {
    return this.connections.filter((c) => c.device === device);
  }
}
