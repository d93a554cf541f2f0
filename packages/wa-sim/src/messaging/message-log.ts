import type { DeviceAddress } from '../network/device-registry.js';

export interface LoggedMessage {
  id: string;
  sender: DeviceAddress;
  /** The `to` of the sender's stanza (the chat as the sender addressed it). */
  chatAsSent: string;
  group: string | undefined;
}

/**
 * Who sent which message id, so receipts and retries find their way back. Bounded: receipts for
 * very old messages are dropped, as a real server eventually does.
 */
export class MessageLog {
  readonly #byId = new Map<string, LoggedMessage>();
  constructor(private readonly limit = 50_000) {}

  add(entry: LoggedMessage): void {
    this.#byId.delete(entry.id);
    this.#byId.set(entry.id, entry);
    if (this.#byId.size > this.limit) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
  }

  get(id: string): LoggedMessage | undefined {
    return this.#byId.get(id);
  }
}
