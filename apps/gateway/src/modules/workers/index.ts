// Public face of the workers module (other modules import only this file).
export type { SessionRoute, SessionRouting, WorkerClient } from './session-routing.js';
