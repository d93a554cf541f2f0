export { buildApp, type AppDependencies } from './app.js';
export { ConfigError, loadGatewayConfig, parseGatewayConfig, type GatewayConfig } from './config.js';
export { openDatabase, type Database, type DatabaseHandle } from './db/index.js';
export { startGateway, type RunningGateway } from './start-gateway.js';
