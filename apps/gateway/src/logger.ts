import type { LoggerOptions } from 'pino';

/** Paths pino blanks out wherever they appear in a log line. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.refreshToken',
  '*.secret',
  '*.apiKey',
  '*.key',
  'password',
  'token',
  'secret',
];

/**
 * Where lines go besides stdout: with `file` (LOG_FILE), a copy rotated daily by pino-roll, 14 days
 * kept. Both run in pino's transport thread, so a slow disk never blocks a request.
 */
export function logTransport(file: string | undefined): LoggerOptions['transport'] {
  if (file === undefined) return undefined;
  return {
    targets: [
      { target: 'pino/file', options: { destination: 1 }, level: 'trace' },
      { target: 'pino-roll', options: { file, frequency: 'daily', dateFormat: 'yyyy-MM-dd', mkdir: true, limit: { count: 14 } }, level: 'trace' },
    ],
  };
}

export function loggerOptions(level: string, file?: string): LoggerOptions {
  const transport = logTransport(file);
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: 'gateway' },
    ...(transport === undefined ? {} : { transport }),
  };
}
