// Prometheus metrics of one worker process, on its own Registry (tests run several workers in one
// process). Gauges are read from the live objects at scrape time; reconnects are counted as the
// session runtimes judge each socket close.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReconnectDecision } from '../sessions/index.js';

const SESSION_STATUSES = ['DISCONNECTED', 'CONNECTING', 'QR_READY', 'CONNECTED', 'LOGGED_OUT', 'FAILED'] as const;

/** What the scrape reads; wired once the manager and outbox exist. */
export interface WorkerMetricsSources {
  sessions(): { status: string }[];
  queuedSends(): number;
  outbox(): { pending: number; deadLettered: number };
}

export interface WorkerMetrics {
  registry: Registry;
  contentType: string;
  /** SessionManager's `onSocketClosed`. */
  socketClosed(decision: ReconnectDecision, statusCode: number | undefined): void;
  bind(sources: WorkerMetricsSources): void;
  render(): Promise<string>;
}

export function createWorkerMetrics(options: { processMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  // Memory (RSS, heap), CPU, event-loop lag and GC, as wagate_worker_process_* / wagate_worker_nodejs_*.
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'wagate_worker_' });
  let sources: WorkerMetricsSources | undefined;

  new Gauge({
    name: 'wagate_worker_sessions',
    help: 'Sessions hosted by this worker, by status.',
    labelNames: ['status'] as const,
    registers: [registry],
    collect() {
      const counts = new Map<string, number>();
      for (const s of sources?.sessions() ?? []) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
      for (const status of SESSION_STATUSES) this.set({ status }, counts.get(status) ?? 0);
    },
  });
  const closes = new Counter({
    name: 'wagate_worker_socket_closes_total',
    help: 'WhatsApp socket closes by the reconnect decision (reconnect or stop) and its reason.',
    labelNames: ['action', 'reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'wagate_worker_send_queue_depth',
    help: 'Outbound messages waiting in the per-number pacers.',
    registers: [registry],
    collect() {
      this.set(sources?.queuedSends() ?? 0);
    },
  });
  new Gauge({
    name: 'wagate_worker_outbox_depth',
    help: 'Events journaled but not yet acknowledged by the gateway.',
    registers: [registry],
    collect() {
      this.set(sources?.outbox().pending ?? 0);
    },
  });
  new Gauge({
    name: 'wagate_worker_outbox_dead_lettered',
    help: 'Events the gateway refused for good since the process started.',
    registers: [registry],
    collect() {
      this.set(sources?.outbox().deadLettered ?? 0);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    socketClosed(decision) {
      closes.inc({ action: decision.action, reason: decision.action === 'reconnect' ? decision.reason : `${decision.status}: ${decision.reason}`.slice(0, 80) });
    },
    bind(next) {
      sources = next;
    },
    render: () => registry.metrics(),
  };
}
