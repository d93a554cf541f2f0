export { createWorkerMetrics } from './worker-metrics.js';
export type { WorkerMetrics, WorkerMetricsSources } from './worker-metrics.js';
