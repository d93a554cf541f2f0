// Prometheus metrics of one gateway app. Each app gets its own Registry (tests build many apps in
// one process, and a replica's numbers must not mix with another's). Counters are fed by hooks
// and module observers; the session and worker gauges are read from PostgreSQL at scrape time,
// through a short cache so a burst of scrapers (several Prometheus, a dashboard) costs one query.
import type { EventEnvelope } from '@wagate/contracts';
import { sql } from 'drizzle-orm';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Database } from '../../db/index.js';

export const SESSION_STATUSES = ['DISCONNECTED', 'CONNECTING', 'QR_READY', 'CONNECTED', 'LOGGED_OUT', 'FAILED'] as const;
export const WORKER_STATUSES = ['ONLINE', 'OFFLINE', 'DRAINING'] as const;

export interface GatewayMetricsOptions {
  db: Database;
  /** How long a scrape reuses the last session/worker counts (default 5 s). */
  cacheMs?: number;
  /** Node process metrics (CPU, heap, event-loop lag, GC); default on. */
  processMetrics?: boolean;
}

export interface GatewayMetrics {
  registry: Registry;
  /** One finished HTTP request; `route` is the route template, never the raw URL. */
  observeRequest(input: { method: string; route: string; status: number; seconds: number }): void;
  observeRateLimited(input: { route: string; code: string }): void;
  /** A usage count (identity's metric names): `messages.sent.<type>` feeds outbound messages. */
  observeUsage(input: { metric: string; count?: number | undefined }): void;
  /** An event committed by the ingest at `ingestedAt` (ms): inbound messages and ingest lag. */
  observeEvent(event: EventEnvelope, ingestedAt: number): void;
  observeWebhookAttempt(input: { outcome: string; durationMs: number }): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  contentType: string;
}

interface StatusCounts {
  sessions: Map<string, number>;
  workers: Map<string, number>;
}

async function countByStatus(db: Database, table: 'sessions' | 'workers'): Promise<Map<string, number>> {
  const result = await db.execute<{ status: string; n: number | string }>(sql`select status::text as status, count(*)::int as n from ${sql.identifier(table)} group by status`);
  // node-postgres returns { rows }, PGlite returns { rows } too; both drivers agree on that shape.
  const rows = (result as unknown as { rows: { status: string; n: number | string }[] }).rows;
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

export function createGatewayMetrics(options: GatewayMetricsOptions): GatewayMetrics {
  const registry = new Registry();
  const cacheMs = options.cacheMs ?? 5_000;
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'wagate_gateway_' });

  let cached: { at: number; value: Promise<StatusCounts> } | undefined;
  function statusCounts(): Promise<StatusCounts> {
    const now = Date.now();
    if (cached === undefined || now - cached.at >= cacheMs) {
      const value = Promise.all([countByStatus(options.db, 'sessions'), countByStatus(options.db, 'workers')]).then(([sessions, workers]) => ({ sessions, workers }));
      // A failed query is not cached: the next scrape tries again.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      cached = { at: now, value };
    }
    return cached.value;
  }

  const httpRequests = new Counter({
    name: 'wagate_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'wagate_http_request_duration_seconds',
    help: 'Time from request received to response sent, by method and route template.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'wagate_rate_limit_rejections_total',
    help: 'Requests refused with 429, by error code and route template.',
    labelNames: ['code', 'route'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wagate_sessions',
    help: 'Sessions by status (read from the database at scrape, cached a few seconds).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const { sessions } = await statusCounts();
      for (const status of SESSION_STATUSES) this.set({ status }, sessions.get(status) ?? 0);
    },
  });
  new Gauge({
    name: 'wagate_workers',
    help: 'Registered workers by status (read from the database at scrape, cached a few seconds).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const { workers } = await statusCounts();
      for (const status of WORKER_STATUSES) this.set({ status }, workers.get(status) ?? 0);
    },
  });
  const messages = new Counter({
    name: 'wagate_messages_total',
    help: 'Messages by direction (outbound: accepted by the API; inbound: received from WhatsApp) and type.',
    labelNames: ['direction', 'type'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'wagate_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retry, exhausted, gone).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookDuration = new Histogram({
    name: 'wagate_webhook_attempt_duration_seconds',
    help: 'Duration of one webhook HTTP attempt.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers: [registry],
  });
  const ingestLag = new Histogram({
    name: 'wagate_event_ingest_lag_seconds',
    help: 'Time from an event being created on a worker to its commit on the gateway, by event type.',
    labelNames: ['type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    registers: [registry],
  });
  const events = new Counter({
    name: 'wagate_events_ingested_total',
    help: 'Worker events committed by the ingest (duplicates not counted), by type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });

  return {
    registry,
    contentType: registry.contentType,
    observeRequest({ method, route, status, seconds }) {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    observeRateLimited({ route, code }) {
      rateLimited.inc({ route, code });
    },
    observeUsage({ metric, count }) {
      const prefix = 'messages.sent.';
      if (metric.startsWith(prefix)) messages.inc({ direction: 'outbound', type: metric.slice(prefix.length) }, count ?? 1);
    },
    observeEvent(event, ingestedAt) {
      events.inc({ type: event.type });
      const created = Date.parse(event.createdAt);
      // A worker clock ahead of ours would give a negative lag; it is recorded as zero.
      if (Number.isFinite(created)) ingestLag.observe({ type: event.type }, Math.max(0, ingestedAt - created) / 1000);
      if (event.type === 'message.received') messages.inc({ direction: 'inbound', type: event.data.message.type });
    },
    observeWebhookAttempt({ outcome, durationMs }) {
      webhookDeliveries.inc({ outcome });
      webhookDuration.observe(durationMs / 1000);
    },
    render: () => registry.metrics(),
  };
}
