// Every table of the gateway database; drizzle-kit reads this file (drizzle.config.ts).
export * from './users.table.js';
export * from './workers.table.js';
export * from './sessions.table.js';
export * from './api-keys.table.js';
export * from './usage-records.table.js';
export * from './worker-metrics.table.js';
export * from './system-logs.table.js';
export * from './webhooks.table.js';
export * from './webhook-deliveries.table.js';
export * from './idempotency-keys.table.js';
export * from './processed-events.table.js';
export * from './refresh-tokens.table.js';
export * from './sandbox-phones.table.js';
export * from './session-placements.table.js';
