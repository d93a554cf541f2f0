/**
 * One worker as its own OS process, for tests that kill it (kill -9) and start another on the
 * same DATA_DIR. Config comes from the environment as in production (`loadWorkerConfig`); the
 * simulator's URL and trust roots from `WAGATE_SIM` (JSON: url, rootPublicKey as base64, mediaCa),
 * since a sandbox worker gets them from the process that runs the simulator.
 * Prints one JSON line `{ "url": … }` once listening.
 */
import { createWorker } from '../app.js';
import { loadWorkerConfig } from '../config.js';

const simJson = process.env['WAGATE_SIM'];
if (simJson === undefined) throw new Error('WAGATE_SIM (the simulator URL and trust roots as JSON) is required.');
const sim = JSON.parse(simJson) as { url: string; rootPublicKey: string; mediaCa: string };

const worker = await createWorker(loadWorkerConfig(), {
  sandbox: { url: sim.url, rootPublicKey: Buffer.from(sim.rootPublicKey, 'base64'), mediaCa: sim.mediaCa },
});
const { url } = await worker.start();
process.stdout.write(`${JSON.stringify({ url: url.replace('0.0.0.0', '127.0.0.1') })}\n`);
process.once('SIGTERM', () => {
  worker.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
