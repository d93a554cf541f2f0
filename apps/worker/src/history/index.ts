export { HistoryStore, InvalidCursorError, MAX_QUERY_DAYS } from './history-store.js';
export type { HistoryPage, HistoryQuery, HistoryStoreOptions } from './history-store.js';
export { advanceStatus, foldRecords } from './history-fold.js';
export type { HistoryRecord } from './history-fold.js';
