export { AuthStateStore, StaleEpochError, authPaths, encodeKeyId } from './auth-state-store.js';
export type { AuthStateStats, BatchGuard, AuthStateStoreOptions, KeyChange } from './auth-state-store.js';
