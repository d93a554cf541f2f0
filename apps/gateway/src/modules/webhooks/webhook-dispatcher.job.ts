// The read side of the outbox, run on every gateway replica. Rows are claimed with
// FOR UPDATE SKIP LOCKED and leased (next_attempt_at pushed forward to the lease end), so two
// replicas never take the same attempt, and a replica that dies mid-flight only delays its rows
// until the lease runs out. The attempt number is the fencing token for writing the result.
import type { WebhookPayload } from '@wagate/contracts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { schema, type Database } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';
import { classifyAttempt, RETRY_SCHEDULE_MS, type AttemptOutcome } from './retry-policy.js';
import type { SecretBox } from './secret-box.js';
import { signedHeaders } from './webhook-signature.js';
import type { WebhookSender } from './webhook-sender.js';

const { webhooks, webhookDeliveries } = schema;

const HOUR = 3_600_000;

export interface WebhookDispatcherOptions {
  db: Database;
  sender: WebhookSender;
  secretBox: SecretBox;
  logger: FastifyBaseLogger;
  systemLogs?: { append(input: AppendSystemLogInput): Promise<unknown> };
  /** Called when an endpoint is turned off (410 or sustained failure), e.g. to push a live notification. */
  onEndpointDisabled?: (event: { webhookId: string; sessionId: string; userId: string; reason: string }) => void;
  /** Called after every attempt with how it was classified (delivery metrics). */
  onAttempt?: (attempt: { outcome: AttemptOutcome['kind']; code: number | null; durationMs: number }) => void;
  /** Poll interval (WEBHOOK_DISPATCH_INTERVAL_MS). */
  intervalMs: number;
  /** Rows claimed per poll. */
  batchSize?: number;
  /** Sends running at once on this replica; claiming pauses at this many. */
  maxInFlight?: number;
  /** How long a claim holds a row; must exceed the send timeout (15 s) with room for the result write. */
  leaseMs?: number;
  schedule?: readonly number[];
  random?: () => number;
  /** Auto-disable: at least this many consecutive failed attempts… */
  disableAfterFailures?: number;
  /** …over at least this long without a success. */
  disableAfterMs?: number;
  /** Settled deliveries older than this are deleted. */
  retentionMs?: number;
  cleanupIntervalMs?: number;
}

export interface WebhookDispatcher {
  start(): void;
  /** Stops polling and aborts in-flight requests; their rows come due again when the lease ends. */
  stop(): Promise<void>;
  /** One claim-and-send round; resolves with the number of rows it claimed. */
  runOnce(): Promise<number>;
  /** Poll soon (a new delivery was written) instead of waiting out the interval. */
  wake(): void;
  /** Deletes settled deliveries past retention; resolves with the number deleted. */
  cleanup(): Promise<number>;
}

interface ClaimedRow {
  id: string;
  webhook_id: string;
  event_id: string;
  payload: unknown;
  attempts: number;
}

const WAKE_DELAY_MS = 20;
export const DEFAULT_LEASE_MS = 60_000;
export const DEFAULT_BATCH_SIZE = 20;
export const DEFAULT_MAX_IN_FLIGHT = 64;
export const DEFAULT_DISABLE_AFTER_FAILURES = 12;
export const DEFAULT_DISABLE_AFTER_MS = 48 * HOUR;
export const DEFAULT_RETENTION_MS = 30 * 24 * HOUR;

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const { db, sender, secretBox, logger } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const schedule = options.schedule ?? RETRY_SCHEDULE_MS;
  const disableAfterFailures = options.disableAfterFailures ?? DEFAULT_DISABLE_AFTER_FAILURES;
  const disableAfterMs = options.disableAfterMs ?? DEFAULT_DISABLE_AFTER_MS;
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  const cleanupIntervalMs = options.cleanupIntervalMs ?? HOUR;

  let running = false;
  let timer: NodeJS.Timeout | undefined;
  let timerDueAt = Infinity;
  let cleanupTimer: NodeJS.Timeout | undefined;
  let current: Promise<unknown> | undefined;
  let wakeRequested = false;
  let throttled = false;
  const inFlight = new Set<Promise<unknown>>();
  const abort = new AbortController();

  async function claim(limit: number): Promise<ClaimedRow[]> {
    // PENDING rows that are due, and DELIVERING rows whose lease ran out (their replica died).
    const result = await db.execute<ClaimedRow & Record<string, unknown>>(sql`
      with due as (
        select id from ${webhookDeliveries}
        where status in ('PENDING', 'DELIVERING') and next_attempt_at <= now()
        order by next_attempt_at
        limit ${limit}
        for update skip locked
      )
      update ${webhookDeliveries} d
      set status = 'DELIVERING',
          attempts = d.attempts + 1,
          locked_until = now() + ${leaseMs} * interval '1 millisecond',
          next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
      from due where d.id = due.id
      returning d.id, d.webhook_id, d.event_id, d.payload, d.attempts`);
    return result.rows;
  }

  /** Writes a row's outcome only if it is still this attempt's (a slow replica must not overwrite a newer one). */
  function ours(row: ClaimedRow) {
    return and(eq(webhookDeliveries.id, row.id), eq(webhookDeliveries.attempts, row.attempts), eq(webhookDeliveries.status, 'DELIVERING'));
  }

  async function disableEndpoint(webhook: schema.WebhookRow, reason: string): Promise<void> {
    const changed = await db.transaction(async (tx) => {
      // Only the first of several concurrent failures turns it off (and logs it).
      const off = await tx
        .update(webhooks)
        .set({ isActive: false, disabledReason: reason })
        .where(and(eq(webhooks.id, webhook.id), eq(webhooks.isActive, true)))
        .returning({ id: webhooks.id });
      if (off.length === 0) return false;
      await tx
        .update(webhookDeliveries)
        .set({ status: 'DISABLED', lockedUntil: null })
        .where(and(eq(webhookDeliveries.webhookId, webhook.id), sql`${webhookDeliveries.status} = 'PENDING'`));
      return true;
    });
    if (!changed) return;
    logger.warn({ webhookId: webhook.id, sessionId: webhook.sessionId, userId: webhook.userId, reason }, 'webhook endpoint disabled');
    await options.systemLogs
      ?.append({
        level: 'warn',
        category: 'webhook',
        message: `Webhook endpoint disabled: ${reason}`,
        userId: webhook.userId,
        sessionId: webhook.sessionId,
        metadata: { webhookId: webhook.id, url: webhook.url, reason },
      })
      .catch((err: unknown) => logger.error({ err, webhookId: webhook.id }, 'could not write the webhook-disabled system log'));
    options.onEndpointDisabled?.({ webhookId: webhook.id, sessionId: webhook.sessionId, userId: webhook.userId, reason });
  }

  async function recordFailure(webhook: schema.WebhookRow, row: ClaimedRow, outcome: AttemptOutcome & { kind: 'retry' | 'exhausted' }, code: number | null, error: string): Promise<void> {
    const [counted] = await db.transaction(async (tx) => {
      const settled = await tx
        .update(webhookDeliveries)
        .set(
          outcome.kind === 'retry'
            ? { status: 'PENDING', nextAttemptAt: sql`now() + ${outcome.delayMs} * interval '1 millisecond'`, lockedUntil: null, lastResponseCode: code, lastError: error }
            : { status: 'FAILED', lockedUntil: null, lastResponseCode: code, lastError: error },
        )
        .where(ours(row))
        .returning({ id: webhookDeliveries.id });
      if (settled.length === 0) return [];
      return tx
        .update(webhooks)
        .set({ failureCount: sql`${webhooks.failureCount} + 1`, failingSince: sql`coalesce(${webhooks.failingSince}, now())` })
        .where(eq(webhooks.id, webhook.id))
        .returning({
          failureCount: webhooks.failureCount,
          sustainedMs: sql<string>`(extract(epoch from now() - ${webhooks.failingSince}) * 1000)::bigint::text`,
        });
    });
    if (counted && webhook.isActive && counted.failureCount >= disableAfterFailures && Number(counted.sustainedMs) >= disableAfterMs) {
      await disableEndpoint(webhook, `${counted.failureCount} consecutive failed deliveries over ${Math.round(Number(counted.sustainedMs) / HOUR)} h`);
    }
  }

  async function deliver(row: ClaimedRow, endpoint: schema.WebhookRow | undefined): Promise<void> {
    if (!endpoint || !endpoint.isActive) {
      await db.update(webhookDeliveries).set({ status: 'DISABLED', lockedUntil: null, lastError: 'endpoint disabled' }).where(ours(row));
      return;
    }
    const secrets = [secretBox.open(endpoint.secretCiphertext, endpoint.id)];
    if (endpoint.previousSecretCiphertext && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt.getTime() > Date.now()) {
      secrets.push(secretBox.open(endpoint.previousSecretCiphertext, endpoint.id));
    }
    const body = JSON.stringify(row.payload as WebhookPayload);
    const result = await sender.send({ url: endpoint.url, body, headers: { ...signedHeaders(secrets, row.event_id, body) }, signal: abort.signal });
    if (abort.signal.aborted) return; // shutting down: the lease brings the row back
    const code = result.ok ? result.status : null;
    const error = result.ok ? (result.status >= 200 && result.status < 300 ? null : `HTTP ${result.status}${result.body ? `: ${result.body.slice(0, 300)}` : ''}`) : result.error;
    const outcome = classifyAttempt(row.attempts, code, result.ok ? result.retryAfter : undefined, { schedule, ...(options.random ? { random: options.random } : {}) });
    logger.debug({ deliveryId: row.id, webhookId: endpoint.id, attempt: row.attempts, code, outcome: outcome.kind, ms: Math.round(result.durationMs) }, 'webhook attempt');
    options.onAttempt?.({ outcome: outcome.kind, code, durationMs: result.durationMs });
    switch (outcome.kind) {
      case 'delivered': {
        const settle = { status: 'DELIVERED' as const, deliveredAt: sql`now()`, lockedUntil: null, lastResponseCode: code, lastError: null };
        // The common case, a healthy endpoint, costs one statement; only a recovering one needs the transaction.
        if (endpoint.failureCount === 0) {
          await db.update(webhookDeliveries).set(settle).where(ours(row));
          return;
        }
        await db.transaction(async (tx) => {
          const settled = await tx
            .update(webhookDeliveries)
            .set(settle)
            .where(ours(row))
            .returning({ id: webhookDeliveries.id });
          if (settled.length > 0) {
            await tx.update(webhooks).set({ failureCount: 0, failingSince: null }).where(and(eq(webhooks.id, endpoint.id), sql`${webhooks.failureCount} > 0`));
          }
        });
        return;
      }
      case 'gone': {
        await db.update(webhookDeliveries).set({ status: 'DISABLED', lockedUntil: null, lastResponseCode: code, lastError: error }).where(ours(row));
        await disableEndpoint(endpoint, 'the endpoint answered 410 Gone');
        return;
      }
      default:
        await recordFailure(endpoint, row, outcome, code, error ?? 'failed');
    }
  }

  /** Claims up to `limit` rows and starts sending them; `done` settles when every send has been recorded. */
  async function claimAndStart(limit: number): Promise<{ claimed: number; done: Promise<unknown> }> {
    const rows = await claim(limit);
    if (rows.length === 0) return { claimed: 0, done: Promise.resolve() };
    const ids = [...new Set(rows.map((r) => r.webhook_id))];
    const endpoints = new Map((await db.select().from(webhooks).where(inArray(webhooks.id, ids))).map((w) => [w.id, w]));
    const sends = rows.map((row) => {
      const send = deliver(row, endpoints.get(row.webhook_id)).catch((err: unknown) => {
        // The row stays leased and comes back when the lease ends; nothing is lost.
        logger.error({ err, deliveryId: row.id, webhookId: row.webhook_id }, 'webhook delivery failed unexpectedly');
      });
      inFlight.add(send);
      void send.finally(() => {
        inFlight.delete(send);
        // A slot freed while the loop was throttled: look for more now rather than after the interval.
        if (throttled) {
          throttled = false;
          schedule_(0);
        }
      });
      return send;
    });
    return { claimed: rows.length, done: Promise.all(sends) };
  }

  async function runOnce(): Promise<number> {
    const { claimed, done } = await claimAndStart(batchSize);
    await done;
    return claimed;
  }

  async function cleanup(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await db.execute<{ id: string }>(sql`
        delete from ${webhookDeliveries} where id in (
          select id from ${webhookDeliveries}
          where status in ('DELIVERED', 'FAILED', 'DISABLED') and created_at < now() - ${retentionMs} * interval '1 millisecond'
          limit 1000 for update skip locked)
        returning id`);
      total += result.rows.length;
      if (result.rows.length < 1000 || !running) return total;
    }
  }

  function schedule_(delayMs: number): void {
    if (!running) return;
    clearTimeout(timer);
    timerDueAt = Date.now() + delayMs;
    timer = setTimeout(tick, delayMs);
  }

  /**
   * Claims only while fewer than `maxInFlight` sends are running, and never waits for them: one slow
   * endpoint (up to the 15 s timeout) must not hold up every other endpoint's deliveries.
   */
  function tick(): void {
    timerDueAt = Infinity;
    if (!running || current) return;
    wakeRequested = false;
    const free = maxInFlight - inFlight.size;
    if (free <= 0) {
      throttled = true;
      return;
    }
    const limit = Math.min(batchSize, free);
    current = claimAndStart(limit)
      .then((r) => r.claimed)
      .catch((err: unknown) => {
        logger.error({ err }, 'webhook dispatch round failed');
        return 0;
      })
      .then((claimed) => {
        current = undefined;
        // A full claim means more may be due: go again at once.
        schedule_(claimed >= limit || wakeRequested ? 0 : options.intervalMs);
      });
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule_(0);
      const runCleanup = () => {
        cleanup()
          .then((n) => n > 0 && logger.info({ deleted: n }, 'old webhook deliveries deleted'))
          .catch((err: unknown) => logger.error({ err }, 'webhook delivery cleanup failed'));
      };
      runCleanup();
      cleanupTimer = setInterval(runCleanup, cleanupIntervalMs);
      cleanupTimer.unref();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      clearInterval(cleanupTimer);
      abort.abort();
      await current;
      await Promise.allSettled([...inFlight]);
    },
    runOnce,
    wake() {
      if (!running) return;
      if (current) {
        wakeRequested = true;
        return;
      }
      // A short delay lets the enqueuing transaction commit before the claim looks for its rows;
      // a poll already due sooner is kept, so a stream of wakes cannot postpone it forever.
      if (timerDueAt > Date.now() + WAKE_DELAY_MS) schedule_(WAKE_DELAY_MS);
    },
    cleanup,
  };
}
