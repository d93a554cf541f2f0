import { createSimulator } from '../simulator.js';

/**
 * Runs a simulator as its own process (separate-process tests, capacity runs). Prints one JSON
 * line with the URLs and trust material, then serves until SIGINT/SIGTERM.
 * Flags: --port N, --host H, --data-dir D, --test-root (use the fixed test root key pair).
 */
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sim = await createSimulator({
  port: Number(flag('--port') ?? 0),
  host: flag('--host') ?? '127.0.0.1',
  ...(flag('--data-dir') === undefined ? {} : { dataDir: flag('--data-dir') }),
  ...(process.argv.includes('--test-root') ? { rootKeyPair: 'test' as const } : {}),
});
process.stdout.write(
  `${JSON.stringify({ url: sim.url, controlUrl: sim.controlUrl, mediaUrl: sim.mediaUrl, rootPublicKey: Buffer.from(sim.rootPublicKey).toString('base64'), mediaCa: sim.mediaCa })}\n`,
);
const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
