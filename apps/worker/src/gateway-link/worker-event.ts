import type { EventData, EventEnvelope, EventType } from '@wagate/contracts';

export type { EventEnvelope as WorkerEvent, EventType as WorkerEventType } from '@wagate/contracts';

/**
 * What a caller hands to the outbox: the envelope minus what the outbox fills in (worker, time, and
 * the id unless the caller derives one so that a repeat of the same fact dedupes at the gateway).
 */
export type NewWorkerEvent = {
  [T in EventType]: {
    id?: string;
    type: T;
    sessionId: string;
    /** The session's epoch when the event happened; the gateway refuses stale ones. */
    epoch: number;
    data: EventData<T>;
  };
}[EventType];

/** Narrows a built event to the union member of its type (for callers holding a literal type). */
export function workerEvent<T extends EventType>(type: T, sessionId: string, epoch: number, data: EventData<T>, id?: string): NewWorkerEvent {
  return { ...(id === undefined ? {} : { id }), type, sessionId, epoch, data } as NewWorkerEvent;
}

export type { EventEnvelope };
