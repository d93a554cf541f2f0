export { createWorker } from './app.js';
export type { Worker, WorkerDeps } from './app.js';
export { ConfigError, loadWorkerConfig, parseWorkerConfig } from './config.js';
export type { EncryptionKey, PacerConfig, S3Config, WorkerConfig } from './config.js';
export { WORKER_API } from './http/index.js';
export { SessionManager, CapacityError } from './sessions/index.js';
export type { SessionSnapshot, SessionStatus } from './sessions/index.js';
export { installTrialDecrypt } from './whatsapp/baileys/index.js';
