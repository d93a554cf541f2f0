export { createWebhookOutbox, type WebhookOutbox, type WebhookOutboxOptions } from './webhook-outbox.js';
export { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.job.js';
export { createWebhookSender, type WebhookSender } from './webhook-sender.js';
export { createSecretBox, type SecretBox } from './secret-box.js';
export { createWebhooksService, type WebhooksService } from './webhooks.service.js';
export { webhooksRoutes } from './webhooks.routes.js';
export { checkWebhookUrl, isForbiddenAddress, type Lookup, type SsrfPolicy } from './ssrf-guard.js';
export { generateWebhookSecret, signedHeaders, verifyWebhookSignature } from './webhook-signature.js';
export { RETRY_SCHEDULE_MS, MAX_ATTEMPTS } from './retry-policy.js';
