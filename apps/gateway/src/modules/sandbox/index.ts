export { createWaSimControlClient } from './sandbox-network.js';
export type { SandboxNetwork, SimCompanion, SimInboxEntry, SimPhone, SimSentEntry, WaSimControlOptions } from './sandbox-network.js';
export { createSandboxPhonesRepository } from './sandbox.repository.js';
export type { SandboxPhoneInsert, SandboxPhoneRow, SandboxPhonesRepository } from './sandbox.repository.js';
export { createSandboxService, digitsOf } from './sandbox.service.js';
export type { SandboxService, SandboxServiceDeps } from './sandbox.service.js';
export { sandboxRoutes } from './sandbox.routes.js';
export type { SandboxRoutesOptions } from './sandbox.routes.js';
