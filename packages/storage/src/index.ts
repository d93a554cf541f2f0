export type { Coordinator, RateLimitResult, RateLimitRule, Unsubscribe } from './coordinator.js';
export type { BlobStore, BlobInfo, ListPage, PutOptions } from './blob-store.js';
