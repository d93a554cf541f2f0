export { ensureEmbeddedSecrets, type EmbeddedSecrets } from './embedded-secrets.js';
export { runGateway, startGatewayRole } from './roles/gateway-role.js';
export { runWorker, startWorkerRole } from './roles/worker-role.js';
