/* eslint-disable no-console -- this file replaces console methods so libsignal's output reaches pino, it never prints. */
import type { Logger } from '../../logger.js';

let installed: (() => void) | null = null;

/**
 * libsignal writes straight to `console` ("Closing session: <SessionEntry>", with key material
 * in the object). The worker itself never uses console, so route every console call to pino at
 * debug (log/info/debug) or warn (warn/error), keeping only string arguments: objects may hold
 * private keys. Process-wide and idempotent; returns an undo for tests.
 */
export function routeConsoleToLogger(logger: Logger): () => void {
  if (installed !== null) return installed;
  const log = logger.child({ component: 'console' });
  const original = { log: console.log, info: console.info, debug: console.debug, warn: console.warn, error: console.error };
  const text = (args: unknown[]): string => args.filter((a): a is string | number => typeof a === 'string' || typeof a === 'number').join(' ');
  console.log = (...args: unknown[]) => log.debug(text(args));
  console.info = (...args: unknown[]) => log.debug(text(args));
  console.debug = (...args: unknown[]) => log.debug(text(args));
  console.warn = (...args: unknown[]) => log.warn(text(args));
  console.error = (...args: unknown[]) => log.warn(text(args));
  installed = () => {
    Object.assign(console, original);
    installed = null;
  };
  return installed;
}
