import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/** The worker's root logger; sessions get `logger.child({ sessionId })`. Secrets are redacted. */
export function createLogger(level: string, workerId?: string): Logger {
  return pino({
    level,
    base: workerId === undefined ? {} : { workerId },
    redact: {
      paths: ['workerToken', 'token', 'authorization', '*.authorization', 'headers.authorization', 'encryptionKeys', 'creds', 'keys'],
      censor: '[redacted]',
    },
  });
}

/** A logger that writes nothing, for tests and library use without wiring. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
