export { EventOutbox, InvalidEventError } from './outbox.js';
export type { OutboxOptions, OutboxStats } from './outbox.js';
export { workerEvent } from './worker-event.js';
export type { NewWorkerEvent, WorkerEvent, WorkerEventType } from './worker-event.js';
export { GatewayLink, GatewayRefusedError } from './gateway-link.js';
export type { GatewayLinkOptions } from './gateway-link.js';
