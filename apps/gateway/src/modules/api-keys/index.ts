export { createApiKeysRepository } from './api-keys.repository.js';
export type { ApiKeysRepository } from './api-keys.repository.js';
export { createApiKeysService, apiKeyView, LAST_USED_RESOLUTION_MS } from './api-keys.service.js';
export type { ApiKeysService, CreateApiKeyInput } from './api-keys.service.js';
export { apiKeysRoutes } from './api-keys.routes.js';
export { generateApiKey, isWellFormedApiKey, hashApiKey } from './api-key-format.js';
