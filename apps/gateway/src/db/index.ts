export { openDatabase, openDatabaseFromPglite, MIGRATIONS_FOLDER } from './client.js';
export type { Database, DatabaseHandle, Executor, OpenDatabaseOptions } from './client.js';
export * as schema from './schema/index.js';
export { newId, isId, ID_PREFIXES } from './ids.js';
export type { IdPrefix } from './ids.js';
export { ownedBy, ownedRow } from './tenant-scope.js';
export { createdMicros, decodeKeysetCursor, encodeKeysetCursor, keysetPage, olderThanCursor } from './keyset-page.js';
export type { KeysetCursor } from './keyset-page.js';
