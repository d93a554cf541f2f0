export { ensureEmbeddedSecrets, type EmbeddedSecrets } from './embedded-secrets.js';
export { runGateway } from './roles/gateway-role.js';
