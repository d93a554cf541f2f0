import { createWorker } from './app.js';
import { ConfigError, loadWorkerConfig } from './config.js';
import { createLogger } from './logger.js';

/** `node dist/main.js`: one worker process from the environment (the CLI's `wagate worker` does the same). */
async function main(): Promise<void> {
  // Before the config is read there is no level to honour: boot messages go at info.
  const boot = createLogger('info');
  let config;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      boot.fatal({ issues: error.issues }, 'Invalid worker configuration');
      process.exit(1);
    }
    throw error;
  }
  const worker = await createWorker(config);
  await worker.start();
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    boot.info({ signal }, 'Stopping worker');
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        boot.error({ err: error }, 'Worker stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

void main();
