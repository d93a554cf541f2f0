import { afterEach, beforeEach, expect } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSimulator } from '@wagate/wa-sim';
import type { Simulator } from '@wagate/wa-sim';
import type { BlobStore } from '@wagate/storage';
import { Keyring } from '../crypto/index.js';
import { EventOutbox } from '../gateway-link/index.js';
import type { NewWorkerEvent } from '../gateway-link/index.js';
import { HistoryStore } from '../history/index.js';
import { createLogger, silentLogger } from '../logger.js';
import { SessionManager } from '../sessions/index.js';
import { BaileysConnector, useSimulatorTrust } from '../whatsapp/index.js';
import type { MediaTrust } from '../whatsapp/index.js';
import { tempBlobStore } from './temp-blob-store.js';

/** A wa-sim network plus what every simulated worker shares: the BlobStore and the key. */
export interface SimWorld {
  sim: Simulator;
  blobs: BlobStore;
  /** The filesystem folder behind `blobs`. */
  blobDir: string;
  keyring: Keyring;
  trust: MediaTrust;
  close(): Promise<void>;
}

export async function simWorld(): Promise<SimWorld> {
  // SIM_LOG=info prints the simulator's log (failed decrypts, retry receipts, resends) as JSON lines.
  const sim = await createSimulator({ rootKeyPair: 'test', receiptDelays: { delivery: 0, read: 30 }, ...(process.env.SIM_LOG ? { logLevel: process.env.SIM_LOG } : {}) });
  const trust = useSimulatorTrust({ rootPublicKey: sim.rootPublicKey, mediaCa: sim.mediaCa });
  const { blobs, dir, cleanup } = await tempBlobStore();
  return {
    sim,
    blobs,
    blobDir: dir,
    keyring: new Keyring([{ id: 'k0', key: randomBytes(32) }]),
    trust,
    close: async () => {
      await sim.close();
      await cleanup();
    },
  };
}

/** One worker process's parts (as `app.ts` wires them) against the simulator. */
export interface SimWorker {
  manager: SessionManager;
  history: HistoryStore;
  outbox: EventOutbox;
  /** The outbox journal's folder (nothing is delivered from it: the gateway URL goes nowhere). */
  outboxDir: string;
  events: NewWorkerEvent[];
  close(): Promise<void>;
}

export interface SimWorkerOptions {
  /** Another BlobStore than the world's (e.g. a copy taken at some instant). */
  blobs?: BlobStore;
  /** Called synchronously right before a session's frame reaches the wire. */
  onFrameWrite?: (sessionId: string, bytes: number) => void;
  /** Called with each batch of events before it is journaled; the journaling waits for it. */
  beforePublish?: (batch: readonly NewWorkerEvent[]) => void | Promise<void>;
}

export async function simWorker(world: SimWorld, workerId = 'w1', options: SimWorkerOptions = {}): Promise<SimWorker> {
  const blobs = options.blobs ?? world.blobs;
  // WAGATE_TEST_LOG=debug shows the worker's and Baileys' logs while debugging a scenario.
  const level = process.env['WAGATE_TEST_LOG'];
  const logger = level === undefined ? silentLogger() : createLogger(level, workerId);
  const dir = await mkdtemp(join(tmpdir(), `wagate-${workerId}-`));
  const outbox = new EventOutbox({ dir, gatewayUrl: 'http://127.0.0.1:9', workerToken: 't', workerId });
  const history = new HistoryStore({ blobs, keyring: world.keyring, flushIntervalMs: 50 });
  const events: NewWorkerEvent[] = [];
  const manager = new SessionManager({
    workerId,
    maxSessions: 10,
    blobs,
    keyring: world.keyring,
    connector: new BaileysConnector({
      waWebSocketUrl: world.sim.url,
      mediaTrust: world.trust,
      logger,
      connectTimeoutMs: 5000,
      defaultQueryTimeoutMs: 5000,
      ...(options.onFrameWrite === undefined ? {} : { onFrameWrite: options.onFrameWrite }),
    }),
    history,
    events: {
      publish: async (batch) => {
        await options.beforePublish?.(batch);
        const stored = await outbox.publish(batch);
        events.push(...batch);
        return stored;
      },
    },
    logger,
    pacer: { minIntervalMs: 0, jitterMs: 0, maxQueue: 100 },
    policy: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 5 },
  });
  return {
    manager,
    history,
    outbox,
    outboxDir: dir,
    events,
    close: async () => {
      await manager.close();
      await history.close();
      // Late event handlers may still be journaling while we remove the folder.
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

export async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A fresh world per test and the workers a test starts, closed after it. `pairByQr` links a new
 * virtual phone to a session by scanning its QR (checking QR_READY on the way).
 */
export function useSimWorldPerTest() {
  let current: SimWorld | undefined;
  const started: SimWorker[] = [];
  beforeEach(async () => {
    current = await simWorld();
  });
  afterEach(async () => {
    for (const w of started.splice(0)) await w.close();
    await current?.close();
  });
  const kit = {
    get world(): SimWorld {
      if (!current) throw new Error('the world exists only inside a test');
      return current;
    },
    async worker(id = 'w1', options: SimWorkerOptions = {}): Promise<SimWorker> {
      const w = await simWorker(kit.world, id, options);
      started.push(w);
      return w;
    },
    async pairByQr(w: SimWorker, sessionId: string, epoch = 1, pushName = 'Owner') {
      const owner = kit.world.sim.phones.create({ pushName });
      await w.manager.start(sessionId, { epoch });
      const qr = await until(() => w.manager.get(sessionId)?.qr?.raw, 'a QR');
      expect(w.manager.get(sessionId)?.status).toBe('QR_READY');
      await kit.world.sim.scan(owner, qr);
      await until(() => w.manager.get(sessionId)?.status === 'CONNECTED', 'CONNECTED after the scan');
      return owner;
    },
  };
  return kit;
}
