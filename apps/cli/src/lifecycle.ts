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
 *
 * Installed before the role starts: a signal that arrives while it is still starting (an
 * orchestrator scaling down a pod that just came up) is held, and the shutdown runs the moment
 * the role hands over what it started, instead of the default handler killing it mid-write.
 */
export function closeOnSignals(out: Output, graceMs = 25_000): { manage(closables: Closable[]): void } {
  let closing = false;
  let managed: Closable[] | undefined;
  let pending: string | undefined;

  const shutdown = async (closables: Closable[]): Promise<void> => {
    let failed = false;
    for (const c of [...closables].reverse()) {
      try {
        await c.close();
      } catch (error) {
        failed = true;
        out.error(`closing ${c.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    process.exit(failed ? 1 : 0);
  };

  const onSignal = (signal: string): void => {
    if (closing) {
      out.error(`received ${signal} again; exiting now`);
      process.exit(1);
    }
    closing = true;
    // The deadline counts from the signal, so a start that never finishes cannot hold the process.
    const timer = setTimeout(() => {
      out.error(`shutdown took longer than ${graceMs} ms; exiting`);
      process.exit(1);
    }, graceMs);
    timer.unref();
    if (managed) {
      out.info(`received ${signal}; shutting down`);
      void shutdown(managed);
    } else {
      out.info(`received ${signal} while starting; shutting down once started`);
      pending = signal;
    }
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  return {
    manage(closables) {
      managed = closables;
      if (pending !== undefined) void shutdown(closables);
    },
  };
}
