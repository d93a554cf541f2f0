// What the sessions module needs from identity; the identity block of app.ts passes its objects,
// which satisfy these narrower shapes structurally.
import type { ApiKeyCreated } from '@wagate/contracts';
import type { Executor } from '../../db/index.js';
import type { AppendSystemLogInput } from '../system-logs/index.js';

export interface SessionApiKeys {
  createForSession(input: { userId: string; sessionId: string; name: string; expiresAt?: Date | string }, tx?: Executor): Promise<ApiKeyCreated>;
  /** Effective at once (caches invalidated). */
  revokeAllForSession(sessionId: string, tx?: Executor): Promise<void>;
}

export interface SessionOperationLimits {
  /** 60 session operations per minute per user; throws RateLimitedError with headers. */
  consumeSessionOperation(userId: string): Promise<void>;
}

export interface AuditLog {
  append(input: AppendSystemLogInput): Promise<unknown>;
}

/** pino's methods we use, so tests can pass a silent one. */
export interface ModuleLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
