export { createUsageMeter } from './usage-meter.js';
export type { UsageEvent, UsageMeter } from './usage-meter.js';
export { createUsageService } from './usage.service.js';
export type { UsageService } from './usage.service.js';
export { usageRoutes } from './usage.routes.js';
