export { createGatewayMetrics, SESSION_STATUSES, WORKER_STATUSES } from './gateway-metrics.js';
export type { GatewayMetrics, GatewayMetricsOptions } from './gateway-metrics.js';
export { registerMetrics } from './metrics.routes.js';
