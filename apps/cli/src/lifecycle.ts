/** Something a role started that must be closed on shutdown, newest first. */
export interface Closable {
  name: string;
  close(): Promise<void>;
}

export interface Output {
  info(message: string): void;
  error(message: string): void;
}

/**
 * Closes everything on SIGTERM/SIGINT in reverse start order, within `graceMs`; a second signal or
 * the deadline forces exit(1) so an orchestrator never waits on a wedged process.
 */
export function closeOnSignals(closables: Closable[], out: Output, graceMs = 25_000): void {
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) {
      out.error(`received ${signal} again; exiting now`);
      process.exit(1);
    }
    closing = true;
    out.info(`received ${signal}; shutting down`);
    const timer = setTimeout(() => {
      out.error(`shutdown took longer than ${graceMs} ms; exiting`);
      process.exit(1);
    }, graceMs);
    timer.unref();
    let failed = false;
    for (const c of [...closables].reverse()) {
      try {
        await c.close();
      } catch (error) {
        failed = true;
        out.error(`closing ${c.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    clearTimeout(timer);
    process.exit(failed ? 1 : 0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
