export { createMessagesService, IDEMPOTENCY_TTL_MS } from './messages.service.js';
export type { MessagesService, MessagesServiceOptions, SendResult, UserCaller } from './messages.service.js';
export { messagesRoutes } from './messages.routes.js';
export type { MessagesRoutesOptions } from './messages.routes.js';
export { canonicalJson, createIdempotencyRepository, requestHash } from './idempotency.repository.js';
export type { ClaimResult, IdempotencyRepository } from './idempotency.repository.js';
export type {
  ApiKeyCaller,
  MessageLimits,
  MessageRoute,
  MessagingWorker,
  RouteLookup,
  SessionReader,
  SessionRecord,
  SessionViewFn,
  UsageRecorder,
} from './messages.ports.js';
