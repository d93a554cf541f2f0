// Wiring for app.ts: one call gives the routes' service, the outbox other modules write to, and
// the dispatcher that app.ts starts when the app is ready and stops when it closes.
import type { FastifyBaseLogger } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { createSecretBox } from './secret-box.js';
import type { Lookup } from './ssrf-guard.js';
import { createWebhookDispatcher, type WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.job.js';
import { createWebhookOutbox, type WebhookOutbox } from './webhook-outbox.js';
import { createWebhookSender, type WebhookSenderOptions } from './webhook-sender.js';
import { createWebhooksService, type WebhooksService } from './webhooks.service.js';

/** Test and tuning hooks, passed through AppDependencies.webhooks. */
export interface WebhooksModuleOptions {
  /** Replaces DNS for the SSRF guard (tests play private or rebinding answers). */
  lookup?: Lookup;
  /** Dispatcher tunables (lease, schedule, auto-disable thresholds, retention). */
  dispatcher?: Partial<Omit<WebhookDispatcherOptions, 'db' | 'sender' | 'secretBox' | 'logger' | 'systemLogs'>>;
  sender?: Pick<WebhookSenderOptions, 'timeoutMs' | 'bodyCapBytes'>;
}

export interface WebhooksModule {
  service: WebhooksService;
  outbox: WebhookOutbox;
  dispatcher: WebhookDispatcher;
  /** Also hands every delivery attempt's outcome to `listener` (delivery metrics). */
  observeAttempts(listener: NonNullable<WebhookDispatcherOptions['onAttempt']>): void;
  /** Starts the dispatcher unless the interval is 0 (dispatch off on this replica). */
  start(): void;
  close(): Promise<void>;
}

/**
 * The AES key for secrets at rest. Production requires ENCRYPTION_KEY (config enforces it) and the
 * CLI generates one in embedded mode; anywhere else a per-process key is used, with a warning,
 * and endpoints created now cannot sign after a restart.
 */
function encryptionKey(configured: string | undefined, logger: FastifyBaseLogger): Buffer {
  if (configured) return Buffer.from(configured, 'base64');
  logger.warn('ENCRYPTION_KEY is not set: webhook secrets use a per-process key and stop working after a restart');
  return randomBytes(32);
}

export function createWebhooksModule(
  deps: {
    db: Database;
    logger: FastifyBaseLogger;
    systemLogs: { append(input: AppendSystemLogInput): Promise<unknown> };
    encryptionKey: string | undefined;
    allowPrivateNetworks: boolean;
    dispatchIntervalMs: number;
  },
  options: WebhooksModuleOptions = {},
): WebhooksModule {
  const secretBox = createSecretBox(encryptionKey(deps.encryptionKey, deps.logger));
  const ssrf = { allowPrivateNetworks: deps.allowPrivateNetworks, ...(options.lookup ? { lookup: options.lookup } : {}) };
  const sender = createWebhookSender({ ...ssrf, ...options.sender });
  const attemptListeners: NonNullable<WebhookDispatcherOptions['onAttempt']>[] = [options.dispatcher?.onAttempt].filter((l) => l !== undefined);
  const dispatcher = createWebhookDispatcher({
    db: deps.db,
    sender,
    secretBox,
    logger: deps.logger,
    systemLogs: deps.systemLogs,
    intervalMs: deps.dispatchIntervalMs,
    ...options.dispatcher,
    onAttempt: (attempt) => {
      for (const listener of attemptListeners) listener(attempt);
    },
  });
  const wake = () => dispatcher.wake();
  return {
    service: createWebhooksService({ db: deps.db, secretBox, ssrf, onEnqueued: wake }),
    outbox: createWebhookOutbox({ db: deps.db, onEnqueued: wake }),
    dispatcher,
    observeAttempts(listener) {
      attemptListeners.push(listener);
    },
    start() {
      if (deps.dispatchIntervalMs > 0) dispatcher.start();
    },
    async close() {
      await dispatcher.stop();
      await sender.close();
    },
  };
}
