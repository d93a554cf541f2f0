export { buildHttpServer, cpuPercent, memoryPercent } from './http-server.js';
export type { HttpServerDeps } from './http-server.js';
export { WORKER_API } from '@wagate/contracts';
export { WorkerTokens } from './worker-token.js';
