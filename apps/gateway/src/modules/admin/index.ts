export { createAdminUsersService } from './admin-users.service.js';
export type { AdminUsersService } from './admin-users.service.js';
export { createAdminStatsService } from './admin-stats.service.js';
export type { AdminStatsService } from './admin-stats.service.js';
export { adminRoutes } from './admin.routes.js';
