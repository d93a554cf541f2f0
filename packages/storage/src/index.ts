export type { Coordinator, RateLimitResult, RateLimitRule, Unsubscribe } from './coordinator.js';
export type { BlobStore, BlobInfo, ListPage, PutOptions } from './blob-store.js';
export { MemoryCoordinator, type MemoryCoordinatorOptions } from './memory-coordinator.js';
export { RedisCoordinator, type RedisCoordinatorOptions } from './redis-coordinator.js';
export { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.js';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
export { assertBlobKey, assertBlobPrefix, InvalidBlobKeyError } from './blob-key.js';
export { createCoordinator, type CoordinatorConfig } from './create-coordinator.js';
export { createBlobStore, type BlobStoreConfig } from './create-blob-store.js';
