import { createCoordinator } from '@wagate/storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../../db/index.js';
import { createLivenessMonitor, LIVENESS_LEASE_KEY } from './liveness.job.js';
import type { WorkerRow } from './workers.repository.js';
import { workersTestApp, type WorkersTestApp } from './test-support/workers-app.js';

const timing = { heartbeatIntervalMs: 1000, leaseTtlMs: 3000 };
let t: WorkersTestApp;
let now: Date;

beforeEach(async () => {
  t = await workersTestApp({ timing });
  now = new Date('2030-01-01T00:00:00Z');
});
afterEach(async () => {
  await t.close();
});

function monitor(overrides: { health?: () => Promise<never> | Promise<{ status: 'ok'; sessionCount: number; maxSessions: number; cpuUsage: number; memoryUsage: number; uptimeSeconds: number }>; offline?: WorkerRow[] } = {}) {
  const offline = overrides.offline ?? [];
  return createLivenessMonitor({
    repository: t.workers.repository,
    routing: t.workers.routing,
    client: { health: overrides.health ?? (async () => Promise.reject(new Error('down'))) },
    coordinator: t.coordinator,
    timing,
    logger: t.app.log,
    missedHeartbeats: 3,
    now: () => now,
    onWorkerOffline: async (worker) => void offline.push(worker),
  });
}

const ago = (ms: number) => new Date(now.getTime() - ms);
const insert = (id: string, values: Partial<schema.NewWorkerRow>) =>
  t.database.db.insert(schema.workers).values({ id, endpoint: `http://10.0.0.1:3100/${id}`, maxSessions: 5, status: 'ONLINE', source: 'self', createdAt: ago(60_000), ...values });

describe('liveness monitor', () => {
  it('never declares a worker OFFLINE before its lease could have expired', () => {
    // 3 missed beats of 1 s would be 3 s, but the lease is 3 s: wait one more interval.
    expect(monitor().offlineAfterMs).toBe(4000);
  });

  it('marks a self-registered worker OFFLINE after missed heartbeats and hands it to the migration hook', async () => {
    await insert('w-silent', { lastHeartbeat: ago(4001) });
    await insert('w-recent', { lastHeartbeat: ago(3000) });
    await insert('w-draining', { status: 'DRAINING', lastHeartbeat: ago(10_000) });
    const offline: WorkerRow[] = [];
    const result = await monitor({ offline }).runOnce();
    expect(result.leader).toBe(true);
    expect(result.offline.sort()).toEqual(['w-draining', 'w-silent']);
    expect(offline.map((w) => w.id).sort()).toEqual(['w-draining', 'w-silent']);
    expect((await t.workers.repository.findById('w-recent'))!.status).toBe('ONLINE');
    expect((await t.workers.repository.findById('w-silent'))!.status).toBe('OFFLINE');
  });

  it('stops routing to a worker it marks OFFLINE', async () => {
    await insert('w-a', { lastHeartbeat: new Date() });
    const sessionId = await t.createSession();
    await t.workers.routing.place(sessionId);
    expect(await t.workers.routing.current(sessionId)).not.toBeNull();
    now = new Date(Date.now() + 10_000);
    await monitor().runOnce();
    expect(await t.workers.routing.current(sessionId)).toBeNull();
  });

  it('lets only one replica lead at a time', async () => {
    await insert('w-silent', { lastHeartbeat: ago(5000) });
    const first = monitor();
    const second = monitor();
    expect((await first.runOnce()).leader).toBe(true);
    expect(await second.runOnce()).toEqual({ leader: false, offline: [] });
    // The leader keeps its lease on the next pass; after it stops, the other takes over.
    expect((await first.runOnce()).leader).toBe(true);
    await first.stop();
    expect(await t.coordinator.get(LIVENESS_LEASE_KEY)).toBeNull();
    expect((await second.runOnce()).leader).toBe(true);
    await second.stop();
  });

  it('health-checks hand-registered workers instead: a passing check renews, a failing one ends in OFFLINE', async () => {
    await insert('w-manual-ok', { source: 'manual', lastHeartbeat: ago(10_000) });
    await insert('w-manual-down', { source: 'manual', lastHeartbeat: ago(10_000) });
    await insert('w-manual-new', { source: 'manual', lastHeartbeat: ago(1500) });
    const health = async () => ({ status: 'ok' as const, sessionCount: 4, maxSessions: 5, cpuUsage: 7, memoryUsage: 8, uptimeSeconds: 1 });
    const m = createLivenessMonitor({
      repository: t.workers.repository,
      routing: t.workers.routing,
      client: {
        health: async (endpoint) => {
          if (endpoint.endsWith('w-manual-ok')) return health();
          throw new Error('down');
        },
      },
      coordinator: createCoordinator(),
      timing,
      logger: t.app.log,
      now: () => now,
    });
    const result = await m.runOnce();
    expect(result.offline).toEqual(['w-manual-down']);
    expect(await t.workers.repository.findById('w-manual-ok')).toMatchObject({ status: 'ONLINE', sessionCount: 4, cpuUsage: 7, lastHeartbeat: now });
    // Failing, but silent for less than the OFFLINE threshold: still ONLINE.
    expect((await t.workers.repository.findById('w-manual-new'))!.status).toBe('ONLINE');
    await m.stop();
  });

  it('keeps a silent self-registered worker that still answers its health check for a grace period, then marks it OFFLINE', async () => {
    await insert('w-oneway', { lastHeartbeat: ago(4500) });
    const health = async () => ({ status: 'ok' as const, sessionCount: 0, maxSessions: 5, cpuUsage: 0, memoryUsage: 0, uptimeSeconds: 1 });
    const passes: number[] = [];
    const m = createLivenessMonitor({
      repository: t.workers.repository,
      routing: t.workers.routing,
      client: { health },
      coordinator: t.coordinator,
      timing,
      logger: t.app.log,
      now: () => now,
      onLeaderPass: async () => void passes.push(1),
    });
    expect((await m.runOnce()).offline).toEqual([]);
    expect((await t.workers.repository.findById('w-oneway'))!.status).toBe('ONLINE');
    // Silent for the OFFLINE window twice over: its lease stopped its sessions long ago.
    now = new Date(now.getTime() + 4000);
    expect((await m.runOnce()).offline).toEqual(['w-oneway']);
    expect(passes).toHaveLength(2);
    await m.stop();
  });

  it('does not mark a worker OFFLINE when a heartbeat lands between the silence check and the update', async () => {
    await insert('w-late', { lastHeartbeat: ago(5000) });
    const m = createLivenessMonitor({
      repository: t.workers.repository,
      routing: t.workers.routing,
      client: {
        health: async () => {
          await t.workers.repository.heartbeat('w-late', { sessionCount: 1, maxSessions: 5, cpuUsage: 0, memoryUsage: 0 }, now);
          throw new Error('slow network');
        },
      },
      coordinator: t.coordinator,
      timing,
      logger: t.app.log,
      now: () => now,
    });
    expect((await m.runOnce()).offline).toEqual([]);
    expect((await t.workers.repository.findById('w-late'))!.status).toBe('ONLINE');
    await m.stop();
  });

  it('honours a longer configured OFFLINE window, never a shorter one than lease + interval', () => {
    const make = (offlineAfterMs: number) =>
      createLivenessMonitor({ repository: t.workers.repository, routing: t.workers.routing, client: { health: async () => Promise.reject(new Error('x')) }, coordinator: t.coordinator, timing: { ...timing, offlineAfterMs }, logger: t.app.log });
    expect(make(10_000).offlineAfterMs).toBe(10_000);
    expect(make(1000).offlineAfterMs).toBe(4000);
  });
});
