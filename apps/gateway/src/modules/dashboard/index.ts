export { dashboardRoutes, defaultDashboardDir, type DashboardRoutesOptions } from './dashboard.routes.js';
