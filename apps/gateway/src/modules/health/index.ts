export { healthRoutes } from './health.routes.js';
export { createHealthService, type HealthService, type Probe } from './health.service.js';
