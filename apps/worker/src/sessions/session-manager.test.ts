import { mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '@wagate/storage';
import { StaleEpochError } from '../auth-state/index.js';
import { Keyring } from '../crypto/index.js';
import { EventOutbox } from '../gateway-link/index.js';
import type { NewWorkerEvent } from '../gateway-link/index.js';
import { HistoryStore } from '../history/index.js';
import { silentLogger } from '../logger.js';
import { tempBlobStore } from '../test-support/temp-blob-store.js';
import { BaileysConnector } from '../whatsapp/index.js';
import { CapacityError, SessionManager } from './session-manager.js';

/**
 * These run real Baileys against a loopback port where nothing speaks WhatsApp (every socket is
 * refused), which exercises capacity, the reconnect loop and stop/drain without wa-sim. Pairing,
 * messaging and fencing of live sockets need wa-sim (see the report).
 */
const keyring = new Keyring([{ id: 'k0', key: randomBytes(32) }]);
let blobs: BlobStore;
let cleanupBlobs: () => Promise<void>;
let dir: string;
let outbox: EventOutbox;
let published: NewWorkerEvent[];

async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

async function manager(options: { maxSessions?: number; workerId?: string; maxAttempts?: number } = {}): Promise<SessionManager> {
  const port = await deadPort();
  const logger = silentLogger();
  const history = new HistoryStore({ blobs, keyring });
  return new SessionManager({
    workerId: options.workerId ?? 'w1',
    maxSessions: options.maxSessions ?? 10,
    blobs,
    keyring,
    connector: new BaileysConnector({ waWebSocketUrl: `ws://127.0.0.1:${port}/ws/chat`, logger, connectTimeoutMs: 2000 }),
    history,
    events: {
      publish: async (events) => {
        published.push(...events);
        return outbox.publish(events);
      },
    },
    logger,
    pacer: { minIntervalMs: 0, jitterMs: 0, maxQueue: 10 },
    policy: { baseDelayMs: 20, maxDelayMs: 50, maxAttempts: options.maxAttempts ?? 100 },
  });
}

const statusesOf = (sessionId: string): string[] =>
  published.flatMap((e) => (e.type === 'session.status' && e.sessionId === sessionId ? [e.data.status] : []));

const until = async (check: () => boolean, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeEach(async () => {
  ({ blobs, cleanup: cleanupBlobs } = await tempBlobStore());
  dir = await mkdtemp(join(tmpdir(), 'wagate-mgr-'));
  outbox = new EventOutbox({ dir, gatewayUrl: 'http://127.0.0.1:9', workerToken: 't', workerId: 'w1' });
  published = [];
});
afterEach(async () => {
  await cleanupBlobs();
  await rm(dir, { recursive: true, force: true });
});

describe('SessionManager (real Baileys, unreachable network)', () => {
  it('refuses sessions beyond maxSessions and reports CONNECTING for the others', async () => {
    const m = await manager({ maxSessions: 2 });
    try {
      expect((await m.start('s1', { epoch: 1 })).status).toBe('CONNECTING');
      await m.start('s2', { epoch: 1 });
      await expect(m.start('s3', { epoch: 1 })).rejects.toBeInstanceOf(CapacityError);
      expect(m.count).toBe(2);
      // Starting a hosted session again with the same epoch is idempotent, not a new slot.
      await m.start('s1', { epoch: 1 });
      expect(m.count).toBe(2);
      expect(await blobs.get('auth/s1/epoch')).not.toBeNull();
    } finally {
      await m.close();
    }
  });

  it('counts a start in flight once, so concurrent starts can fill every slot', async () => {
    const m = await manager({ maxSessions: 2 });
    try {
      const samples: number[] = [];
      let sampling = true;
      const sample = (): void => {
        samples.push(m.count);
        if (sampling) setImmediate(sample);
      };
      sample();
      const started = await Promise.allSettled([m.start('s1', { epoch: 1 }), m.start('s2', { epoch: 1 })]);
      sampling = false;
      expect(started.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      expect(Math.max(...samples)).toBe(2);
      expect(m.count).toBe(2);
    } finally {
      await m.close();
    }
  });

  it('reconnects with a new socket after each refusal, then gives up as FAILED', async () => {
    const m = await manager({ maxAttempts: 3 });
    try {
      await m.start('s1', { epoch: 1 });
      await until(() => m.get('s1')?.status === 'FAILED');
      const snapshot = m.get('s1')!;
      expect(snapshot.reason).toMatch(/gave up after 3 attempts/);
      expect(snapshot.attempts).toBe(3);
      const statuses = statusesOf('s1');
      expect(statuses).toEqual(['CONNECTING', 'FAILED']);
      expect(published.every((e) => e.sessionId === 's1' && e.epoch === 1)).toBe(true);
      // Every event reaches the journal (nothing the contract would refuse).
      await until(() => outbox.pending === published.length);
    } finally {
      await m.close();
    }
  });

  it('stops a session to DISCONNECTED, keeps nothing live, and drains', async () => {
    const m = await manager();
    try {
      await m.start('s1', { epoch: 1 });
      await m.start('s2', { epoch: 1 });
      await m.stop('s1');
      expect(m.get('s1')).toBeUndefined();
      expect(statusesOf('s1')).toEqual(['CONNECTING', 'DISCONNECTED']);
      await m.drain();
      expect(m.count).toBe(0);
      await expect(m.start('s3', { epoch: 1 })).rejects.toThrow(/draining/);
      await m.resume();
      await m.start('s3', { epoch: 1 });
      expect(m.count).toBe(1);
      // A resume during a drain waits for it: the drain must not stop a session started after the resume.
      const draining = m.drain();
      const resumed = m.resume();
      expect(m.draining).toBe(true);
      await resumed;
      expect(m.draining).toBe(false);
      expect(m.count).toBe(0);
      await draining;
      await m.start('s4', { epoch: 1 });
      expect(m.get('s4')).toBeDefined();
    } finally {
      await m.close();
    }
  });

  it('refuses to start a session with an epoch older than the one claimed', async () => {
    const a = await manager({ workerId: 'w1' });
    const b = await manager({ workerId: 'w2' });
    try {
      await b.start('s1', { epoch: 2 });
      await expect(a.start('s1', { epoch: 1 })).rejects.toBeInstanceOf(StaleEpochError);
      expect(a.count).toBe(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
