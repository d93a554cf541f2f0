export { EventOutbox } from './outbox.js';
export type { OutboxOptions, OutboxStats } from './outbox.js';
export { WORKER_EVENT_TYPES, uuidv7 } from './worker-event.js';
export type { NewWorkerEvent, WorkerEvent, WorkerEventType } from './worker-event.js';
