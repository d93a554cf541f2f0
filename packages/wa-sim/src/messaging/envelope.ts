import type { DeviceAddress } from '../network/device-registry.js';

export interface EncPayload {
  type: 'pkmsg' | 'msg' | 'skmsg';
  ciphertext: Uint8Array;
  /** Retry count, set on resends answering a retry receipt. */
  count?: string;
}

export type ChatRef = { kind: 'user'; peer: string } | { kind: 'group'; jid: string };

/**
 * One message on its way to one device, independent of who sends it (virtual phone or companion)
 * and who receives it: the router turns it into a stanza or hands it to a virtual phone.
 */
export interface Envelope {
  id: string;
  t: number;
  /** Stanza `type`: text, media, reaction, poll … */
  type: string;
  mediatype?: string;
  from: DeviceAddress;
  /** For a 1:1 message: the other party as the *sender* sees it (its phone number). */
  chat: ChatRef;
  encs: EncPayload[];
  deviceIdentity?: Uint8Array;
  notify?: string;
  /** Extra stanza attributes the receiver must see (edit, category …). */
  attrs?: Record<string, string>;
}
