import type { SimCore } from '../core/sim-core.js';
import { deviceKey } from '../network/device-registry.js';

export interface DeviceRef {
  phone: string;
  deviceId: number;
}

export type StreamErrorCode = 401 | 403 | 411 | 440 | 500 | 503 | 515 | number;

/** Fault injection against one companion device's connection. */
export interface Faults {
  /** Drop the TCP connection without a goodbye. Returns false when the device is not connected. */
  drop(device: DeviceRef): boolean;
  /** `<stream:error>` with this code (440 is sent as `<conflict type=replaced/>`, as WhatsApp does). */
  streamError(device: DeviceRef, code: StreamErrorCode): boolean;
  /** Stop answering (and sending) on the connection: Baileys' keep-alive then reports 428. */
  silence(device: DeviceRef): boolean;
  /** The next login of the device fails with `<failure reason=code/>`. */
  failNextLogin(device: DeviceRef, code: number): void;
  /** Server acks for this device's messages: normal, delayed, refused (never sent) or with an error. */
  acks(device: DeviceRef, mode: { mode: 'normal' } | { mode: 'delay'; ms: number } | { mode: 'refuse' } | { mode: 'error'; code: number }): void;
  /** The device's next `count` incoming messages arrive corrupted: Baileys sends retry receipts. */
  corruptDeliveries(device: DeviceRef, count?: number): void;
  /** The phone fails to decrypt its next `count` messages and asks for retries. */
  failDecrypt(phone: string, count?: number): void;
}

export function createFaults(core: SimCore): Faults {
  const conn = (d: DeviceRef) => core.liveConnection({ phone: d.phone, deviceId: d.deviceId });
  return {
    drop: (d) => {
      const c = conn(d);
      c?.terminate('fault: dropped');
      return c !== undefined;
    },
    streamError: (d, code) => {
      const c = conn(d);
      if (c === undefined) return false;
      if (code === 440) c.streamError(undefined, { tag: 'conflict', attrs: { type: 'replaced' } });
      else c.streamError(code);
      return true;
    },
    silence: (d) => {
      const c = conn(d);
      if (c !== undefined) c.silenced = true;
      return c !== undefined;
    },
    failNextLogin: (d, code) => {
      core.faults.loginFailures.set(deviceKey(d.phone, d.deviceId), code);
    },
    acks: (d, mode) => {
      const key = deviceKey(d.phone, d.deviceId);
      core.faults.refuseAcks.delete(key);
      core.faults.ackDelays.delete(key);
      core.faults.errorAcks.delete(key);
      if (mode.mode === 'refuse') core.faults.refuseAcks.add(key);
      if (mode.mode === 'delay') core.faults.ackDelays.set(key, mode.ms);
      if (mode.mode === 'error') core.faults.errorAcks.set(key, mode.code);
    },
    corruptDeliveries: (d, count = 1) => {
      core.faults.corruptDeliveries.set(deviceKey(d.phone, d.deviceId), count);
    },
    failDecrypt: (phone, count = 1) => {
      const p = core.phones.get(phone);
      if (p !== undefined) p.failNextDecrypts += count;
    },
  };
}
