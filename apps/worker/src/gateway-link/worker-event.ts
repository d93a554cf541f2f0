import { randomBytes } from 'node:crypto';

/**
 * Worker → gateway event types (DESIGN.md §7). Defined here until `@wagate/contracts` exports
 * the event envelope (src/events.ts); the shapes are meant to match it.
 */
export const WORKER_EVENT_TYPES = ['session.status', 'session.qr', 'message.received', 'message.sent', 'message.status', 'message.failed'] as const;
export type WorkerEventType = (typeof WORKER_EVENT_TYPES)[number];

/** What a caller hands to the outbox. */
export interface NewWorkerEvent {
  type: WorkerEventType;
  sessionId: string;
  /** The session's epoch when the event happened; the gateway drops stale ones. */
  epoch: number;
  data: Record<string, unknown>;
}

/** What is stored and sent: unique id (the gateway dedupes on it), worker and time added. */
export interface WorkerEvent extends NewWorkerEvent {
  id: string;
  workerId: string;
  occurredAt: string;
}

/** A UUIDv7: time-ordered (sorts in creation order) and random, never sequential. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
