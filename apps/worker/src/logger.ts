import { pino } from 'pino';
import type { Logger } from 'pino';

export type { Logger } from 'pino';

/** The worker's root logger; sessions get `logger.child({ sessionId })`. Secrets are redacted. */
export function createLogger(level: string, workerId?: string, file?: string): Logger {
  return pino({
    level,
    // LOG_FILE: stdout plus a daily-rotated file (14 kept), written off the main thread.
    ...(file === undefined
      ? {}
      : {
          transport: {
            targets: [
              { target: 'pino/file', options: { destination: 1 }, level: 'trace' },
              { target: 'pino-roll', options: { file, frequency: 'daily', dateFormat: 'yyyy-MM-dd', mkdir: true, limit: { count: 14 } }, level: 'trace' },
            ],
          },
        }),
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
