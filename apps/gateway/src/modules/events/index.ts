export { INGEST_MEMORY_RETENTION_MS, createEventsRepository } from './events.repository.js';
export type { EventsRepository, FencedSession, SessionChange } from './events.repository.js';
export { createEventsIngest } from './events.service.js';
export type { EventsIngest, EventsIngestDeps } from './events.service.js';
export type { UsageRecorder, WebhookOutbox } from './events.ports.js';
export { eventsRoutes } from './events.routes.js';
export type { EventsRoutesOptions } from './events.routes.js';
