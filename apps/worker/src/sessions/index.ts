export { CapacityError, SessionManager } from './session-manager.js';
export type { SessionManagerOptions, StartSessionOptions } from './session-manager.js';
export {
  DEFAULT_RECONNECT_POLICY,
  DISCONNECT,
  IllegalTransitionError,
  QR_ATTEMPTS_ENDED,
  SESSION_STATUSES,
  SESSION_TRANSITIONS,
  SessionRuntime,
  assertTransition,
  canTransition,
  decideReconnect,
} from './session-runtime.js';
export type { EventPublisher, MediaContent, QrState, ReconnectDecision, ReconnectPolicy, SessionRuntimeOptions, SessionSnapshot, SessionStatus } from './session-runtime.js';
