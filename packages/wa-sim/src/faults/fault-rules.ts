/** Per-device misbehaviour the server applies to stanzas; keys are `phone:device`. */
export class FaultRules {
  /** Devices whose `<message>` get no server ack at all. */
  readonly refuseAcks = new Set<string>();
  /** Devices whose acks are sent with an error code (Baileys marks the message failed). */
  readonly errorAcks = new Map<string, number>();
  /** Devices whose acks come late, in ms. */
  readonly ackDelays = new Map<string, number>();
  /** Devices whose next N incoming messages arrive with a broken MAC (they ask for retries). */
  readonly corruptDeliveries = new Map<string, number>();
  /** One-shot login failures (`<failure reason=…>`), by device key. */
  readonly loginFailures = new Map<string, number>();
}
